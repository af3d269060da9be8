import assert from "node:assert/strict";
import { BOOLEAN_FLAGS, envVarName, FLAGS, parseFlags, VALUE_FLAGS } from "./flags.ts";

Deno.test("parseFlags() reads --flag value and --flag=value alike", () => {
  assert.deepEqual(parseFlags(["--port", "8080", "--host=127.0.0.1"]), {
    values: { port: "8080", host: "127.0.0.1" },
    help: false,
    version: false,
    problems: [],
  });
});

Deno.test("parseFlags() reads every value flag in the CLI contract", () => {
  const args = [
    "--config=sluice.yaml",
    "--host=::",
    "--port=1",
    "--tls-cert=/cert.pem",
    "--tls-key=/key.pem",
    "--tls-redirect-http-port=80",
    "--backends=http://a:1,http://b:1",
    "--strategy=round_robin",
    "--hash-key=header:X-User",
    "--sticky-cookie=lb",
    "--trusted-proxies=10.0.0.0/8",
    "--health-path=/health",
    "--health-interval=5s",
    "--health-timeout=1s",
    "--backend-timeout=10s",
    "--connect-timeout=2s",
    "--transport=http1",
    "--upstream-tls-ca=/ca.pem",
    "--upstream-tls-server-name=api.internal",
    "--upstream-tls-cert=/c.pem",
    "--upstream-tls-key=/k.pem",
    "--listener=http1",
    "--client-header-timeout=5s",
    "--client-idle-timeout=30s",
    "--client-send-timeout=45s",
    "--max-client-connections=500",
    "--shutdown-timeout=20s",
    "--retries=2",
    "--max-connections-per-upstream=64",
    "--max-body-size=10mb",
    "--rate-limit=0.5",
    "--rate-burst=5",
    "--passive-failures=3",
    "--ejection-time=10s",
    "--log-level=debug",
    "--log-format=pretty",
    "--access-log=/var/log/sluice/access.log",
    "--admin-host=0.0.0.0",
    "--admin-port=9091",
    "--admin-token=0123456789abcdef",
    "--admin-allowed-hosts=sluice.internal",
  ];
  assert.deepEqual(parseFlags(args).values, {
    config: "sluice.yaml",
    host: "::",
    port: "1",
    "tls-cert": "/cert.pem",
    "tls-key": "/key.pem",
    "tls-redirect-http-port": "80",
    backends: "http://a:1,http://b:1",
    strategy: "round_robin",
    "hash-key": "header:X-User",
    "sticky-cookie": "lb",
    "trusted-proxies": "10.0.0.0/8",
    "health-path": "/health",
    "health-interval": "5s",
    "health-timeout": "1s",
    "backend-timeout": "10s",
    "connect-timeout": "2s",
    transport: "http1",
    "upstream-tls-ca": "/ca.pem",
    "upstream-tls-server-name": "api.internal",
    "upstream-tls-cert": "/c.pem",
    "upstream-tls-key": "/k.pem",
    listener: "http1",
    "client-header-timeout": "5s",
    "client-idle-timeout": "30s",
    "client-send-timeout": "45s",
    "max-client-connections": "500",
    "shutdown-timeout": "20s",
    retries: "2",
    "max-connections-per-upstream": "64",
    "max-body-size": "10mb",
    "rate-limit": "0.5",
    "rate-burst": "5",
    "passive-failures": "3",
    "ejection-time": "10s",
    "log-level": "debug",
    "log-format": "pretty",
    "access-log": "/var/log/sluice/access.log",
    "admin-host": "0.0.0.0",
    "admin-port": "9091",
    "admin-token": "0123456789abcdef",
    "admin-allowed-hosts": "sluice.internal",
  });
  // Every flag but the secrets that have none (see the next tests).
  assert.equal(VALUE_FLAGS.filter((flag) => !("noFlag" in flag)).length, args.length);
});

