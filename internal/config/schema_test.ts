import assert from "node:assert/strict";
import { CONFIG_DEFAULTS } from "./defaults.ts";
import { ConfigError, type ConfigProblem } from "./errors.ts";
import { createConfigSchema, validateConfig } from "./schema.ts";
import { DEFAULTS, STRATEGIES } from "./_test_defaults.ts";

/** The problems `validateConfig` reports for `input`; fails when it does not throw. */
function problemsOf(input: unknown): readonly ConfigProblem[] {
  try {
    validateConfig(input);
  } catch (error) {
    assert.ok(error instanceof ConfigError, `expected a ConfigError, got ${String(error)}`);
    return error.problems;
  }
  assert.fail("expected validateConfig() to throw");
}

Deno.test("validateConfig() fills every default for an empty file", () => {
  assert.deepEqual(validateConfig({}), DEFAULTS);
});

Deno.test("validateConfig() defaults agree with CONFIG_DEFAULTS", () => {
  const config = validateConfig({});
  assert.equal(config.port, CONFIG_DEFAULTS.port);
  assert.equal(config.health.intervalMs, CONFIG_DEFAULTS.health.intervalMs);
  assert.equal(config.proxy.retryBufferBytes, CONFIG_DEFAULTS.proxy.retryBufferBytes);
});

Deno.test("validateConfig() takes the log format default from its caller", () => {
  assert.equal(validateConfig({}, { defaultLogFormat: "pretty" }).logging.format, "pretty");
  assert.equal(
    validateConfig({ logging: { format: "json" } }, { defaultLogFormat: "pretty" }).logging.format,
    "json",
  );
});

Deno.test("validateConfig() accepts the minimal JSON shape as it is", () => {
  const config = validateConfig(
    JSON.parse('{"port": 8080, "backends": [{"url": "http://localhost:9001"}]}'),
  );
  assert.deepEqual(config, {
    ...DEFAULTS,
    backends: [{ url: "http://localhost:9001", name: "localhost:9001", weight: 1 }],
  });
});

Deno.test("validateConfig() converts a full file to the camelCase runtime shape", () => {
  const config = validateConfig({
    host: "127.0.0.1",
    port: 0,
    listener: "http1",
    strategy: "consistent_hash",
    hash_key: "path",
    sticky: { cookie: "lb", secret: "sticky-secret-0123456789" },
    trusted_proxies: ["10.0.0.0/8", "2001:DB8::/32", "127.0.0.1"],
    backends: [
      { url: "http://localhost:9001/", name: "a", weight: 3 },
      "https://example.com:443",
    ],
    health: {
      path: "/health",
      interval: "1m",
      timeout: 1500,
      healthy_threshold: 1,
      unhealthy_threshold: 5,
    },
    timeouts: {
      backend: "2s",
      connect: "750ms",
      idle: 0,
      shutdown: "0s",
      client_header: "3s",
      client_body: "4s",
      client_idle: "5s",
      client_send: "6s",
      tunnel: "10m",
    },
    proxy: {
      transport: "http1",
      preserve_host: false,
      retries: 0,
      retry_non_idempotent: true,
      verbose_errors: true,
      retry_budget_percent: 0,
      retry_budget_min: 0,
      retry_buffer: "1mb",
      keepalive: 0,
      keepalive_timeout: "30s",
      keepalive_requests: 1,
    },
    passive: {
      failures: 0,
      ejection_time: "1s",
      max_ejection_time: "1s",
      max_ejection_percent: 100,
    },
    limits: {
      max_connections_per_upstream: 1,
      queue_size: 0,
      queue_timeout: "100ms",
      slow_start: "1m",
      max_body_size: "1gb",
      rate_limit: 1000,
      rate_burst: 1,
      max_url_length: 1,
      max_header_size: "1mb",
      max_client_connections: 50,
    },
    logging: { level: "debug", format: "pretty" },
    admin: {
      host: "::",
      port: 9090,
      token: "0123456789abcdef",
      allowed_hosts: ["LB.example:9090", "[::1]"],
    },
  });
  assert.deepEqual(config, {
    host: "127.0.0.1",
    port: 0,
    listener: "http1",
    strategy: "consistent_hash",
    hashKey: { source: "path" },
    sticky: { cookie: "lb", secret: "sticky-secret-0123456789", secretGenerated: false },
    trustedProxies: ["10.0.0.0/8", "2001:db8::/32", "127.0.0.1/32"],
    backends: [
      { url: "http://localhost:9001", name: "a", weight: 3 },
      { url: "https://example.com", name: "example.com", weight: 1 },
    ],
    health: {
      path: "/health",
      intervalMs: 60_000,
      timeoutMs: 1_500,
      healthyThreshold: 1,
      unhealthyThreshold: 5,
    },
    timeouts: {
      backendMs: 2_000,
      connectMs: 750,
      idleMs: 0,
      shutdownMs: 0,
      clientHeaderMs: 3_000,
      clientBodyMs: 4_000,
      clientIdleMs: 5_000,
      clientSendMs: 6_000,
      tunnelMs: 600_000,
    },
    proxy: {
      transport: "http1",
      preserveHost: false,
      retries: 0,
      retryNonIdempotent: true,
      verboseErrors: true,
      retryBudgetPercent: 0,
      retryBudgetMin: 0,
      retryBufferBytes: 1_048_576,
      keepalive: 0,
      keepaliveTimeoutMs: 30_000,
      keepaliveRequests: 1,
    },
    passive: {
      failures: 0,
      ejectionTimeMs: 1_000,
      maxEjectionTimeMs: 1_000,
      maxEjectionPercent: 100,
    },
    limits: {
      maxConnectionsPerUpstream: 1,
      queueSize: 0,
      queueTimeoutMs: 100,
      slowStartMs: 60_000,
      maxBodyBytes: 1_073_741_824,
      rateLimitRps: 1000,
      rateBurst: 1,
      maxUrlBytes: 1,
      maxHeaderBytes: 1_048_576,
      maxClientConnections: 50,
    },
    logging: { level: "debug", format: "pretty", accessLog: "stdout" },
    admin: {
      host: "::",
      port: 9090,
      token: "0123456789abcdef",
      allowedHosts: ["lb.example:9090", "[::1]"],
    },
    pools: [],
    routes: [],
    upstreamTls: DEFAULTS.upstreamTls,
    tls: undefined,
    compression: DEFAULTS.compression,
    discovery: DEFAULTS.discovery,
  });
});

