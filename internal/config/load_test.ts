import assert from "node:assert/strict";
import { ConfigError, type ConfigProblem } from "./errors.ts";
import { HELP_TEXT } from "./help.ts";
import { loadConfig, type LoadConfigOptions, type LoadResult } from "./load.ts";
import { DEFAULTS, STRATEGIES } from "./_test_defaults.ts";
import type { Config } from "./types.ts";

const TESTDATA = `${import.meta.dirname}/testdata`;

/** Options for a hermetic load: the given environment, files from a map, json logs. */
function hermetic(
  env: Record<string, string> = {},
  files: Record<string, string> = {},
): LoadConfigOptions {
  return {
    env: (name) => env[name],
    readTextFile: (path) =>
      path in files
        ? Promise.resolve(files[path] ?? "")
        : Promise.reject(new Deno.errors.NotFound(`no ${path}`)),
    queryPermission: () => "granted",
    defaultLogFormat: "json",
  };
}

async function configOf(args: string[], options: LoadConfigOptions): Promise<Config> {
  const result = await loadConfig(args, options);
  assert.equal(result.kind, "config");
  return (result as Extract<LoadResult, { kind: "config" }>).config;
}

async function problemsOf(
  args: string[],
  options: LoadConfigOptions,
): Promise<readonly ConfigProblem[]> {
  try {
    await loadConfig(args, options);
  } catch (error) {
    assert.ok(error instanceof ConfigError, `expected a ConfigError, got ${String(error)}`);
    return error.problems;
  }
  assert.fail("expected loadConfig() to throw");
}

Deno.test("loadConfig() returns the defaults when nothing is configured", async () => {
  assert.deepEqual(await loadConfig([], hermetic()), {
    kind: "config",
    config: DEFAULTS,
    sources: { file: undefined, overrides: {} },
  });
});

Deno.test("loadConfig() takes the log format default from its caller", async () => {
  const config = await configOf([], { ...hermetic(), defaultLogFormat: "pretty" });
  assert.equal(config.logging.format, "pretty");
});

Deno.test("loadConfig() prefers flags over environment over file over defaults, per key", async () => {
  const file = [
    "host: 10.0.0.1",
    "port: 1111",
    "health:",
    "  path: /from-file",
    "  interval: 20s",
    "logging:",
    "  level: warn",
  ].join("\n");
  const env = {
    SLUICE_CONFIG: "sluice.yaml",
    SLUICE_PORT: "2222",
    SLUICE_HEALTH_PATH: "/from-env",
    SLUICE_BACKEND_TIMEOUT: "5s",
  };
  const result = await loadConfig(
    ["--port", "3333", "--backend-timeout=7s"],
    hermetic(env, { "sluice.yaml": file }),
  );
  assert.deepEqual(result, {
    kind: "config",
    config: {
      ...DEFAULTS,
      host: "10.0.0.1", // file
      port: 3333, // flag over env over file
      health: { ...DEFAULTS.health, path: "/from-env", intervalMs: 20_000 }, // env, file
      timeouts: { ...DEFAULTS.timeouts, backendMs: 7_000 }, // flag over env
      logging: { level: "warn", format: "json", accessLog: "stdout" }, // file, default
    },
    sources: {
      file: "sluice.yaml",
      overrides: {
        port: "--port",
        "health.path": "SLUICE_HEALTH_PATH",
        "timeouts.backend": "--backend-timeout",
      },
    },
  });
});

