import assert from "node:assert/strict";
import { makeTestPki } from "../../tests/_tls.ts";
import { ConfigError, type ConfigProblem } from "./errors.ts";
import { loadConfig, type LoadConfigOptions } from "./load.ts";
import { redactConfig } from "./redact.ts";

const OPTIONS: LoadConfigOptions = {
  env: () => undefined,
  queryPermission: () => "granted",
  defaultLogFormat: "json",
};

async function problemsOf(args: string[], file?: string): Promise<ConfigProblem[]> {
  const options = file === undefined ? OPTIONS : {
    ...OPTIONS,
    readTextFile: (path: string) =>
      path === "sluice.yaml" ? Promise.resolve(file) : Deno.readTextFile(path),
  };
  try {
    await loadConfig(file === undefined ? args : ["--config", "sluice.yaml", ...args], options);
  } catch (error) {
    assert.ok(error instanceof ConfigError, String(error));
    return [...error.problems];
  }
  assert.fail("expected a ConfigError");
}

Deno.test("upstream_tls: files are read, checked and kept as PEM; redaction shows paths only", async () => {
  await using pki = await makeTestPki();
  const result = await loadConfig([
    "--upstream-tls-ca",
    pki.caFile,
    "--upstream-tls-cert",
    pki.clientCertFile,
    "--upstream-tls-key",
    pki.clientKeyFile,
  ], OPTIONS);
  assert.equal(result.kind, "config");
  if (result.kind !== "config") return;
  const tls = result.config.upstreamTls;
  assert.equal(tls.pem?.ca, pki.ca);
  assert.equal(tls.pem?.key, pki.clientKey);
  const shown = JSON.stringify(redactConfig(result.config));
  assert.ok(shown.includes(pki.clientKeyFile));
  assert.ok(!shown.includes("PRIVATE KEY"));
});

Deno.test("upstream_tls: settings Deno cannot honour are refused with the reason", async () => {
  const problems = await problemsOf(
    [],
    "upstream_tls:\n  insecure_skip_verify: true\n  cert: /c.pem\n  server_name: api.test\n",
  );
  const byPath = new Map(problems.map((p) => [p.path, p.message]));
  assert.match(byPath.get("upstream_tls.insecure_skip_verify") ?? "", /no per-connection switch/);
  assert.match(byPath.get("upstream_tls.key") ?? "", /is required with upstream_tls.cert/);
  assert.match(byPath.get("upstream_tls.server_name") ?? "", /cannot be combined/);
});

Deno.test("upstream_tls: server_name needs the http1 transport", async () => {
  const problems = await problemsOf([
    "--transport",
    "fetch",
    "--upstream-tls-server-name",
    "api.test",
  ]);
  assert.deepEqual(problems.map((p) => p.path), ["--upstream-tls-server-name"]);
  assert.match(problems[0]!.message, /needs proxy.transport http1/);
});

Deno.test("upstream_tls: unreadable, non-PEM and mismatched files are listed together", async () => {
  await using pki = await makeTestPki();
  const problems = await problemsOf(
    [],
    [
      "upstream_tls:",
      `  ca: ${pki.serverKeyFile}`,
      `  cert: ${pki.clientCertFile}`,
      `  key: ${pki.serverKeyFile}`,
    ].join("\n"),
  );
  const byPath = new Map(problems.map((p) => [p.path, p.message]));
  assert.match(byPath.get("upstream_tls.ca") ?? "", /holds no PEM certificate/);
  assert.match(byPath.get("upstream_tls.cert") ?? "", /does not belong to the certificate/);
  const missing = await problemsOf(["--upstream-tls-ca", `${pki.dir}/missing.pem`]);
  assert.equal(missing[0]?.path, "--upstream-tls-ca");
  assert.match(missing[0]?.message ?? "", /cannot be read/);
});