Deno.test("validateConfig() reads integers given as digit strings, as flags give them", () => {
  assert.equal(validateConfig({ port: "9090" }).port, 9090);
});

Deno.test("validateConfig() treats empty YAML sections (null) as defaults", () => {
  assert.deepEqual(
    validateConfig({
      backends: null,
      health: null,
      timeouts: null,
      proxy: null,
      passive: null,
      limits: null,
      logging: null,
      sticky: null,
      trusted_proxies: null,
    }),
    DEFAULTS,
  );
});

Deno.test("validateConfig() caps the default health timeout at a shorter interval", () => {
  const health = validateConfig({ health: { interval: "1s" } }).health;
  assert.equal(health.intervalMs, 1_000);
  assert.equal(health.timeoutMs, 1_000);
  assert.equal(
    validateConfig({ health: { interval: "2s", timeout: "2s" } }).health.timeoutMs,
    2_000,
  );
});

Deno.test("validateConfig() reports a backend URL that is not http(s) at its path", () => {
  assert.deepEqual(problemsOf({ backends: ["http://localhost:9000", "localhost:9001"] }), [{
    path: "backends[1]",
    message: '"localhost:9001" is not an http(s) URL (did you mean "http://localhost:9001"?)',
  }]);
  assert.deepEqual(problemsOf({ backends: [{ url: "ftp://files" }] }), [{
    path: "backends[0].url",
    message: '"ftp://files" is not an http(s) URL',
  }]);
});

Deno.test("validateConfig() requires a backend's url and checks name and weight", () => {
  assert.deepEqual(
    problemsOf({ backends: [{ name: "a" }, { url: "http://b", name: "", weight: 0 }] }),
    [
      { path: "backends[0].url", message: "is required" },
      { path: "backends[1].name", message: '"" is empty' },
      { path: "backends[1].weight", message: "0 is less than the minimum 1" },
    ],
  );
  assert.deepEqual(problemsOf({ backends: [5] }), [{
    path: "backends[0]",
    message: "5 is not an upstream (give a URL or an object with url, name, weight)",
  }]);
  assert.deepEqual(problemsOf({ backends: "http://a" }), [{
    path: "backends",
    message: '"http://a" is not a list',
  }]);
});

Deno.test("validateConfig() reports duplicate backends after normalising them", () => {
  assert.deepEqual(
    problemsOf({ backends: ["http://a:1", { url: "http://b:1" }, { url: "HTTP://A:1/" }] }),
    [{
      path: "backends[2]",
      message: '"http://a:1" is listed more than once (first at backends[0])',
    }],
  );
});

Deno.test("validateConfig() reports a port out of range, or not an integer", () => {
  assert.deepEqual(problemsOf({ port: 99999 }), [
    { path: "port", message: "99999 is out of range 0-65535" },
  ]);
  assert.deepEqual(problemsOf({ port: -1 }), [{
    path: "port",
    message: "-1 is out of range 0-65535",
  }]);
  assert.deepEqual(problemsOf({ port: "abc" }), [{
    path: "port",
    message: '"abc" is not an integer',
  }]);
  assert.deepEqual(problemsOf({ port: 80.5 }), [{
    path: "port",
    message: "80.5 is not an integer",
  }]);
});

Deno.test("validateConfig() reports an unknown strategy, log level or log format", () => {
  assert.deepEqual(problemsOf({ strategy: "foo", logging: { level: "verbose", format: "xml" } }), [
    { path: "strategy", message: `"foo" is not one of ${STRATEGIES}` },
    { path: "logging.level", message: '"verbose" is not one of debug, info, warn, error' },
    { path: "logging.format", message: '"xml" is not one of json, pretty' },
  ]);
});

Deno.test("validateConfig() reports a malformed, zero or too long duration", () => {
  assert.deepEqual(problemsOf({ health: { interval: "10 sec" } }), [{
    path: "health.interval",
    message: '"10 sec" is not a duration (use 250ms, 2s, 1m or milliseconds)',
  }]);
  assert.deepEqual(problemsOf({ health: { timeout: 0 }, timeouts: { backend: "0s" } }), [
    { path: "health.timeout", message: "0 must be more than 0" },
    { path: "timeouts.backend", message: '"0s" must be more than 0' },
  ]);
  assert.deepEqual(problemsOf({ timeouts: { shutdown: "999h" } }), [
    { path: "timeouts.shutdown", message: '"999h" is too long (at most 24 days)' },
  ]);
  assert.deepEqual(problemsOf({ timeouts: { shutdown: true } }), [{
    path: "timeouts.shutdown",
    message: "true is not a duration (use 250ms, 2s, 1m or milliseconds)",
  }]);
});