Deno.test("loadConfig() maps every flag onto its config key", async () => {
  const config = await configOf([
    "--host=127.0.0.1",
    "--port=0",
    "--backends=http://a:1,http://b:2",
    "--strategy=round_robin",
    "--health-path=/healthz",
    "--health-interval=3s",
    "--health-timeout=1s",
    "--backend-timeout=4s",
    "--shutdown-timeout=5s",
    "--retries=3",
    "--retry-non-idempotent",
    "--max-connections-per-upstream=32",
    "--max-body-size=512kb",
    "--rate-limit=2.5",
    "--rate-burst=10",
    "--passive-failures=0",
    "--ejection-time=1m",
    "--log-level=error",
    "--log-format=pretty",
    "--admin-host=::1",
    "--admin-port=9091",
    "--admin-token=0123456789abcdef",
    "--admin-allowed-hosts=Sluice.internal:9091,admin.example",
  ], hermetic());
  assert.deepEqual(config, {
    ...DEFAULTS,
    host: "127.0.0.1",
    port: 0,
    backends: [
      { url: "http://a:1", name: "a:1", weight: 1 },
      { url: "http://b:2", name: "b:2", weight: 1 },
    ],
    health: { ...DEFAULTS.health, path: "/healthz", intervalMs: 3_000, timeoutMs: 1_000 },
    timeouts: { ...DEFAULTS.timeouts, backendMs: 4_000, shutdownMs: 5_000 },
    proxy: { ...DEFAULTS.proxy, retries: 3, retryNonIdempotent: true },
    passive: { ...DEFAULTS.passive, failures: 0, ejectionTimeMs: 60_000 },
    limits: {
      ...DEFAULTS.limits,
      maxConnectionsPerUpstream: 32,
      maxBodyBytes: 524_288,
      rateLimitRps: 2.5,
      rateBurst: 10,
    },
    logging: { level: "error", format: "pretty", accessLog: "stdout" },
    admin: {
      host: "::1",
      port: 9091,
      token: "0123456789abcdef",
      allowedHosts: ["sluice.internal:9091", "admin.example"],
    },
  });
});

const FILE_TOKEN = "file-token-0123456789";
const ENV_TOKEN = "env-token-0123456789";
const FLAG_TOKEN = "flag-token-0123456789";

Deno.test("loadConfig() takes each admin setting from flag, environment or file", async () => {
  const file = ["admin:", "  host: 10.0.0.1", "  port: 9001", `  token: ${FILE_TOKEN}`].join("\n");
  const files = { "sluice.yaml": file };
  const fromFile = await loadConfig(["--config=sluice.yaml"], hermetic({}, files));
  assert.deepEqual(fromFile.kind === "config" && fromFile.config.admin, {
    host: "10.0.0.1",
    port: 9001,
    token: FILE_TOKEN,
    allowedHosts: [],
  });
  const env = {
    SLUICE_ADMIN_HOST: "0.0.0.0",
    SLUICE_ADMIN_PORT: "9002",
    SLUICE_ADMIN_TOKEN: ENV_TOKEN,
  };
  const result = await loadConfig(
    ["--config=sluice.yaml", "--admin-port", "9003", "--admin-token", FLAG_TOKEN],
    hermetic(env, files),
  );
  assert.deepEqual(result, {
    kind: "config",
    config: {
      ...DEFAULTS,
      admin: { host: "0.0.0.0", port: 9003, token: FLAG_TOKEN, allowedHosts: [] }, // env, flag, flag
    },
    sources: {
      file: "sluice.yaml",
      overrides: {
        "admin.host": "SLUICE_ADMIN_HOST",
        "admin.port": "--admin-port",
        "admin.token": "--admin-token",
      },
    },
  });
  const tokenFromEnv = await configOf(["--config=sluice.yaml"], hermetic(env, files));
  assert.equal(tokenFromEnv.admin.token, ENV_TOKEN);
});

const NEEDS_TOKEN = "needs a token (--admin-token, SLUICE_ADMIN_TOKEN or admin.token): " +
  "without one anyone who can reach it can change the pool";

Deno.test("loadConfig() reports a missing admin token under the source of the host", async () => {
  assert.deepEqual(await problemsOf(["--admin-host", "0.0.0.0"], hermetic()), [
    { path: "--admin-host", message: `the admin API on "0.0.0.0" ${NEEDS_TOKEN}` },
  ]);
  assert.deepEqual(await problemsOf([], hermetic({ SLUICE_ADMIN_HOST: "192.168.1.5" })), [
    { path: "SLUICE_ADMIN_HOST", message: `the admin API on "192.168.1.5" ${NEEDS_TOKEN}` },
  ]);
  const files = { "s.yaml": "admin:\n  host: 0.0.0.0\n" };
  assert.deepEqual(
    await problemsOf(["--config=s.yaml", "--admin-port=9000"], hermetic({}, files)),
    [
      { path: "admin.token", message: `the admin API on "0.0.0.0" ${NEEDS_TOKEN}` },
    ],
  );
  const off = await configOf(["--config=s.yaml", "--admin-port=0"], hermetic({}, files));
  assert.deepEqual(off.admin, { host: "0.0.0.0", port: 0, token: undefined, allowedHosts: [] });
});

