import assert from "node:assert/strict";
import { createPermittedEnvReader, readEnvFlags } from "./env.ts";

Deno.test("readEnvFlags() reads SLUICE_<FLAG> for every flag, on/off ones included", () => {
  const env: Record<string, string> = {
    SLUICE_CONFIG: "sluice.yaml",
    SLUICE_HOST: "::",
    SLUICE_PORT: "9000",
    SLUICE_BACKENDS: "http://a:1,http://b:1",
    SLUICE_STRATEGY: "round_robin",
    SLUICE_HEALTH_PATH: "/health",
    SLUICE_HEALTH_INTERVAL: "5s",
    SLUICE_HEALTH_TIMEOUT: "1s",
    SLUICE_BACKEND_TIMEOUT: "10s",
    SLUICE_SHUTDOWN_TIMEOUT: "20s",
    SLUICE_RETRIES: "2",
    SLUICE_RETRY_NON_IDEMPOTENT: "1",
    SLUICE_MAX_CONNECTIONS_PER_UPSTREAM: "64",
    SLUICE_MAX_BODY_SIZE: "10mb",
    SLUICE_RATE_LIMIT: "0.5",
    SLUICE_RATE_BURST: "5",
    SLUICE_PASSIVE_FAILURES: "3",
    SLUICE_EJECTION_TIME: "10s",
    SLUICE_LOG_LEVEL: "debug",
    SLUICE_LOG_FORMAT: "pretty",
    SLUICE_ADMIN_HOST: "0.0.0.0",
    SLUICE_ADMIN_PORT: "9091",
    SLUICE_ADMIN_TOKEN: "0123456789abcdef",
    SLUICE_HELP: "1",
    PORT: "1",
  };
  assert.deepEqual(readEnvFlags((name) => env[name]), {
    config: "sluice.yaml",
    host: "::",
    port: "9000",
    backends: "http://a:1,http://b:1",
    strategy: "round_robin",
    "health-path": "/health",
    "health-interval": "5s",
    "health-timeout": "1s",
    "backend-timeout": "10s",
    "shutdown-timeout": "20s",
    retries: "2",
    "retry-non-idempotent": "1",
    "max-connections-per-upstream": "64",
    "max-body-size": "10mb",
    "rate-limit": "0.5",
    "rate-burst": "5",
    "passive-failures": "3",
    "ejection-time": "10s",
    "log-level": "debug",
    "log-format": "pretty",
    "admin-host": "0.0.0.0",
    "admin-port": "9091",
    "admin-token": "0123456789abcdef",
  });
});

Deno.test("readEnvFlags() treats an empty variable as unset", () => {
  assert.deepEqual(readEnvFlags((name) => (name === "SLUICE_PORT" ? "" : undefined)), {});
});

Deno.test("createPermittedEnvReader() reads only variables whose permission is granted", () => {
  const asked: string[] = [];
  const read: string[] = [];
  const reader = createPermittedEnvReader({
    queryPermission: (descriptor) => {
      assert.equal(descriptor.name, "env");
      const variable = "variable" in descriptor ? String(descriptor.variable) : "";
      asked.push(variable);
      return variable === "SLUICE_PORT"
        ? "granted"
        : variable === "SLUICE_HOST"
        ? "denied"
        : "prompt";
    },
    get: (name) => {
      read.push(name);
      return `value of ${name}`;
    },
  });
  assert.deepEqual(readEnvFlags(reader), { port: "value of SLUICE_PORT" });
  assert.deepEqual(read, ["SLUICE_PORT"]);
  assert.ok(asked.includes("SLUICE_HOST") && asked.includes("SLUICE_LOG_LEVEL"));
});

Deno.test("createPermittedEnvReader() reads nothing, and does not throw, when a query fails", () => {
  const reader = createPermittedEnvReader({
    queryPermission: () => {
      throw new Deno.errors.NotCapable("no");
    },
    get: () => assert.fail("must not read"),
  });
  assert.equal(reader("SLUICE_PORT"), undefined);
});

Deno.test("createPermittedEnvReader() reads the real environment when granted", () => {
  // deno test runs with --allow-env, so the default permission query grants it.
  const reader = createPermittedEnvReader();
  assert.equal(reader("PATH"), Deno.env.get("PATH"));
  assert.equal(reader("SLUICE_TEST_SURELY_UNSET_VARIABLE"), undefined);
});
