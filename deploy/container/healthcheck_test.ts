import assert from "node:assert/strict";
import { freePort, startUpstream } from "../../tests/_fixtures.ts";
import { spawnMain } from "../../tests/_process.ts";
import { healthzUrl, probe } from "./healthcheck.ts";

const HEALTHCHECK = new URL("./healthcheck.ts", import.meta.url).pathname;

/** Runs the probe as the image's HEALTHCHECK does; resolves with its exit code and output. */
async function runProbe(env: Record<string, string>): Promise<{ code: number; output: string }> {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-net", "--allow-env=SLUICE_ADMIN_PORT,SLUICE_ADMIN_HOST", HEALTHCHECK],
    env,
    clearEnv: true,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decoder = new TextDecoder();
  return { code, output: decoder.decode(stdout) + decoder.decode(stderr) };
}

Deno.test("healthzUrl() probes loopback for wildcards, brackets IPv6, and is off for port 0", () => {
  assert.equal(healthzUrl({}), "http://127.0.0.1:8090/healthz");
  assert.equal(healthzUrl({ host: "0.0.0.0", port: "9100" }), "http://127.0.0.1:9100/healthz");
  assert.equal(healthzUrl({ host: "::", port: "9100" }), "http://127.0.0.1:9100/healthz");
  assert.equal(healthzUrl({ host: "::1", port: "9100" }), "http://[::1]:9100/healthz");
  assert.equal(healthzUrl({ host: "10.1.2.3" }), "http://10.1.2.3:8090/healthz");
  assert.equal(healthzUrl({ port: "0" }), undefined);
  assert.throws(() => healthzUrl({ port: "70000" }), RangeError);
  assert.throws(() => healthzUrl({ port: "eighty" }), RangeError);
});

Deno.test("the HEALTHCHECK probe passes against Sluice's admin /healthz and fails without it", async () => {
  await using upstream = startUpstream("a");
  const adminPort = freePort();
  await using sluice = spawnMain(["--allow-net"], [
    "--port",
    "0",
    "--backends",
    upstream.url,
    "--admin-port",
    String(adminPort),
  ]);
  await sluice.line((entry) => String(entry.message).startsWith("Sluice listening"));

  const healthy = await runProbe({ SLUICE_ADMIN_PORT: String(adminPort) });
  assert.equal(healthy.code, 0, healthy.output);
  assert.match(healthy.output, new RegExp(`healthy: http://127\\.0\\.0\\.1:${adminPort}/healthz`));

  const closed = freePort();
  const unhealthy = await runProbe({ SLUICE_ADMIN_PORT: String(closed) });
  assert.equal(unhealthy.code, 1, unhealthy.output);
  assert.match(unhealthy.output, /^unhealthy: /);

  const off = await runProbe({ SLUICE_ADMIN_PORT: "0" });
  assert.equal(off.code, 0, off.output);
  assert.match(off.output, /admin server off/);
});

Deno.test("probe() reports a status other than 200", async () => {
  await using upstream = startUpstream("down", () => new Response("down", { status: 503 }));
  assert.equal(await probe(`${upstream.url}/healthz`), `${upstream.url}/healthz answered 503`);
});