Deno.test("loadConfig() reports a bad admin token under its source, never showing it", async () => {
  const weak = "0123456789";
  const short = `is 10 characters long: a token under 16 characters can be guessed ` +
    "(make one with: openssl rand -hex 32)";
  assert.deepEqual(await problemsOf(["--admin-token", weak], hermetic()), [
    { path: "--admin-token", message: short },
  ]);
  assert.deepEqual(await problemsOf([], hermetic({ SLUICE_ADMIN_TOKEN: weak })), [
    { path: "SLUICE_ADMIN_TOKEN", message: short },
  ]);
  assert.deepEqual(await problemsOf(["--admin-token="], hermetic()), [
    { path: "--admin-token", message: "is empty (give at least 16 characters, or leave it unset)" },
  ]);
  await assert.rejects(
    loadConfig(["--admin-token", "not a good token"], hermetic()),
    (error: Error) => error instanceof ConfigError && !error.message.includes("not a good token"),
  );
});

Deno.test("loadConfig() reports an admin port that clashes with the proxy's", async () => {
  assert.deepEqual(await problemsOf(["--admin-port", "8080"], hermetic()), [{
    path: "--admin-port",
    message: `8080 is also the proxy's port and "0.0.0.0" is every address: use another port, ` +
      "or 0 to turn the admin server off",
  }]);
  assert.equal((await configOf(["--port=0", "--admin-port=0"], hermetic())).admin.port, 0);
});

Deno.test("loadConfig() lists admin problems with every other problem at once", async () => {
  const problems = await problemsOf(
    ["--admin-host=0.0.0.0", "--port=8090", "--strategy=foo"],
    hermetic({ SLUICE_ADMIN_PORT: "8090", SLUICE_LOG_LEVEL: "loud" }),
  );
  assert.deepEqual(problems.map((problem) => problem.path), [
    "--strategy",
    "SLUICE_LOG_LEVEL",
    "--admin-host",
    "SLUICE_ADMIN_PORT",
  ]);
});

Deno.test("loadConfig() replaces the file's backends with --backends or SLUICE_BACKENDS", async () => {
  const files = { "c.json": '{"backends": [{"url": "http://file:1", "weight": 5}]}' };
  const fromFile = await configOf(["--config", "c.json"], hermetic({}, files));
  assert.deepEqual(fromFile.backends, [{ url: "http://file:1", name: "file:1", weight: 5 }]);
  const fromEnv = await configOf(
    ["--config", "c.json"],
    hermetic({ SLUICE_BACKENDS: "http://env:1, http://env:2" }, files),
  );
  assert.deepEqual(fromEnv.backends.map((backend) => backend.url), [
    "http://env:1",
    "http://env:2",
  ]);
  const fromFlag = await configOf(
    ["--config", "c.json", "--backends", "http://flag:1"],
    hermetic({ SLUICE_BACKENDS: "http://env:1" }, files),
  );
  assert.deepEqual(fromFlag.backends.map((backend) => backend.url), ["http://flag:1"]);
});