Deno.test("validateConfig() reports a health timeout longer than the interval", () => {
  assert.deepEqual(problemsOf({ health: { interval: "1s", timeout: "2s" } }), [
    { path: "health.timeout", message: "2s is longer than health.interval (1s)" },
  ]);
});

Deno.test("validateConfig() reports a health path that is not an absolute path", () => {
  assert.deepEqual(problemsOf({ health: { path: "health" } }), [
    { path: "health.path", message: '"health" must start with "/"' },
  ]);
  assert.deepEqual(problemsOf({ health: { path: "//other.example/" } }), [
    { path: "health.path", message: '"//other.example/" must not start with "//"' },
  ]);
  assert.deepEqual(problemsOf({ health: { path: "/a b" } }), [
    { path: "health.path", message: '"/a b" must not contain spaces or control characters' },
  ]);
});

Deno.test("validateConfig() reports a host that includes a port or a scheme", () => {
  assert.deepEqual(problemsOf({ host: "0.0.0.0:8080" }), [{
    path: "host",
    message: '"0.0.0.0:8080" must not include a port (set the port with "port" or --port)',
  }]);
  assert.deepEqual(problemsOf({ host: "http://x" }), [
    { path: "host", message: '"http://x" is not a host name or IP address' },
  ]);
  assert.equal(validateConfig({ host: "::1" }).host, "::1");
});

Deno.test("validateConfig() reports bad proxy settings", () => {
  assert.deepEqual(
    problemsOf({ proxy: { preserve_host: "yes", retries: 11, retry_buffer: "10 megs" } }),
    [
      { path: "proxy.preserve_host", message: '"yes" is not true or false' },
      { path: "proxy.retries", message: "11 is out of range 0-10" },
      {
        path: "proxy.retry_buffer",
        message: '"10 megs" is not a size (use 512kb, 10mb, 1gb or bytes)',
      },
    ],
  );
});

Deno.test("validateConfig() reports bad keep-alive settings, every one", () => {
  assert.deepEqual(
    problemsOf({ proxy: { keepalive: -1, keepalive_timeout: "0s", keepalive_requests: 0 } }),
    [
      { path: "proxy.keepalive", message: "-1 is out of range 0-65536" },
      {
        path: "proxy.keepalive_timeout",
        message: '"0s" must be more than 0',
      },
      { path: "proxy.keepalive_requests", message: "0 is less than the minimum 1" },
    ],
  );
  assert.deepEqual(
    problemsOf({
      proxy: { keepalive: 65_537, keepalive_timeout: "soon", keepalive_requests: 2.5 },
    }),
    [
      { path: "proxy.keepalive", message: "65537 is out of range 0-65536" },
      {
        path: "proxy.keepalive_timeout",
        message: '"soon" is not a duration (use 250ms, 2s, 1m or milliseconds)',
      },
      { path: "proxy.keepalive_requests", message: "2.5 is not an integer" },
    ],
  );
  const proxy = validateConfig({
    proxy: { keepalive: "0", keepalive_timeout: 250, keepalive_requests: "7" },
  }).proxy;
  assert.deepEqual(
    [proxy.keepalive, proxy.keepaliveTimeoutMs, proxy.keepaliveRequests],
    [0, 250, 7],
  );
});

Deno.test("validateConfig() reports unknown keys at every level, with suggestions", () => {
  assert.deepEqual(
    problemsOf({
      prot: 8080,
      retries: 2,
      colour: "red",
      health: { intervall: "1s", healthyThreshold: 1 },
      backends: [{ url: "http://a", wieght: 2 }],
    }),
    [
      { path: "backends[0].wieght", message: 'unknown key "wieght" (did you mean "weight"?)' },
      { path: "health.intervall", message: 'unknown key "intervall" (did you mean "interval"?)' },
      {
        path: "health.healthyThreshold",
        message: 'unknown key "healthyThreshold" (did you mean "healthy_threshold"?)',
      },
      { path: "prot", message: 'unknown key "prot" (did you mean "port"?)' },
      { path: "retries", message: 'unknown key "retries" (did you mean "proxy.retries"?)' },
      { path: "colour", message: 'unknown key "colour"' },
    ],
  );
});

Deno.test("validateConfig() reports a section that is not an object", () => {
  assert.deepEqual(problemsOf({ health: 5 }), [
    { path: "health", message: "5 is not an object (a mapping of keys to values)" },
  ]);
  assert.deepEqual(problemsOf([]), [
    { path: "", message: "[] is not an object (a mapping of keys to values)" },
  ]);
});

Deno.test("validateConfig() lists every problem at once", () => {
  const paths = problemsOf({
    prot: 1,
    port: 99999,
    strategy: "foo",
    backends: ["http://a", "localhost:9001"],
    health: { interval: "10 sec", path: "x" },
    logging: { level: "loud" },
  }).map((problem) => problem.path);
  assert.deepEqual(paths.toSorted(), [
    "backends[1]",
    "health.interval",
    "health.path",
    "logging.level",
    "port",
    "prot",
    "strategy",
  ]);
});

Deno.test("validateConfig() defaults the admin server to 127.0.0.1:8090 without a token", () => {
  const { admin } = validateConfig({});
  assert.deepEqual(admin, { host: "127.0.0.1", port: 8090, token: undefined, allowedHosts: [] });
  assert.deepEqual(admin, { ...CONFIG_DEFAULTS.admin, token: undefined, allowedHosts: [] });
  assert.deepEqual(validateConfig({ admin: null }).admin, admin);
  assert.deepEqual(validateConfig({ admin: { port: "0" } }).admin, { ...admin, port: 0 });
});

