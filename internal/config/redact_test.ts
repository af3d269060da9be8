import assert from "node:assert/strict";
import { redactConfig } from "./redact.ts";
import { validateConfig } from "./schema.ts";
import type { Config } from "./types.ts";
import { DEFAULTS } from "./_test_defaults.ts";

const TOKEN = "s3cret-admin-token-0123456789";
const STICKY_SECRET = "s3cret-sticky-key-0123456789";

/** A configuration with every setting away from its default. */
const FULL: Config = validateConfig({
  host: "127.0.0.1",
  port: 9000,
  listener: "http1",
  strategy: "consistent_hash",
  hash_key: "cookie:session",
  sticky: { cookie: "lb", secret: STICKY_SECRET },
  trusted_proxies: ["10.0.0.0/8", "2001:db8::/32"],
  backends: [{ url: "http://a:1", name: "a", weight: 3 }, "https://b.example"],
  health: {
    path: "/health",
    interval: "1m30s",
    timeout: "1500ms",
    healthy_threshold: 4,
    unhealthy_threshold: 5,
  },
  timeouts: {
    backend: "2s",
    connect: "3s",
    idle: "90s",
    shutdown: "0s",
    client_header: "7s",
    client_body: "8s",
    client_idle: "9s",
    client_send: "11s",
    tunnel: "30m",
  },
  proxy: {
    transport: "http1",
    preserve_host: false,
    retries: 3,
    retry_non_idempotent: true,
    verbose_errors: true,
    retry_budget_percent: 50,
    retry_budget_min: 1,
    retry_buffer: "1mb",
    keepalive: 16,
    keepalive_timeout: "2s",
    keepalive_requests: 100,
  },
  passive: { failures: 2, ejection_time: "5s", max_ejection_time: "1m", max_ejection_percent: 30 },
  limits: {
    max_connections_per_upstream: 8,
    queue_size: 4,
    queue_timeout: "250ms",
    slow_start: "20s",
    max_body_size: "2mb",
    rate_limit: 0.5,
    rate_burst: 4,
    max_url_length: "2kb",
    max_header_size: "8kb",
    max_client_connections: 77,
  },
  logging: { level: "debug", format: "pretty" },
  admin: { host: "0.0.0.0", port: 9001, token: TOKEN, allowed_hosts: ["lb.example"] },
  pools: {},
  routes: [],
  upstream_tls: { ca: "/etc/sluice/upstream-ca.pem", server_name: "api.internal" },
});

Deno.test("redactConfig() writes the file shape with the admin token and sticky secret redacted", () => {
  assert.deepEqual(redactConfig(FULL), {
    host: "127.0.0.1",
    port: 9000,
    listener: "http1",
    strategy: "consistent_hash",
    hash_key: "cookie:session",
    sticky: { cookie: "lb", secret: "[redacted]" },
    trusted_proxies: ["10.0.0.0/8", "2001:db8::/32"],
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
    timeouts: {
      backend: "2s",
      connect: "3s",
      idle: "90s",
      shutdown: "0ms",
      client_header: "7s",
      client_body: "8s",
      client_idle: "9s",
      client_send: "11s",
      tunnel: "30m",
    },
    proxy: {
      transport: "http1",
      preserve_host: false,
      retries: 3,
      retry_non_idempotent: true,
      verbose_errors: true,
      retry_budget_percent: 50,
      retry_budget_min: 1,
      retry_buffer: 1_048_576,
      keepalive: 16,
      keepalive_timeout: "2s",
      keepalive_requests: 100,
    },
    passive: {
      failures: 2,
      ejection_time: "5s",
      max_ejection_time: "1m",
      max_ejection_percent: 30,
    },
    limits: {
      max_connections_per_upstream: 8,
      queue_size: 4,
      queue_timeout: "250ms",
      slow_start: "20s",
      max_body_size: 2_097_152,
      rate_limit: 0.5,
      rate_burst: 4,
      max_url_length: 2_048,
      max_header_size: 8_192,
      max_client_connections: 77,
    },
    logging: { level: "debug", format: "pretty", access_log: "stdout" },
    admin: { host: "0.0.0.0", port: 9001, token: "[redacted]", allowed_hosts: ["lb.example"] },
    pools: {},
    routes: [],
    tls: null,
    compression: {
      enabled: false,
      types: DEFAULTS.compression.types,
      min_size: 1024,
      algorithms: ["br", "gzip"],
    },
    discovery: { min_interval: "5s", max_interval: "5m", name_server: null },
    upstream_tls: {
      ca: "/etc/sluice/upstream-ca.pem",
      server_name: "api.internal",
      cert: null,
      key: null,
    },
  });
});