Deno.test("loadConfig() reads a YAML config file", async () => {
  const result = await loadConfig(["--config", `${TESTDATA}/sluice.yaml`], {
    env: () => undefined,
    defaultLogFormat: "json",
  });
  assert.deepEqual(result, {
    kind: "config",
    config: {
      host: "127.0.0.1",
      port: 9090,
      listener: "http1",
      strategy: "round_robin",
      hashKey: { source: "header", name: "x-user-id" },
      sticky: {
        cookie: "sluice_upstream",
        secret: "test-sticky-secret-0123456789",
        secretGenerated: false,
      },
      trustedProxies: ["10.0.0.0/8", "::1/128"],
      backends: [
        { url: "http://localhost:9001", name: "a", weight: 2 },
        { url: "http://localhost:9002", name: "localhost:9002", weight: 1 },
      ],
      health: {
        path: "/health",
        intervalMs: 5_000,
        timeoutMs: 1_000,
        healthyThreshold: 1,
        unhealthyThreshold: 4,
      },
      timeouts: {
        backendMs: 10_000,
        connectMs: 2_000,
        idleMs: 15_000,
        shutdownMs: 60_000,
        clientHeaderMs: 5_000,
        clientBodyMs: 20_000,
        clientIdleMs: 30_000,
        clientSendMs: 40_000,
        tunnelMs: 7_200_000,
      },
      proxy: {
        transport: "http1",
        preserveHost: false,
        retries: 2,
        retryNonIdempotent: true,
        verboseErrors: true,
        retryBudgetPercent: 12.5,
        retryBudgetMin: 1,
        retryBufferBytes: 131_072,
        keepalive: 32,
        keepaliveTimeoutMs: 3_000,
        keepaliveRequests: 500,
      },
      passive: {
        failures: 3,
        ejectionTimeMs: 10_000,
        maxEjectionTimeMs: 120_000,
        maxEjectionPercent: 50,
      },
      limits: {
        maxConnectionsPerUpstream: 64,
        queueSize: 10,
        queueTimeoutMs: 2_000,
        slowStartMs: 30_000,
        maxBodyBytes: 10_485_760,
        rateLimitRps: 0.5,
        rateBurst: 5,
        maxUrlBytes: 4_096,
        maxHeaderBytes: 16_384,
        maxClientConnections: 500,
      },
      logging: { level: "debug", format: "pretty", accessLog: "stdout" },
      admin: {
        host: "0.0.0.0",
        port: 9091,
        token: "test-token-0123456789abcdef",
        allowedHosts: ["sluice.example.com"],
      },
      pools: [],
      routes: [],
      upstreamTls: DEFAULTS.upstreamTls,
      tls: undefined,
      compression: DEFAULTS.compression,
      discovery: DEFAULTS.discovery,
    },
    sources: { file: `${TESTDATA}/sluice.yaml`, overrides: {} },
  });
});

Deno.test("loadConfig() reads a JSON config file", async () => {
  const config = await configOf(["--config", `${TESTDATA}/sluice.json`], {
    env: () => undefined,
    defaultLogFormat: "json",
  });
  assert.deepEqual(config, {
    ...DEFAULTS,
    host: "127.0.0.1",
    port: 9090,
    backends: [
      { url: "http://localhost:9001", name: "a", weight: 2 },
      { url: "http://localhost:9002", name: "localhost:9002", weight: 1 },
    ],
    health: { ...DEFAULTS.health, path: "/health", intervalMs: 5_000, timeoutMs: 1_000 },
    timeouts: { ...DEFAULTS.timeouts, backendMs: 10_000 },
    logging: { level: "debug", format: "json", accessLog: "stdout" },
  });
});

Deno.test("loadConfig() accepts the minimal JSON file as it is", async () => {
  const config = await configOf(["--config", `${TESTDATA}/minimal.json`], {
    env: () => undefined,
    defaultLogFormat: "json",
  });
  assert.deepEqual(config, {
    ...DEFAULTS,
    backends: [{ url: "http://localhost:9001", name: "localhost:9001", weight: 1 }],
  });
});

Deno.test("loadConfig() finds the config file through SLUICE_CONFIG", async () => {
  const config = await configOf(
    [],
    hermetic({ SLUICE_CONFIG: "/etc/sluice.yaml" }, { "/etc/sluice.yaml": "port: 7000" }),
  );
  assert.equal(config.port, 7000);
});

Deno.test("loadConfig() reports a bad flag or variable value under its name", async () => {
  assert.deepEqual(await problemsOf(["--port", "abc"], hermetic()), [
    { path: "--port", message: '"abc" is not an integer' },
  ]);
  assert.deepEqual(await problemsOf([], hermetic({ SLUICE_PORT: "99999" })), [
    { path: "SLUICE_PORT", message: "99999 is out of range 0-65535" },
  ]);
  assert.deepEqual(await problemsOf(["--backends", "http://a:1,localhost:9001"], hermetic()), [
    {
      path: "--backends",
      message: '"localhost:9001" is not an http(s) URL (did you mean "http://localhost:9001"?)',
    },
  ]);
  assert.deepEqual(await problemsOf(["--health-interval", "10 sec"], hermetic()), [{
    path: "--health-interval",
    message: '"10 sec" is not a duration (use 250ms, 2s, 1m or milliseconds)',
  }]);
  assert.deepEqual(await problemsOf(["--strategy=foo"], hermetic()), [
    { path: "--strategy", message: `"foo" is not one of ${STRATEGIES}` },
  ]);
});