Deno.test("validateConfig() reports an admin port out of range, or not an integer", () => {
  assert.deepEqual(problemsOf({ admin: { port: 65_536 } }), [
    { path: "admin.port", message: "65536 is out of range 0-65535" },
  ]);
  assert.deepEqual(problemsOf({ admin: { port: "x" } }), [
    { path: "admin.port", message: '"x" is not an integer' },
  ]);
  assert.deepEqual(problemsOf({ admin: { port: 1.5 } }), [
    { path: "admin.port", message: "1.5 is not an integer" },
  ]);
});

Deno.test("validateConfig() reports an admin host that includes a port or is not a host", () => {
  assert.deepEqual(problemsOf({ admin: { host: "127.0.0.1:8090" } }), [{
    path: "admin.host",
    message:
      '"127.0.0.1:8090" must not include a port (set the port with "admin.port" or --admin-port)',
  }]);
  assert.deepEqual(problemsOf({ admin: { host: "" } }), [
    { path: "admin.host", message: '"" is empty (use 0.0.0.0 for every interface)' },
  ]);
  assert.deepEqual(problemsOf({ admin: { host: "http://x" } }), [
    { path: "admin.host", message: '"http://x" is not a host name or IP address' },
  ]);
});

const NEEDS_TOKEN = "needs a token (--admin-token, SLUICE_ADMIN_TOKEN or admin.token): " +
  "without one anyone who can reach it can change the pool";

Deno.test("validateConfig() refuses an admin server beyond loopback without a token", () => {
  assert.deepEqual(problemsOf({ admin: { host: "0.0.0.0" } }), [
    { path: "admin.token", message: `the admin API on "0.0.0.0" ${NEEDS_TOKEN}` },
  ]);
  assert.deepEqual(problemsOf({ admin: { host: "10.1.2.3", port: 9000 } }), [
    { path: "admin.token", message: `the admin API on "10.1.2.3" ${NEEDS_TOKEN}` },
  ]);
  assert.deepEqual(problemsOf({ admin: { host: "::" } }), [
    { path: "admin.token", message: `the admin API on "::" ${NEEDS_TOKEN}` },
  ]);
});

Deno.test("validateConfig() allows no admin token on loopback or with the admin server off", () => {
  for (const host of ["127.0.0.1", "127.0.0.53", "::1", "[::1]", "localhost"]) {
    assert.equal(validateConfig({ admin: { host } }).admin.host, host);
  }
  assert.deepEqual(validateConfig({ admin: { host: "0.0.0.0", port: 0 } }).admin, {
    host: "0.0.0.0",
    port: 0,
    token: undefined,
    allowedHosts: [],
  });
  const token = "0123456789abcdef";
  assert.equal(validateConfig({ admin: { host: "0.0.0.0", token } }).admin.token, token);
});

Deno.test("validateConfig() reports a weak or malformed admin token without showing it", () => {
  const cases: [unknown, string[]][] = [
    ["", ["is empty (give at least 16 characters, or leave it unset)"]],
    [
      "hunter2",
      [
        "is 7 characters long: a token under 16 characters can be guessed " +
        "(make one with: openssl rand -hex 32)",
      ],
    ],
    [
      "with space 0123456789",
      [
        "must be visible ASCII characters only: no spaces, control characters or accented " +
        "letters (it is sent in an HTTP header)",
      ],
    ],
    ["tab\t0123456789abcdef", ["must be visible ASCII characters only"]],
    ["nul\u00000123456789abcdef", ["must be visible ASCII characters only"]],
    ["pässwörd-0123456789", ["must be visible ASCII characters only"]],
    ["x y", ["must be visible ASCII characters only", "is 3 characters long"]],
    [1234567890123456, ["must be a string (quote it in YAML)"]],
    [null, ["must be a string (quote it in YAML)"]],
  ];
  for (const [token, expected] of cases) {
    const problems = problemsOf({ admin: { token } });
    assert.deepEqual(
      problems.map((problem) => problem.path),
      expected.map(() => "admin.token"),
      String(token),
    );
    problems.forEach((problem, i) => {
      assert.ok(problem.message.startsWith(expected[i] ?? "?"), problem.message);
      if (String(token).length > 0) {
        assert.ok(!problem.message.includes(String(token)), problem.message);
      }
    });
  }
});

Deno.test("validateConfig() accepts a token of 16 or more visible ASCII characters", () => {
  for (const token of ["0123456789abcdef", "A-Za-z0-9._~+/=!#$%&'*^`|", "x".repeat(512)]) {
    assert.equal(validateConfig({ admin: { token } }).admin.token, token);
  }
});

Deno.test("validateConfig() reports an admin port that is the proxy's port on one address", () => {
  const turnOff = "use another port, or 0 to turn the admin server off";
  assert.deepEqual(problemsOf({ host: "127.0.0.1", port: 8090 }), [{
    path: "admin.port",
    message: `8090 is also the proxy's port on "127.0.0.1": ${turnOff}`,
  }]);
  assert.deepEqual(problemsOf({ port: 9000, admin: { port: 9000 } }), [{
    path: "admin.port",
    message: `9000 is also the proxy's port and "0.0.0.0" is every address: ${turnOff}`,
  }]);
  const token = "0123456789abcdef";
  assert.deepEqual(
    problemsOf({ host: "10.0.0.1", port: 1, admin: { host: "[::]", port: 1, token } }),
    [{
      path: "admin.port",
      message: `1 is also the proxy's port and "[::]" is every address: ${turnOff}`,
    }],
  );
  assert.deepEqual(problemsOf({ host: "::", port: 1, admin: { host: "[0::0]", port: 1, token } }), [
    {
      path: "admin.port",
      message: `1 is also the proxy's port on "::": ${turnOff}`,
    },
  ]);
});

