import assert from "node:assert/strict";
import { ConfigError, type ConfigProblem } from "./errors.ts";
import { HELP_TEXT } from "./help.ts";
import { loadConfig, type LoadConfigOptions, type LoadResult } from "./load.ts";
import type { Config } from "./types.ts";

const TESTDATA = `${import.meta.dirname}/testdata`;

const DEFAULTS: Config = {
  host: "0.0.0.0",
  port: 8080,
  strategy: "round_robin",
  backends: [],
  health: {
    path: undefined,
    intervalMs: 10_000,
    timeoutMs: 2_000,
    healthyThreshold: 2,
    unhealthyThreshold: 3,
  },
  timeouts: { backendMs: 30_000, shutdownMs: 30_000 },
  proxy: { preserveHost: true, retries: 1, retryBufferBytes: 65_536 },
  logging: { level: "info", format: "json" },
};

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
      logging: { level: "warn", format: "json" }, // file, default
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
    "--log-level=error",
    "--log-format=pretty",
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
    timeouts: { backendMs: 4_000, shutdownMs: 5_000 },
    logging: { level: "error", format: "pretty" },
  });
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
      strategy: "round_robin",
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
      timeouts: { backendMs: 10_000, shutdownMs: 60_000 },
      proxy: { preserveHost: false, retries: 2, retryBufferBytes: 131_072 },
      logging: { level: "debug", format: "pretty" },
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
    logging: { level: "debug", format: "json" },
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
    { path: "--strategy", message: '"foo" is not one of round_robin' },
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
    { path: "strategy", message: '"foo" is not one of round_robin' },
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
    message: '--port: "abc" is not an integer\n--strategy: "foo" is not one of round_robin',
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