Deno.test("loadConfig() lists every problem of every source at once", async () => {
  const problems = await problemsOf(
    ["--config", `${TESTDATA}/invalid.yaml`, "--prot=1", "--log-level", "loud", "extra"],
    {
      env: (name) => (name === "SLUICE_HEALTH_PATH" ? "health" : undefined),
      defaultLogFormat: "json",
    },
  );
  assert.deepEqual(problems, [
    { path: "--prot", message: "unknown flag (did you mean --port? see --help)" },
    { path: "argv", message: 'unexpected argument "extra" (every option is a --flag; see --help)' },
    { path: "port", message: "99999 is out of range 0-65535" },
    { path: "strategy", message: `"foo" is not one of ${STRATEGIES}` },
    {
      path: "backends[1]",
      message: '"localhost:9001" is not an http(s) URL (did you mean "http://localhost:9001"?)',
    },
    { path: "SLUICE_HEALTH_PATH", message: '"health" must start with "/"' },
    {
      path: "health.interval",
      message: '"10 sec" is not a duration (use 250ms, 2s, 1m or milliseconds)',
    },
    { path: "--log-level", message: '"loud" is not one of debug, info, warn, error' },
    { path: "prot", message: 'unknown key "prot" (did you mean "port"?)' },
  ]);
});

Deno.test("loadConfig() throws a ConfigError whose message lists every problem", async () => {
  await assert.rejects(loadConfig(["--port=abc", "--strategy=foo"], hermetic()), {
    name: "ConfigError",
    message: `--port: "abc" is not an integer\n--strategy: "foo" is not one of ${STRATEGIES}`,
  });
});

Deno.test("loadConfig() reports a missing config file with the other problems", async () => {
  assert.deepEqual(await problemsOf(["--config", "nope.yaml", "--port", "-1"], hermetic()), [
    { path: "--config", message: 'cannot read "nope.yaml": no such file' },
    { path: "--port", message: "-1 is out of range 0-65535" },
  ]);
  assert.deepEqual(await problemsOf(["--config="], hermetic()), [
    { path: "--config", message: "needs a file path (--config FILE)" },
  ]);
});

Deno.test("loadConfig() reports an unreadable config file", async () => {
  const options = {
    ...hermetic({ SLUICE_CONFIG: "/etc/sluice.yaml" }),
    readTextFile: () => Promise.reject(new Deno.errors.PermissionDenied("EACCES")),
  };
  assert.deepEqual(await problemsOf([], options), [
    { path: "SLUICE_CONFIG", message: 'cannot read "/etc/sluice.yaml": permission denied' },
  ]);
  const odd = { ...hermetic(), readTextFile: () => Promise.reject("not an Error") };
  assert.deepEqual(await problemsOf(["--config", "x.yaml"], odd), [
    { path: "--config", message: 'cannot read "x.yaml": not an Error' },
  ]);
});

Deno.test("loadConfig() asks for --allow-read rather than reading without permission", async () => {
  const options: LoadConfigOptions = {
    ...hermetic({}, { "sluice.yaml": "port: 1" }),
    queryPermission: (descriptor) => (descriptor.name === "read" ? "prompt" : "granted"),
  };
  assert.deepEqual(await problemsOf(["--config", "sluice.yaml"], options), [{
    path: "--config",
    message:
      'reading "sluice.yaml" needs --allow-read (run: deno run --allow-net --allow-read main.ts ...)',
  }]);
});

Deno.test("loadConfig() reports a config file syntax error with line and column", async () => {
  const files = { "bad.yaml": "port: 1\nport: 2\n", "bad.json": '{"port": 1,}' };
  assert.deepEqual(await problemsOf(["--config", "bad.yaml"], hermetic({}, files)), [{
    path: "--config",
    message: '"bad.yaml" is not valid YAML: line 2, column 1: Map keys must be unique',
  }]);
  const [problem] = await problemsOf(["--config", "bad.json"], hermetic({}, files));
  assert.match(problem?.message ?? "", /^"bad\.json" is not valid JSON: .*column 12/);
});

