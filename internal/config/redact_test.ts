import assert from "node:assert/strict";
import { redactConfig } from "./redact.ts";
import { validateConfig } from "./schema.ts";
import type { Config } from "./types.ts";

const TOKEN = "s3cret-admin-token-0123456789";

/** A configuration with every setting away from its default. */
const FULL: Config = validateConfig({
  host: "127.0.0.1",
  port: 9000,
  strategy: "round_robin",
  backends: [{ url: "http://a:1", name: "a", weight: 3 }, "https://b.example"],
  health: {
    path: "/health",
    interval: "1m30s",
    timeout: "1500ms",
    healthy_threshold: 4,
    unhealthy_threshold: 5,
  },
  timeouts: { backend: "2s", shutdown: "0s" },
  proxy: { preserve_host: false, retries: 3, retry_buffer: "1mb" },
  logging: { level: "debug", format: "pretty" },
  admin: { host: "0.0.0.0", port: 9001, token: TOKEN },
});

Deno.test("redactConfig() writes the file shape with the admin token redacted", () => {
  assert.deepEqual(redactConfig(FULL), {
    host: "127.0.0.1",
    port: 9000,
    strategy: "round_robin",
    backends: [
      { url: "http://a:1", name: "a", weight: 3 },
      { url: "https://b.example", name: "b.example", weight: 1 },
    ],
    health: {
      path: "/health",
      interval: "90s",
      timeout: "1500ms",
      healthy_threshold: 4,
      unhealthy_threshold: 5,
    },
    timeouts: { backend: "2s", shutdown: "0ms" },
    proxy: { preserve_host: false, retries: 3, retry_buffer: 1_048_576 },
    logging: { level: "debug", format: "pretty" },
    admin: { host: "0.0.0.0", port: 9001, token: "[redacted]" },
  });
});

Deno.test("redactConfig() never contains the token, however it is serialised", () => {
  const redacted = redactConfig(FULL);
  assert.ok(!JSON.stringify(redacted).includes(TOKEN));
  assert.ok(!Deno.inspect(redacted, { depth: Infinity }).includes(TOKEN));
});

Deno.test("redactConfig() shows unset settings as null", () => {
  const redacted = redactConfig(validateConfig({}));
  assert.deepEqual(redacted.admin, { host: "127.0.0.1", port: 8090, token: null });
  assert.equal((redacted.health as Record<string, unknown>).path, null);
  assert.equal(JSON.parse(JSON.stringify(redacted)).admin.token, null);
});

Deno.test("redactConfig() reads back as the same configuration once the secret is restored", () => {
  const file = structuredClone(redactConfig(FULL)) as {
    health: Record<string, unknown>;
    admin: Record<string, unknown>;
  };
  file.admin.token = TOKEN;
  assert.deepEqual(validateConfig(file), FULL);
  const defaults = validateConfig({});
  const plain = structuredClone(redactConfig(defaults)) as typeof file;
  delete plain.health.path;
  delete plain.admin.token;
  assert.deepEqual(validateConfig(plain), defaults);
});

Deno.test("redactConfig() has one key for every setting of Config", () => {
  const redacted = redactConfig(FULL);
  assert.deepEqual(Object.keys(redacted).toSorted(), Object.keys(FULL).toSorted());
  for (const [section, value] of Object.entries(FULL)) {
    if (typeof value !== "object" || Array.isArray(value)) continue;
    assert.equal(
      Object.keys(redacted[section] as object).length,
      Object.keys(value).length,
      `${section} has a setting redactConfig() leaves out`,
    );
  }
});

Deno.test("redactConfig() shares nothing with the configuration", () => {
  const config = validateConfig({ backends: ["http://a:1"] });
  const redacted = redactConfig(config) as { backends: { weight: number }[] };
  const [first] = redacted.backends;
  assert.ok(first !== undefined);
  first.weight = 99;
  assert.equal(config.backends[0]?.weight, 1);
});
