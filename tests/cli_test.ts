/**
 * End-to-end tests of `main.ts` as a process: exit codes, permissions, environment, the access
 * log on stdout, and graceful shutdown on SIGTERM.
 */
import assert from "node:assert/strict";
import { startUpstream } from "./_fixtures.ts";
import { spawnMain } from "./_process.ts";

const listening = (e: Record<string, unknown>) =>
  e.logger === "sluice.app" && typeof e.port === "number" &&
  String(e.message).startsWith("Sluice listening");

Deno.test("cli: invalid input exits 2 listing every problem, without a stack trace", async () => {
  await using proc = spawnMain(["--allow-net"], [
    "--port",
    "99999",
    "--backends",
    "http://127.0.0.1:9001,localhost:9001",
    "--strategy",
    "fastest",
    "--health-interval",
    "10 sec",
  ]);
  const status = await proc.child.status;
  const stderr = await proc.stderr;
  assert.equal(status.code, 2, stderr);
  for (const fragment of ["port", "99999", "localhost:9001", "fastest", "10 sec"]) {
    assert.ok(stderr.includes(fragment), `stderr should mention ${fragment}:\n${stderr}`);
  }
  assert.ok(!/^\s+at /m.test(stderr), `no stack trace expected:\n${stderr}`);
});

Deno.test("cli: --config without --allow-read says which permission is missing", async () => {
  await using proc = spawnMain(["--allow-net"], ["--config", "sluice.yaml"]);
  const status = await proc.child.status;
  const stderr = await proc.stderr;
  assert.equal(status.code, 2);
  assert.match(stderr, /--allow-read/);
});

const TESTDATA = new URL("./testdata/", import.meta.url).pathname;

Deno.test("cli: a config file with an unknown key or a missing file exits 2", async () => {
  await using bad = spawnMain(["--allow-net", `--allow-read=${TESTDATA}`], [
    "--config",
    `${TESTDATA}unknown_key.json`,
  ]);
  assert.equal((await bad.child.status).code, 2);
  assert.match(await bad.stderr, /unknown key "prot"/);
  await using missing = spawnMain(["--allow-net", `--allow-read=${TESTDATA}`], [
    "--config",
    `${TESTDATA}nope.yaml`,
  ]);
  assert.equal((await missing.child.status).code, 2);
  assert.match(await missing.stderr, /nope\.yaml/);
});

Deno.test("cli: a YAML config needs --allow-read only; flags override the file", async () => {
  await using upstream = startUpstream(
    "yaml",
    (request) => new Response(new URL(request.url).pathname === "/health" ? "ok" : "from-yaml"),
  );
  await using proc = spawnMain(["--allow-net", `--allow-read=${TESTDATA}`], [
    "--config",
    `${TESTDATA}sluice.yaml`,
    "--host",
    "127.0.0.1",
    "--port",
    "0",
    "--backends",
    upstream.url,
  ]);
  const start = await proc.line(listening);
  assert.equal(start.address, "127.0.0.1");
  const response = await fetch(`http://127.0.0.1:${start.port}/`);
  assert.equal(await response.text(), "from-yaml");
  await proc.line((e) => e.logger === "sluice.health" && e.detail === "HTTP 200");
  assert.ok(upstream.seen.some((r) => r.target === "/health"), "HTTP health check from the file");
  proc.child.kill("SIGTERM");
  assert.equal((await proc.child.status).code, 0);
});

Deno.test("cli: --help and --version exit 0", async () => {
  await using help = spawnMain([], ["--help"]);
  assert.equal((await help.child.status).code, 0);
  assert.ok((await help.stdout).includes("--backends"));
  await using version = spawnMain([], ["--version"]);
  assert.equal((await version.child.status).code, 0);
  assert.match(await version.stdout, /\d+\.\d+\.\d+/);
});