Deno.test("validateConfig() lets the admin server share a port number on another address", () => {
  const config = validateConfig({ host: "10.0.0.1", port: 8090 });
  assert.deepEqual([config.port, config.admin.port], [8090, 8090]);
  assert.equal(validateConfig({ port: 0, admin: { port: 0 } }).admin.port, 0);
  assert.equal(validateConfig({ host: "127.0.0.1", port: 0 }).port, 0);
});

Deno.test("validateConfig() suggests admin keys", () => {
  assert.deepEqual(problemsOf({ token: "0123456789abcdef", admin: { prot: 1 } }), [
    { path: "admin.prot", message: 'unknown key "prot" (did you mean "port"?)' },
    { path: "token", message: 'unknown key "token" (did you mean "admin.token"?)' },
  ]);
  assert.deepEqual(problemsOf({ admin: "0.0.0.0" }), [
    { path: "admin", message: '"0.0.0.0" is not an object (a mapping of keys to values)' },
  ]);
});

Deno.test("validateConfig() lists the admin problems with every other one", () => {
  assert.deepEqual(
    problemsOf({
      host: "0.0.0.0",
      port: 8090,
      strategy: "foo",
      admin: { host: "0.0.0.0", extra: true },
    }),
    [
      { path: "strategy", message: `"foo" is not one of ${STRATEGIES}` },
      { path: "admin.extra", message: 'unknown key "extra"' },
      { path: "admin.token", message: `the admin API on "0.0.0.0" ${NEEDS_TOKEN}` },
      {
        path: "admin.port",
        message: `8090 is also the proxy's port on "0.0.0.0": use another port, or 0 to turn ` +
          "the admin server off",
      },
    ],
  );
  assert.deepEqual(
    problemsOf({ port: 8090, proxy: { retries: 11 }, admin: { token: "short token" } })
      .map((problem) => problem.path),
    ["proxy.retries", "admin.token", "admin.token", "admin.port"],
  );
});

Deno.test("validateConfig() reports the missing admin token where the host came from", () => {
  const renamePath = (path: string) => (path === "admin.host" ? "--admin-host" : path);
  assert.throws(() => validateConfig({ admin: { host: "0.0.0.0" } }, { renamePath }), {
    name: "ConfigError",
    message: `--admin-host: the admin API on "0.0.0.0" ${NEEDS_TOKEN}`,
  });
});

Deno.test("validateConfig() renames problem paths through renamePath", () => {
  assert.throws(
    () =>
      validateConfig({ port: "abc" }, {
        renamePath: (path) => (path === "port" ? "--port" : path),
      }),
    { name: "ConfigError", message: '--port: "abc" is not an integer' },
  );
});

Deno.test("createConfigSchema() is a zod schema from the file shape to Config", () => {
  const result = createConfigSchema({ defaultLogFormat: "pretty" }).safeParse({ port: 1 });
  assert.ok(result.success);
  assert.equal(result.data.port, 1);
  assert.equal(result.data.logging.format, "pretty");
  assert.equal(createConfigSchema().safeParse({ port: -1 }).success, false);
});

Deno.test("validateConfig() never shares default arrays between results", () => {
  const first = validateConfig({});
  first.backends.push({ url: "http://x", name: "x", weight: 1 });
  assert.deepEqual(validateConfig({}).backends, []);
});

Deno.test("validateConfig() reads every hash key form", () => {
  const keyOf = (hash_key: string) => validateConfig({ hash_key }).hashKey;
  assert.deepEqual(keyOf("ip"), { source: "ip" });
  assert.deepEqual(keyOf("path"), { source: "path" });
  assert.deepEqual(keyOf("header:X-User-Id"), { source: "header", name: "x-user-id" });
  assert.deepEqual(keyOf("cookie:session"), { source: "cookie", name: "session" });
});

Deno.test("validateConfig() lists the hash key forms for a bad one", () => {
  const forms = "is not one of ip, path, header:NAME, cookie:NAME (NAME: letters, digits and " +
    "!#$%&'*+-.^_`|~)";
  assert.deepEqual(
    ["url", "header:", "cookie:a b", "IP"].flatMap((hash_key) => problemsOf({ hash_key })),
    [
      { path: "hash_key", message: `"url" ${forms}` },
      { path: "hash_key", message: `"header:" ${forms}` },
      { path: "hash_key", message: `"cookie:a b" ${forms}` },
      { path: "hash_key", message: `"IP" ${forms}` },
    ],
  );
  assert.deepEqual(problemsOf({ hash_key: 1 }), [{
    path: "hash_key",
    message: "1 is not a string",
  }]);
});

Deno.test("validateConfig() turns sticky sessions on with a cookie name", () => {
  assert.deepEqual(
    validateConfig({ sticky: { cookie: "lb", secret: "0123456789abcdef" } }).sticky,
    {
      cookie: "lb",
      secret: "0123456789abcdef",
      secretGenerated: false,
    },
  );
  assert.equal(validateConfig({}).sticky, undefined);
  assert.equal(
    validateConfig({ sticky: { secret: "0123456789abcdef" } }).sticky,
    undefined,
    "a secret alone (e.g. from a shared environment) does not turn stickiness on",
  );
});