Deno.test("parseFlags() refuses --sticky-secret and says where a secret goes", () => {
  const advice = "is not accepted on the command line, where every user sees it (ps): set " +
    "SLUICE_STICKY_SECRET or sticky.secret in the config file";
  for (
    const args of [["--sticky-secret", "0123456789abcdef"], ["--sticky-secret=0123456789abcdef"]]
  ) {
    const parsed = parseFlags([...args, "--port", "1"]);
    assert.deepEqual(parsed.problems, [{ path: "--sticky-secret", message: advice }]);
    assert.deepEqual(
      parsed.values,
      { port: "1" },
      "the value is neither kept nor a stray argument",
    );
    assert.ok(!JSON.stringify(parsed).includes("0123456789abcdef"), "the secret is not echoed");
  }
  assert.deepEqual(parseFlags(["--sticky-secre", "x"]).problems, [
    { path: "--sticky-secre", message: "unknown flag (see --help)" },
  ]);
});

Deno.test("parseFlags() keeps the last of a repeated flag but joins repeated list flags", () => {
  const parsed = parseFlags([
    "--port",
    "1",
    "--port",
    "2",
    "--backends",
    "http://a",
    "--backends=http://b",
    "--trusted-proxies=10.0.0.0/8",
    "--trusted-proxies",
    "::1,127.0.0.1",
  ]);
  assert.deepEqual(parsed.values, {
    port: "2",
    backends: "http://a,http://b",
    "trusted-proxies": "10.0.0.0/8,::1,127.0.0.1",
  });
});

Deno.test("parseFlags() reads --help, -h and --version", () => {
  assert.equal(parseFlags(["--help"]).help, true);
  assert.equal(parseFlags(["-h"]).help, true);
  assert.equal(parseFlags(["--version"]).version, true);
  assert.deepEqual(parseFlags(["--help=yes"]).problems, [{
    path: "--help",
    message: "takes no value",
  }]);
});

Deno.test("parseFlags() reports an unknown flag with a suggestion, and not its value", () => {
  assert.deepEqual(parseFlags(["--prot", "8080"]).problems, [
    { path: "--prot", message: "unknown flag (did you mean --port? see --help)" },
  ]);
  assert.deepEqual(parseFlags(["--colour=red"]).problems, [
    { path: "--colour", message: "unknown flag (see --help)" },
  ]);
  assert.deepEqual(parseFlags(["-port", "1"]).problems, [
    { path: "-port", message: "unknown flag (did you mean --port? see --help)" },
  ]);
});

Deno.test("parseFlags() reports positional arguments", () => {
  assert.deepEqual(parseFlags(["sluice.yaml", "--", "--port"]).problems, [
    {
      path: "argv",
      message: 'unexpected argument "sluice.yaml" (every option is a --flag; see --help)',
    },
    {
      path: "argv",
      message: 'unexpected argument "--port" (every option is a --flag; see --help)',
    },
  ]);
});

Deno.test("parseFlags() reports a flag missing its value", () => {
  assert.deepEqual(parseFlags(["--port"]).problems, [
    { path: "--port", message: "needs a value (--port N)" },
  ]);
  const parsed = parseFlags(["--health-path", "--port", "80"]);
  assert.deepEqual(parsed.problems, [{
    path: "--health-path",
    message: "needs a value (--health-path PATH)",
  }]);
  assert.deepEqual(parsed.values, { port: "80" });
  assert.deepEqual(parseFlags(["--port=", "--health-path=--x"]).values, {
    port: "",
    "health-path": "--x",
  });
});

Deno.test("parseFlags() lists every problem at once", () => {
  const { problems } = parseFlags(["--prot=1", "--port", "--lvl", "x", "y", "--host"]);
  assert.deepEqual(problems.map((problem) => problem.path), [
    "--prot",
    "--port",
    "--lvl",
    "argv",
    "--host",
  ]);
});