Deno.test("cli: runs with --allow-net alone; access log line per request; SIGTERM exits 0", async () => {
  await using upstream = startUpstream("one");
  await using proc = spawnMain(["--allow-net"], [
    "--host",
    "127.0.0.1",
    "--port",
    "0",
    "--backends",
    upstream.url,
    "--log-format",
    "json",
  ], { env: { SLUICE_PORT: "1" /* must be ignored: no --allow-env */ } });
  const start = await proc.line(listening);
  const response = await fetch(`http://127.0.0.1:${start.port}/hello?x=1`, {
    headers: { "x-request-id": "cli-test-1" },
  });
  assert.equal(await response.text(), "one");
  const entry = await proc.line((e) => e.logger === "sluice.access");
  assert.equal(entry.request_id, "cli-test-1");
  assert.equal(entry.method, "GET");
  assert.equal(entry.path, "/hello?x=1");
  assert.equal(entry.status, 200);
  assert.equal(entry.upstream, `127.0.0.1:${upstream.port}`);
  assert.equal(entry.route, "default", "--backends: the catch-all route");
  assert.equal(entry.pool, "default");
  assert.equal(entry.attempts, 1);
  assert.equal(entry.bytes_out, 3);
  assert.equal(entry.client, "127.0.0.1");
  assert.equal(typeof entry.duration_ms, "number");
  assert.ok(!Number.isNaN(Date.parse(String(entry.time))));
  proc.child.kill("SIGTERM");
  assert.equal((await proc.child.status).code, 0);
  assert.equal(await proc.stderr, "");
});

Deno.test("cli: SLUICE_* environment is read when --allow-env grants it", async () => {
  await using upstream = startUpstream("from-env");
  await using proc = spawnMain(["--allow-net", "--allow-env=SLUICE_*"], ["--port", "0"], {
    env: {
      SLUICE_HOST: "127.0.0.1",
      SLUICE_BACKENDS: upstream.url,
      SLUICE_LOG_FORMAT: "json",
    },
  });
  const start = await proc.line(listening);
  assert.equal(start.address, "127.0.0.1");
  const response = await fetch(`http://127.0.0.1:${start.port}/`);
  assert.equal(await response.text(), "from-env");
  proc.child.kill("SIGTERM");
  assert.equal((await proc.child.status).code, 0);
});

Deno.test("cli: SIGTERM lets a request in flight finish, then exits 0", async () => {
  const { promise: held, resolve: release } = Promise.withResolvers<void>();
  const { promise: arrived, resolve: arrive } = Promise.withResolvers<void>();
  await using upstream = startUpstream("slow", async () => {
    arrive();
    await held;
    return new Response("finished");
  });
  await using proc = spawnMain(["--allow-net"], [
    "--host",
    "127.0.0.1",
    "--port",
    "0",
    "--backends",
    upstream.url,
    "--log-format",
    "json",
    "--shutdown-timeout",
    "10s",
  ]);
  const start = await proc.line(listening);
  const inFlight = fetch(`http://127.0.0.1:${start.port}/slow`);
  await arrived;
  proc.child.kill("SIGTERM");
  await proc.line((e) => String(e.message).startsWith("Shutting down"));
  release();
  const response = await inFlight;
  assert.equal(response.status, 200);
  assert.equal(await response.text(), "finished");
  assert.equal((await proc.child.status).code, 0);
});

Deno.test("cli: warns at start-up when Deno's I/O polling interval is not set to 1", async () => {
  await using upstream = startUpstream("ok");
  const args = ["--host", "127.0.0.1", "--port", "0", "--backends", upstream.url];
  const permissions = ["--allow-net", "--allow-env=SLUICE_*,DENO_TOKIO_EVENT_INTERVAL"];
  {
    await using proc = spawnMain(permissions, [...args, "--log-format", "json"], {
      env: { DENO_TOKIO_EVENT_INTERVAL: "61" },
      stderrLines: true,
    });
    const warning = await proc.line((e) =>
      e.level === "warning" && String(e.message).startsWith('DENO_TOKIO_EVENT_INTERVAL is "61"')
    );
    assert.equal(warning.logger, "sluice.app");
  }
  {
    // spawnMain sets it as `deno task start` does: the start-up ends without the warning.
    await using proc = spawnMain(permissions, [...args, "--log-format", "json"], {
      stderrLines: true,
    });
    const start = await proc.line(listening);
    const response = await fetch(`http://127.0.0.1:${start.port}/`);
    assert.equal(await response.text(), "ok");
    await proc.line((e) => e.logger === "sluice.access");
    assert.ok(
      !proc.lines.some((line) => line.includes("DENO_TOKIO_EVENT_INTERVAL")),
      proc.lines.join("\n"),
    );
  }
});