Deno.test("validateConfig() makes a random sticky secret per process when none is set", () => {
  const first = validateConfig({ sticky: { cookie: "lb" } }).sticky;
  const second = validateConfig({ sticky: { cookie: "lb" } }).sticky;
  assert.equal(first?.secretGenerated, true);
  assert.match(first?.secret ?? "", /^[0-9a-f]{64}$/, "32 random bytes");
  assert.notEqual(first?.secret, second?.secret);
});

Deno.test("validateConfig() checks the sticky cookie name and secret", () => {
  const token =
    "letters, digits and !#$%&'*+-.^_`|~ only (an RFC 6265 token), e.g. sluice_upstream";
  assert.deepEqual(
    problemsOf({ sticky: { cookie: "my cookie", secret: "short", extra: 1 } }),
    [
      { path: "sticky.cookie", message: `"my cookie" is not a cookie name: use ${token}` },
      {
        path: "sticky.secret",
        message: "is 5 characters long: a secret under 16 characters can be guessed (make one " +
          "with: openssl rand -hex 32)",
      },
      { path: "sticky.extra", message: 'unknown key "extra"' },
    ],
  );
  assert.deepEqual(problemsOf({ sticky: { cookie: "", secret: "" } }), [
    { path: "sticky.cookie", message: `"" is not a cookie name: use ${token}` },
    {
      path: "sticky.secret",
      message: "is empty (give at least 16 characters, or leave it unset)",
    },
  ]);
  for (const cookie of ["a=b", "a;b", "a,b", "é", "a\tb", '"a"']) {
    assert.equal(problemsOf({ sticky: { cookie } }).length, 1, cookie);
  }
  assert.deepEqual(problemsOf({ sticky: { secret: 1234567890123456 } }), [
    { path: "sticky.secret", message: "must be a string (quote it in YAML)" },
  ]);
  assert.deepEqual(problemsOf({ sticky: "lb" }), [
    { path: "sticky", message: '"lb" is not an object (a mapping of keys to values)' },
  ]);
  assert.deepEqual(problemsOf({ sticky: { cookei: "lb" } }), [
    { path: "sticky.cookei", message: 'unknown key "cookei" (did you mean "cookie"?)' },
  ]);
});

Deno.test("validateConfig() normalises trusted proxies, from a list or a comma-separated string", () => {
  assert.deepEqual(
    validateConfig({
      trusted_proxies: ["10.0.0.0/8", " 192.0.2.7 ", "::1", "2001:DB8:0::/48", "10.0.0.0/8"],
    }).trustedProxies,
    ["10.0.0.0/8", "192.0.2.7/32", "::1/128", "2001:db8::/48"],
  );
  assert.deepEqual(
    validateConfig({ trusted_proxies: "127.0.0.1, ::ffff:10.0.0.0/104,," }).trustedProxies,
    ["127.0.0.1/32", "10.0.0.0/8"],
  );
  assert.deepEqual(validateConfig({ trusted_proxies: [] }).trustedProxies, []);
  assert.deepEqual(validateConfig({ trusted_proxies: "" }).trustedProxies, []);
});

Deno.test("validateConfig() reports every bad trusted proxy by its place", () => {
  assert.deepEqual(problemsOf({ trusted_proxies: ["10.0.0.1/8", "lb.internal", "::/200", 7] }), [
    {
      path: "trusted_proxies[0]",
      message: '"10.0.0.1/8" has bits set past its prefix (did you mean 10.0.0.0/8 or ' +
        "10.0.0.1/32?)",
    },
    {
      path: "trusted_proxies[1]",
      message: '"lb.internal" is not an IP address or CIDR block (e.g. 10.0.0.0/8, ' +
        "2001:db8::/32, 192.0.2.7)",
    },
    {
      path: "trusted_proxies[2]",
      message: '"::/200" has a prefix length over 128, the bits of the address',
    },
    { path: "trusted_proxies[3]", message: "7 is not a string" },
  ]);
  assert.deepEqual(problemsOf({ trusted_proxies: { a: 1 } }), [{
    path: "trusted_proxies",
    message: '{"a":1} is not a list of IP addresses or CIDR blocks',
  }]);
});

Deno.test("validateConfig() defaults the resilience settings", () => {
  const config = validateConfig({});
  assert.deepEqual(
    { proxy: config.proxy, idleMs: config.timeouts.idleMs },
    {
      proxy: {
        transport: "http1",
        preserveHost: true,
        retries: 1,
        retryNonIdempotent: false,
        verboseErrors: false,
        retryBudgetPercent: 20,
        retryBudgetMin: 3,
        retryBufferBytes: 65_536,
        keepalive: 256,
        keepaliveTimeoutMs: 4_000,
        keepaliveRequests: 1_000,
      },
      idleMs: 60_000,
    },
  );
  assert.deepEqual(config.passive, {
    failures: 5,
    ejectionTimeMs: 30_000,
    maxEjectionTimeMs: 300_000,
    maxEjectionPercent: 10,
  });
  assert.deepEqual(config.limits, {
    maxConnectionsPerUpstream: 0,
    queueSize: 100,
    queueTimeoutMs: 5_000,
    slowStartMs: 0,
    maxBodyBytes: 0,
    rateLimitRps: 0,
    rateBurst: 1,
    maxUrlBytes: 8_192,
    maxHeaderBytes: 32_768,
    maxClientConnections: 10_000,
  });
  const { rateBurst: _, ...limits } = config.limits;
  assert.deepEqual(limits, CONFIG_DEFAULTS.limits);
  assert.deepEqual(config.passive, CONFIG_DEFAULTS.passive);
  assert.deepEqual(config.proxy, CONFIG_DEFAULTS.proxy);
  assert.deepEqual(config.timeouts, CONFIG_DEFAULTS.timeouts);
});