Deno.test("redactConfig() never contains a secret, however it is serialised", () => {
  const redacted = redactConfig(FULL);
  for (const secret of [TOKEN, STICKY_SECRET]) {
    assert.ok(!JSON.stringify(redacted).includes(secret));
    assert.ok(!Deno.inspect(redacted, { depth: Infinity }).includes(secret));
  }
  const generated = validateConfig({ sticky: { cookie: "lb" } });
  assert.ok(!JSON.stringify(redactConfig(generated)).includes(generated.sticky!.secret));
});

Deno.test("redactConfig() shows unset settings as null", () => {
  const redacted = redactConfig(validateConfig({}));
  assert.deepEqual(redacted.admin, {
    host: "127.0.0.1",
    port: 8090,
    token: null,
    allowed_hosts: [],
  });
  assert.equal((redacted.health as Record<string, unknown>).path, null);
  assert.equal(JSON.parse(JSON.stringify(redacted)).admin.token, null);
  assert.equal(redacted.sticky, null);
  assert.deepEqual(redacted.trusted_proxies, []);
  assert.equal((redacted.limits as Record<string, unknown>).rate_burst, null, "no rate, no burst");
  assert.equal(
    (redactConfig(validateConfig({ limits: { rate_limit: 2.5 } })).limits as Record<
      string,
      unknown
    >)
      .rate_burst,
    3,
  );
  assert.deepEqual(redactConfig(validateConfig({ sticky: { cookie: "lb" } })).sticky, {
    cookie: "lb",
    secret: null,
  }, "a secret generated for the process was not set");
});

Deno.test("redactConfig() reads back as the same configuration once the secret is restored", () => {
  const file = structuredClone(redactConfig(FULL)) as {
    health: Record<string, unknown>;
    admin: Record<string, unknown>;
    sticky: Record<string, unknown>;
  };
  file.admin.token = TOKEN;
  file.sticky.secret = STICKY_SECRET;
  assert.deepEqual(validateConfig(file), FULL);
  const defaults = validateConfig({});
  const plain = structuredClone(redactConfig(defaults)) as typeof file & {
    limits: Record<string, unknown>;
  };
  delete plain.health.path;
  delete plain.admin.token;
  delete plain.limits.rate_burst;
  assert.deepEqual(validateConfig(plain), defaults);
});

Deno.test("redactConfig() has one key for every setting of Config", () => {
  const redacted = redactConfig(FULL);
  const snakeCase = (key: string) => key.replaceAll(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
  assert.deepEqual(Object.keys(redacted).toSorted(), Object.keys(FULL).map(snakeCase).toSorted());
  for (const [section, value] of Object.entries(FULL)) {
    // hash_key is written as its text, e.g. "cookie:session".
    if (typeof value !== "object" || Array.isArray(value) || section === "hashKey") continue;
    assert.equal(
      Object.keys(redacted[snakeCase(section)] as object).length,
      // sticky.secretGenerated shows as a null secret; upstream_tls's PEM text never shows.
      Object.keys(value).filter((key) => key !== "secretGenerated" && key !== "pem").length,
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