Deno.test("loadConfig() does not read the environment without permission", async () => {
  const previous = Deno.env.get("SLUICE_PORT");
  Deno.env.set("SLUICE_PORT", "4321");
  try {
    const denied = await configOf([], {
      queryPermission: (descriptor) => (descriptor.name === "env" ? "prompt" : "granted"),
      defaultLogFormat: "json",
    });
    assert.equal(denied.port, 8080);
    const granted = await configOf([], {
      queryPermission: () => "granted",
      defaultLogFormat: "json",
    });
    assert.equal(granted.port, 4321);
  } finally {
    if (previous === undefined) Deno.env.delete("SLUICE_PORT");
    else Deno.env.set("SLUICE_PORT", previous);
  }
});

Deno.test("loadConfig() returns the help text without reading environment or files", async () => {
  const untouchable: LoadConfigOptions = {
    env: () => assert.fail("must not read the environment"),
    readTextFile: () => assert.fail("must not read a file"),
  };
  assert.deepEqual(await loadConfig(["--help"], untouchable), { kind: "help", text: HELP_TEXT });
  assert.deepEqual(await loadConfig(["--config", "x.yaml", "-h", "--prot"], untouchable), {
    kind: "help",
    text: HELP_TEXT,
  });
});

Deno.test("loadConfig() returns the version text", async () => {
  const result = await loadConfig(["--version"], { version: "1.2.3" });
  assert.deepEqual(result, { kind: "version", text: `sluice 1.2.3 (deno ${Deno.version.deno})` });
  const unknown = await loadConfig(["--version"]);
  assert.equal(unknown.kind === "version" && unknown.text.startsWith("sluice unknown "), true);
});

Deno.test("loadConfig() takes the sticky secret from SLUICE_STICKY_SECRET or the file", async () => {
  const files = { "s.yaml": "sticky:\n  cookie: lb\n  secret: file-secret-0123456789" };
  const fromEnv = await configOf(
    ["--sticky-cookie", "lb"],
    hermetic({ SLUICE_STICKY_SECRET: "env-secret-0123456789" }),
  );
  assert.deepEqual(fromEnv.sticky, {
    cookie: "lb",
    secret: "env-secret-0123456789",
    secretGenerated: false,
  });
  const fromFile = await configOf(["--config", "s.yaml"], hermetic({}, files));
  assert.equal(fromFile.sticky?.secret, "file-secret-0123456789");
  const both = await configOf(
    ["--config", "s.yaml", "--sticky-cookie", "other"],
    hermetic({ SLUICE_STICKY_SECRET: "env-secret-0123456789" }, files),
  );
  assert.deepEqual(both.sticky, {
    cookie: "other",
    secret: "env-secret-0123456789",
    secretGenerated: false,
  });
  const generated = await configOf(["--sticky-cookie", "lb"], hermetic());
  assert.equal(generated.sticky?.secretGenerated, true);
});

Deno.test("loadConfig() refuses the sticky secret on the command line", async () => {
  assert.deepEqual(
    await problemsOf(
      ["--sticky-cookie", "lb", "--sticky-secret", "flag-secret-0123456789"],
      hermetic(),
    ),
    [{
      path: "--sticky-secret",
      message: "is not accepted on the command line, where every user sees it (ps): set " +
        "SLUICE_STICKY_SECRET or sticky.secret in the config file",
    }],
  );
});

Deno.test("loadConfig() reports the new settings under the flag or variable that set them", async () => {
  assert.deepEqual(
    await problemsOf(
      ["--hash-key", "query", "--sticky-cookie", "a b", "--trusted-proxies", "10.0.0.0/8,nope"],
      hermetic({ SLUICE_STICKY_SECRET: "short" }),
    ),
    [
      {
        path: "--hash-key",
        message: '"query" is not one of ip, path, header:NAME, cookie:NAME (NAME: letters, ' +
          "digits and !#$%&'*+-.^_`|~)",
      },
      {
        path: "--sticky-cookie",
        message: '"a b" is not a cookie name: use letters, digits and !#$%&\'*+-.^_`|~ only ' +
          "(an RFC 6265 token), e.g. sluice_upstream",
      },
      {
        path: "SLUICE_STICKY_SECRET",
        message: "is 5 characters long: a secret under 16 characters can be guessed (make one " +
          "with: openssl rand -hex 32)",
      },
      {
        path: "--trusted-proxies",
        message: '"nope" is not an IP address or CIDR block (e.g. 10.0.0.0/8, 2001:db8::/32, ' +
          "192.0.2.7)",
      },
    ],
  );
});