Deno.test("validateConfig() reads retry_non_idempotent as a boolean, or as flags write it", () => {
  const retry = (value: unknown) =>
    validateConfig({ proxy: { retry_non_idempotent: value } }).proxy.retryNonIdempotent;
  assert.equal(retry(true), true);
  assert.equal(retry(false), false);
  assert.equal(retry("true"), true);
  assert.equal(retry("1"), true);
  assert.equal(retry("false"), false);
  assert.equal(retry("0"), false);
});

Deno.test("validateConfig() reports bad retry settings", () => {
  assert.deepEqual(
    problemsOf({
      proxy: { retry_non_idempotent: "yes", retry_budget_percent: 101, retry_budget_min: -1 },
    }),
    [
      { path: "proxy.retry_non_idempotent", message: '"yes" is not one of true, false, 1, 0' },
      { path: "proxy.retry_budget_percent", message: "101 is out of range 0-100" },
      { path: "proxy.retry_budget_min", message: "-1 is less than the minimum 0" },
    ],
  );
  assert.deepEqual(
    problemsOf({
      proxy: { retry_non_idempotent: 1, retry_budget_percent: "lots", retry_budget_min: 1.5 },
    }),
    [
      { path: "proxy.retry_non_idempotent", message: "1 is not true or false" },
      { path: "proxy.retry_budget_percent", message: '"lots" is not a number' },
      { path: "proxy.retry_budget_min", message: "1.5 is not an integer" },
    ],
  );
  for (const value of ["TRUE", "yes", "on", ""]) {
    assert.deepEqual(problemsOf({ proxy: { retry_non_idempotent: value } }), [
      {
        path: "proxy.retry_non_idempotent",
        message: `${JSON.stringify(value)} is not one of true, false, 1, 0`,
      },
    ]);
  }
  assert.equal(
    validateConfig({ proxy: { retry_budget_percent: "12.5" } }).proxy.retryBudgetPercent,
    12.5,
  );
});

Deno.test("validateConfig() reads timeouts.idle, 0 turning it off", () => {
  assert.equal(validateConfig({ timeouts: { idle: "2m" } }).timeouts.idleMs, 120_000);
  assert.equal(validateConfig({ timeouts: { idle: 0 } }).timeouts.idleMs, 0);
  assert.deepEqual(problemsOf({ timeouts: { idle: "soon" } }), [{
    path: "timeouts.idle",
    message: '"soon" is not a duration (use 250ms, 2s, 1m or milliseconds)',
  }]);
});

Deno.test("validateConfig() reports bad passive health settings", () => {
  assert.deepEqual(
    problemsOf({
      passive: {
        failures: -1,
        ejection_time: 0,
        max_ejection_time: "1s",
        max_ejection_percent: 101,
      },
    }),
    [
      { path: "passive.failures", message: "-1 is less than the minimum 0" },
      // No comparison with an ejection time that is itself wrong.
      { path: "passive.ejection_time", message: "0 must be more than 0" },
      { path: "passive.max_ejection_percent", message: "101 is out of range 0-100" },
    ],
  );
  assert.deepEqual(problemsOf({ passive: { max_ejection_time: 0, failures: "x" } }), [
    { path: "passive.failures", message: '"x" is not an integer' },
    { path: "passive.max_ejection_time", message: "0 must be more than 0" },
  ]);
});

Deno.test("validateConfig() reports a max ejection time shorter than the ejection time", () => {
  const shorter = "30s is shorter than the ejection time, 1m (--ejection-time, " +
    "SLUICE_EJECTION_TIME or passive.ejection_time)";
  assert.deepEqual(problemsOf({ passive: { ejection_time: "1m", max_ejection_time: "30s" } }), [
    { path: "passive.max_ejection_time", message: shorter },
  ]);
  assert.deepEqual(problemsOf({ passive: { max_ejection_time: "10s" } }), [{
    path: "passive.max_ejection_time",
    message: "10s is shorter than the ejection time, 30s (--ejection-time, " +
      "SLUICE_EJECTION_TIME or passive.ejection_time)",
  }]);
  // Shown with the section's other problems.
  assert.deepEqual(
    problemsOf({ passive: { ejection_time: "1m", max_ejection_time: "30s", failures: -1 } }),
    [
      { path: "passive.failures", message: "-1 is less than the minimum 0" },
      { path: "passive.max_ejection_time", message: shorter },
    ],
  );
  const equal = validateConfig({ passive: { ejection_time: "1m", max_ejection_time: "1m" } });
  assert.equal(equal.passive.maxEjectionTimeMs, 60_000);
});

Deno.test("validateConfig() raises the default max ejection time to a longer ejection time", () => {
  assert.deepEqual(validateConfig({ passive: { ejection_time: "10m" } }).passive, {
    failures: 5,
    ejectionTimeMs: 600_000,
    maxEjectionTimeMs: 600_000,
    maxEjectionPercent: 10,
  });
  assert.equal(
    validateConfig({ passive: { ejection_time: "1m" } }).passive.maxEjectionTimeMs,
    300_000,
  );
});