Deno.test("parseFlags() reports a missing admin flag value with its placeholder", () => {
  assert.deepEqual(parseFlags(["--admin-token", "--admin-port", "1"]), {
    values: { "admin-port": "1" },
    help: false,
    version: false,
    problems: [{ path: "--admin-token", message: "needs a value (--admin-token TOKEN)" }],
  });
  assert.deepEqual(parseFlags(["--admin-prot=1"]).problems, [
    { path: "--admin-prot", message: "unknown flag (did you mean --admin-port? see --help)" },
  ]);
});

Deno.test("envVarName() upper-cases the flag and turns dashes into underscores", () => {
  assert.equal(envVarName("port"), "SLUICE_PORT");
  assert.equal(envVarName("health-path"), "SLUICE_HEALTH_PATH");
  assert.equal(envVarName("log-level"), "SLUICE_LOG_LEVEL");
  assert.equal(envVarName("admin-token"), "SLUICE_ADMIN_TOKEN");
});

Deno.test("parseFlags() reads an on/off flag alone as true, or with =VALUE as written", () => {
  assert.deepEqual(parseFlags(["--retry-non-idempotent", "--port", "1"]), {
    values: { "retry-non-idempotent": "true", port: "1" },
    help: false,
    version: false,
    problems: [],
  });
  assert.deepEqual(parseFlags(["--retry-non-idempotent=false"]).values, {
    "retry-non-idempotent": "false",
  });
  // Checked later with the other values, under the flag's name.
  assert.deepEqual(parseFlags(["--retry-non-idempotent=maybe"]).values, {
    "retry-non-idempotent": "maybe",
  });
  assert.deepEqual(parseFlags(["--retry-non-idempotent=0", "--retry-non-idempotent"]).values, {
    "retry-non-idempotent": "true",
  });
  assert.deepEqual(BOOLEAN_FLAGS.map((flag) => [flag.name, flag.key]), [
    ["retry-non-idempotent", "proxy.retry_non_idempotent"],
    ["compression", "compression.enabled"],
    ["verbose-errors", "proxy.verbose_errors"],
  ]);
});

Deno.test("parseFlags() says how to give an on/off flag a value", () => {
  const parsed = parseFlags(["--retry-non-idempotent", "false", "--port", "1"]);
  assert.deepEqual(parsed.problems, [{
    path: "argv",
    message: 'unexpected argument "false" (--retry-non-idempotent takes no value; write ' +
      "--retry-non-idempotent=false)",
  }]);
  assert.deepEqual(parsed.values, { "retry-non-idempotent": "true", port: "1" });
  assert.deepEqual(parseFlags(["--retry-non-idempotent", "please"]).problems, [{
    path: "argv",
    message: 'unexpected argument "please" (--retry-non-idempotent takes no value)',
  }]);
});

Deno.test("parseFlags() keeps an on/off flag that follows a value flag missing its value", () => {
  const parsed = parseFlags(["--retries", "--retry-non-idempotent"]);
  assert.deepEqual(parsed.problems, [{
    path: "--retries",
    message: "needs a value (--retries N)",
  }]);
  assert.deepEqual(parsed.values, { "retry-non-idempotent": "true" });
});

Deno.test("parseFlags() suggests on/off flags for a misspelt one", () => {
  assert.deepEqual(parseFlags(["--retry-non-idempotnt"]).problems, [{
    path: "--retry-non-idempotnt",
    message: "unknown flag (did you mean --retry-non-idempotent? see --help)",
  }]);
});

Deno.test("FLAGS gives every flag a distinct name and config key", () => {
  const keys = FLAGS.map((flag) => flag.key).filter((key) => key !== undefined);
  assert.equal(new Set(FLAGS.map((flag) => flag.name)).size, FLAGS.length);
  assert.equal(new Set(keys).size, keys.length);
  assert.equal(VALUE_FLAGS.length + BOOLEAN_FLAGS.length, FLAGS.length);
});