Deno.test("loadConfig() reads hash key and trusted proxies from flags and variables", async () => {
  const config = await configOf(
    ["--hash-key", "cookie:session", "--trusted-proxies", "10.0.0.0/8", "--trusted-proxies=::1"],
    hermetic({ SLUICE_TRUSTED_PROXIES: "192.0.2.0/24" }),
  );
  assert.deepEqual(config.hashKey, { source: "cookie", name: "session" });
  assert.deepEqual(
    config.trustedProxies,
    ["10.0.0.0/8", "::1/128"],
    "the flag replaces the variable",
  );
  const fromEnv = await configOf(
    [],
    hermetic({ SLUICE_TRUSTED_PROXIES: "192.0.2.0/24, 2001:db8::/32", SLUICE_HASH_KEY: "path" }),
  );
  assert.deepEqual(fromEnv.trustedProxies, ["192.0.2.0/24", "2001:db8::/32"]);
  assert.deepEqual(fromEnv.hashKey, { source: "path" });
});

Deno.test("loadConfig() prefers flags over environment over file for the resilience settings", async () => {
  const file = [
    "proxy:",
    "  retries: 2",
    "passive:",
    "  failures: 7",
    "  ejection_time: 10s",
    "limits:",
    "  max_connections_per_upstream: 10",
    "  max_body_size: 1mb",
    "  rate_limit: 5",
    "  rate_burst: 8",
  ].join("\n");
  const env = {
    SLUICE_CONFIG: "sluice.yaml",
    SLUICE_RETRIES: "3",
    SLUICE_PASSIVE_FAILURES: "8",
    SLUICE_EJECTION_TIME: "20s",
    SLUICE_MAX_BODY_SIZE: "2mb",
    SLUICE_RATE_LIMIT: "0.5",
  };
  const result = await loadConfig(
    ["--retries", "4", "--ejection-time=40s", "--rate-limit", "50", "--max-body-size=512kb"],
    hermetic(env, { "sluice.yaml": file }),
  );
  assert.deepEqual(result, {
    kind: "config",
    config: {
      ...DEFAULTS,
      proxy: { ...DEFAULTS.proxy, retries: 4 }, // flag over env over file
      passive: { ...DEFAULTS.passive, failures: 8, ejectionTimeMs: 40_000 }, // env, flag
      limits: {
        ...DEFAULTS.limits,
        maxConnectionsPerUpstream: 10, // file
        maxBodyBytes: 524_288, // flag over env over file
        rateLimitRps: 50, // flag over env over file
        rateBurst: 8, // file
      },
    },
    sources: {
      file: "sluice.yaml",
      overrides: {
        "proxy.retries": "--retries",
        "passive.failures": "SLUICE_PASSIVE_FAILURES",
        "passive.ejection_time": "--ejection-time",
        "limits.max_body_size": "--max-body-size",
        "limits.rate_limit": "--rate-limit",
      },
    },
  });
});

Deno.test("loadConfig() takes --retry-non-idempotent from flag, environment or file", async () => {
  const files = {
    "on.yaml": "proxy:\n  retry_non_idempotent: true",
    "off.yaml": "proxy:\n  retry_non_idempotent: false",
  };
  const retry = async (args: string[], env: Record<string, string> = {}) =>
    (await configOf(args, hermetic(env, files))).proxy.retryNonIdempotent;
  assert.equal(await retry([]), false, "off by default");
  assert.equal(await retry(["--config=on.yaml"]), true, "file");
  assert.equal(await retry(["--config=on.yaml"], { SLUICE_RETRY_NON_IDEMPOTENT: "false" }), false);
  assert.equal(await retry(["--config=on.yaml"], { SLUICE_RETRY_NON_IDEMPOTENT: "0" }), false);
  assert.equal(await retry(["--config=off.yaml"], { SLUICE_RETRY_NON_IDEMPOTENT: "true" }), true);
  assert.equal(await retry([], { SLUICE_RETRY_NON_IDEMPOTENT: "1" }), true);
  assert.equal(await retry([], { SLUICE_RETRY_NON_IDEMPOTENT: "" }), false, "empty is unset");
  assert.equal(await retry(["--retry-non-idempotent"]), true, "flag");
  assert.equal(
    await retry(["--config=off.yaml", "--retry-non-idempotent"], {
      SLUICE_RETRY_NON_IDEMPOTENT: "false",
    }),
    true,
    "flag over env over file",
  );
  assert.equal(
    await retry(["--retry-non-idempotent=false"], { SLUICE_RETRY_NON_IDEMPOTENT: "true" }),
    false,
    "--flag=false over env",
  );
  const result = await loadConfig(["--retry-non-idempotent"], hermetic());
  assert.deepEqual(result.kind === "config" && result.sources.overrides, {
    "proxy.retry_non_idempotent": "--retry-non-idempotent",
  });
});