Deno.test("validateConfig() reports bad limits", () => {
  assert.deepEqual(
    problemsOf({
      limits: {
        max_connections_per_upstream: -1,
        queue_size: "x",
        queue_timeout: 0,
        slow_start: "later",
        max_body_size: "10 megs",
        rate_limit: -1,
        rate_burst: 0,
        max_url_length: 0,
        max_header_size: "big",
      },
    }),
    [
      { path: "limits.max_connections_per_upstream", message: "-1 is less than the minimum 0" },
      { path: "limits.queue_size", message: '"x" is not an integer' },
      { path: "limits.queue_timeout", message: "0 must be more than 0" },
      {
        path: "limits.slow_start",
        message: '"later" is not a duration (use 250ms, 2s, 1m or milliseconds)',
      },
      {
        path: "limits.max_body_size",
        message: '"10 megs" is not a size (use 512kb, 10mb, 1gb or bytes)',
      },
      { path: "limits.rate_limit", message: "-1 is less than the minimum 0" },
      { path: "limits.rate_burst", message: "0 is less than the minimum 1" },
      { path: "limits.max_url_length", message: "0 must be more than 0" },
      {
        path: "limits.max_header_size",
        message: '"big" is not a size (use 512kb, 10mb, 1gb or bytes)',
      },
    ],
  );
  assert.deepEqual(problemsOf({ limits: { rate_limit: "fast", rate_burst: 2.5 } }), [
    { path: "limits.rate_limit", message: '"fast" is not a number' },
    { path: "limits.rate_burst", message: "2.5 is not an integer" },
  ]);
  assert.deepEqual(problemsOf({ limits: { rate_limit: Infinity } }), [
    { path: "limits.rate_limit", message: "Infinity is not a finite number" },
  ]);
});

Deno.test("validateConfig() reports a rate burst without a rate limit", () => {
  const off = "5 is set but rate limiting is off: set a rate too (--rate-limit, " +
    "SLUICE_RATE_LIMIT or limits.rate_limit), or leave the burst out";
  assert.deepEqual(problemsOf({ limits: { rate_burst: 5 } }), [
    { path: "limits.rate_burst", message: off },
  ]);
  assert.deepEqual(problemsOf({ limits: { rate_limit: 0, rate_burst: 5, queue_size: -1 } }), [
    { path: "limits.queue_size", message: "-1 is less than the minimum 0" },
    { path: "limits.rate_burst", message: off },
  ]);
});

Deno.test("validateConfig() defaults the rate burst to the rate rounded up, at least 1", () => {
  const burst = (limits: object) => validateConfig({ limits }).limits.rateBurst;
  assert.equal(burst({ rate_limit: 2.5 }), 3);
  assert.equal(burst({ rate_limit: 100 }), 100);
  assert.equal(burst({ rate_limit: 0.5 }), 1);
  assert.equal(burst({ rate_limit: "0.5" }), 1);
  assert.equal(burst({ rate_limit: 10, rate_burst: 2 }), 2);
  assert.equal(validateConfig({ limits: { rate_limit: ".25" } }).limits.rateLimitRps, 0.25);
});

Deno.test("validateConfig() reads sizes and sizes written as flags give them", () => {
  const { limits } = validateConfig({
    limits: { max_body_size: "512kb", max_url_length: "2048", max_header_size: "1mb" },
  });
  assert.deepEqual(
    [limits.maxBodyBytes, limits.maxUrlBytes, limits.maxHeaderBytes],
    [524_288, 2_048, 1_048_576],
  );
});

Deno.test("validateConfig() suggests keys of the new sections", () => {
  assert.deepEqual(
    problemsOf({
      limits: { ratelimit: 1 },
      passive: { max_ejection_precent: 5 },
      rate_limit: 1,
      proxy: { retry_non_idempotant: true },
    }),
    [
      {
        path: "proxy.retry_non_idempotant",
        message: 'unknown key "retry_non_idempotant" (did you mean "retry_non_idempotent"?)',
      },
      {
        path: "passive.max_ejection_precent",
        message: 'unknown key "max_ejection_precent" (did you mean "max_ejection_percent"?)',
      },
      { path: "limits.ratelimit", message: 'unknown key "ratelimit" (did you mean "rate_limit"?)' },
      {
        path: "rate_limit",
        message: 'unknown key "rate_limit" (did you mean "limits.rate_limit"?)',
      },
    ],
  );
});

Deno.test("validateConfig() lists resilience problems with every other one", () => {
  const paths = problemsOf({
    port: 99999,
    proxy: { retries: 11, retry_non_idempotent: "maybe" },
    timeouts: { idle: -1 },
    passive: { ejection_time: "1m", max_ejection_time: "1s" },
    limits: { rate_burst: 3, max_body_size: "huge" },
    health: { interval: "10 sec" },
  }).map((problem) => problem.path);
  assert.deepEqual(paths.toSorted(), [
    "health.interval",
    "limits.max_body_size",
    "limits.rate_burst",
    "passive.max_ejection_time",
    "port",
    "proxy.retries",
    "proxy.retry_non_idempotent",
    "timeouts.idle",
  ]);
});

Deno.test("validateConfig() reads admin.allowed_hosts as host names with an optional port", () => {
  const hosts = (value: unknown) => validateConfig({ admin: { allowed_hosts: value } }).admin;
  assert.deepEqual(hosts("a.example, B.example:8090").allowedHosts, [
    "a.example",
    "b.example:8090",
  ]);
  assert.deepEqual(hosts(["[::1]:9000", "10.0.0.1"]).allowedHosts, ["[::1]:9000", "10.0.0.1"]);
  for (const bad of ["http://a.example", "a.example/x", "a b", "a.example:99999", "*"]) {
    assert.throws(() => hosts([bad]), /admin\.allowed_hosts/, bad);
  }
});