Deno.test("loadConfig() rejects an on/off value other than true, false, 1 or 0", async () => {
  for (const value of ["yes", "TRUE", "on", "2"]) {
    assert.deepEqual(await problemsOf([], hermetic({ SLUICE_RETRY_NON_IDEMPOTENT: value })), [{
      path: "SLUICE_RETRY_NON_IDEMPOTENT",
      message: `${JSON.stringify(value)} is not one of true, false, 1, 0`,
    }]);
  }
  assert.deepEqual(await problemsOf(["--retry-non-idempotent=maybe"], hermetic()), [
    { path: "--retry-non-idempotent", message: '"maybe" is not one of true, false, 1, 0' },
  ]);
  const files = { "sluice.yaml": "proxy:\n  retry_non_idempotent: yes please" };
  assert.deepEqual(await problemsOf(["--config=sluice.yaml"], hermetic({}, files)), [
    { path: "proxy.retry_non_idempotent", message: '"yes please" is not one of true, false, 1, 0' },
  ]);
});

Deno.test("loadConfig() reports resilience problems under the flag or variable that set them", async () => {
  const files = { "sluice.yaml": "passive:\n  max_ejection_time: 5m" };
  assert.deepEqual(
    await problemsOf(
      [
        "--config=sluice.yaml",
        "--retries=11",
        "--rate-burst",
        "10",
        "--max-body-size",
        "10 megs",
        "--ejection-time=10m",
        "--max-connections-per-upstream=-1",
      ],
      hermetic({ SLUICE_PASSIVE_FAILURES: "often", SLUICE_RATE_LIMIT: "-2" }, files),
    ),
    [
      { path: "--retries", message: "11 is out of range 0-10" },
      { path: "SLUICE_PASSIVE_FAILURES", message: '"often" is not an integer' },
      {
        path: "passive.max_ejection_time",
        message: "5m is shorter than the ejection time, 10m (--ejection-time, " +
          "SLUICE_EJECTION_TIME or passive.ejection_time)",
      },
      { path: "--max-connections-per-upstream", message: "-1 is less than the minimum 0" },
      {
        path: "--max-body-size",
        message: '"10 megs" is not a size (use 512kb, 10mb, 1gb or bytes)',
      },
      { path: "SLUICE_RATE_LIMIT", message: "-2 is less than the minimum 0" },
    ],
  );
  assert.deepEqual(await problemsOf(["--rate-burst=10"], hermetic()), [{
    path: "--rate-burst",
    message: "10 is set but rate limiting is off: set a rate too (--rate-limit, " +
      "SLUICE_RATE_LIMIT or limits.rate_limit), or leave the burst out",
  }]);
  const config = await configOf(["--rate-burst=10"], hermetic({ SLUICE_RATE_LIMIT: "2" }));
  assert.deepEqual([config.limits.rateLimitRps, config.limits.rateBurst], [2, 10]);
});

Deno.test("loadConfig() takes --verbose-errors from flag, environment or file", async () => {
  const files = { "on.yaml": "proxy:\n  verbose_errors: true" };
  const verbose = async (args: string[], env: Record<string, string> = {}) =>
    (await configOf(args, hermetic(env, files))).proxy.verboseErrors;
  assert.equal(await verbose([]), false, "off by default");
  assert.equal(await verbose(["--config=on.yaml"]), true, "file");
  assert.equal(await verbose(["--config=on.yaml"], { SLUICE_VERBOSE_ERRORS: "false" }), false);
  assert.equal(await verbose([], { SLUICE_VERBOSE_ERRORS: "1" }), true, "env");
  assert.equal(await verbose(["--verbose-errors"]), true, "flag");
  assert.equal(
    await verbose(["--verbose-errors=false"], { SLUICE_VERBOSE_ERRORS: "true" }),
    false,
    "flag over env",
  );
});
