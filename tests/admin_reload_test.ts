/**
 * End-to-end tests of configuration reloads: `POST /api/config/reload` and SIGHUP re-read the
 * `--config` file and apply upstream changes without dropping requests in flight; a broken file
 * changes nothing.
 *
 * @module
 */

import assert from "node:assert/strict";
import type { ReloadOutcome } from "../internal/admin/control_plane.ts";
import type { UpstreamView } from "../internal/admin/views.ts";
import {
  freePort,
  heldRequest,
  Hold,
  startSluice,
  startUpstream,
  type TestSluice,
  waitForPool,
  within,
} from "./_fixtures.ts";
import { spawnMain } from "./_process.ts";

const ARTIFACTS = new URL("./artifacts/", import.meta.url).pathname;
const ROOT = new URL("..", import.meta.url).pathname;

/** A config file under `tests/artifacts/`, removed on dispose. */
interface ConfigFile extends AsyncDisposable {
  readonly path: string;
  write(text: string): Promise<void>;
}

async function configFile(text: string): Promise<ConfigFile> {
  await Deno.mkdir(ARTIFACTS, { recursive: true });
  const path = `${ARTIFACTS}admin_reload_${crypto.randomUUID()}.yaml`;
  const write = (content: string) => Deno.writeTextFile(path, content);
  await write(text);
  return {
    path,
    write,
    async [Symbol.asyncDispose]() {
      await Deno.remove(path).catch(() => {});
    },
  };
}

/** A YAML config with these upstreams (`[name, url, weight?]`) and a 100ms health interval. */
function yaml(backends: [string, string, number?][], extra = ""): string {
  const lines = backends.map(([name, url, weight]) =>
    `  - url: ${url}\n    name: ${name}` + (weight === undefined ? "" : `\n    weight: ${weight}`)
  );
  return `backends:\n${lines.join("\n")}\nhealth:\n  interval: 100ms\n${extra}`;
}

/** A response of the admin server, read whole. */
interface ApiResult<T> {
  status: number;
  headers: Headers;
  text: string;
  body: T;
}

async function api<T = Record<string, unknown>>(
  sluice: TestSluice | string,
  path: string,
  init: RequestInit = {},
): Promise<ApiResult<T>> {
  const base = typeof sluice === "string" ? sluice : sluice.adminUrl;
  assert.ok(base, "the admin server should be running");
  const response = await fetch(base + path, init);
  const text = await response.text();
  const type = response.headers.get("content-type") ?? "";
  return {
    status: response.status,
    headers: response.headers,
    text,
    body: (/json/.test(type) ? JSON.parse(text) : undefined) as T,
  };
}

function reload(sluice: TestSluice): Promise<ApiResult<ReloadOutcome & Record<string, unknown>>> {
  return api(sluice, "/api/config/reload", {
    method: "POST",
    headers: { "content-type": "application/json" },
  });
}

function assertProblem(result: ApiResult<unknown>, status: number): Record<string, unknown> {
  assert.equal(result.status, status, result.text);
  assert.equal(result.headers.get("content-type"), "application/problem+json");
  const problem = result.body as Record<string, unknown>;
  assert.equal(problem.status, status);
  assert.equal(typeof problem.type, "string");
  assert.equal(typeof problem.title, "string");
  assert.equal(typeof problem.detail, "string");
  return problem;
}

/** Starts Sluice from a config file, with its admin server on a free port. */
function startFromFile(file: ConfigFile): Promise<TestSluice> {
  return startSluice(["--config", file.path, "--admin-port", String(freePort())]);
}

/** The upstreams as the API lists them: `[name, url, admin]`. */
async function listed(sluice: TestSluice): Promise<[string, string, string][]> {
  const result = await api<UpstreamView[]>(sluice, "/api/upstreams");
  assert.equal(result.status, 200);
  return result.body.map((u) => [u.name, u.url, u.admin]);
}

function allUp(sluice: TestSluice): Promise<void> {
  return waitForPool(
    sluice.app,
    () => sluice.app.pool.list().every((u) => u.health === "up"),
    3_000,
    "every upstream up",
  );
}

function byUrl(sluice: TestSluice, url: string) {
  return sluice.app.pool.list().find((u) => u.url === url);
}

/** Sends `n` requests through the proxy one after the other; returns the bodies (all 200). */
async function send(sluice: TestSluice, n: number): Promise<string[]> {
  const bodies: string[] = [];
  for (let i = 0; i < n; i++) {
    const response = await fetch(sluice.url + "/");
    const text = await response.text();
    assert.equal(response.status, 200, text);
    bodies.push(text);
  }
  return bodies;
}

Deno.test("reload: the file's new upstream joins after its check, the dropped one drains and leaves", async () => {
  const hold = new Hold();
  await using a = startUpstream("a", hold.handler("a"));
  await using b = startUpstream("b", hold.handler("b"));
  await using c = startUpstream("c");
  await using file = await configFile(yaml([["a", a.url], ["b", b.url]]));
  await using sluice = await startFromFile(file);
  using _release = hold;
  using client = Deno.createHttpClient({});
  await allUp(sluice);

  // A request in flight on the upstream the new file drops.
  const held = heldRequest(sluice, client);
  const holder = await hold.arrived();
  const [gone, kept] = holder === "a" ? [a, b] : [b, a];
  const keptName = holder === "a" ? "b" : "a";
  await file.write(yaml([[keptName, kept.url], ["c", c.url]]));

  const result = await reload(sluice);
  assert.equal(result.status, 200, result.text);
  assert.equal(result.body.file, file.path);
  assert.deepEqual([...result.body.applied].sort(), [
    "added upstream c",
    `draining and removing upstream ${holder}`,
  ]);
  assert.deepEqual(result.body.restartRequired, []);

  const cId = byUrl(sluice, c.url)?.id;
  assert.ok(cId, "c is in the pool");
  const goneId = byUrl(sluice, gone.url)!.id;
  assert.equal(
    (await api<UpstreamView>(sluice, `/api/upstreams/${goneId}`)).body.admin,
    "draining",
  );
  await waitForPool(sluice.app, () => sluice.app.pool.get(cId)?.available === true, 3_000, "c up");

  const goneSeen = gone.seen.length;
  assert.deepEqual((await send(sluice, 4)).sort(), [keptName, keptName, "c", "c"]);
  assert.equal(gone.seen.length, goneSeen, "a request reached the dropped upstream");

  hold.release();
  assert.deepEqual(await within(held, 2_000, "the held response"), {
    status: 200,
    text: `held by ${holder}`,
  });
  await waitForPool(sluice.app, () => sluice.app.pool.get(goneId) === undefined, 3_000, "removal");
  assert.deepEqual(await listed(sluice), [[keptName, kept.url, "ready"], ["c", c.url, "ready"]]);
  const config = await api<{ backends: { url: string }[] }>(sluice, "/api/config");
  assert.deepEqual(config.body.backends.map((backend) => backend.url), [kept.url, c.url]);
});

Deno.test("reload: a changed weight is applied and reported as from -> to", async () => {
  await using a = startUpstream("a");
  await using file = await configFile(yaml([["a", a.url]]));
  await using sluice = await startFromFile(file);
  await file.write(yaml([["a", a.url, 3]]));
  const result = await reload(sluice);
  assert.equal(result.status, 200, result.text);
  assert.equal(byUrl(sluice, a.url)?.weight, 3);
  assert.deepEqual(
    result.body.applied,
    ["weight of a 1 -> 3"],
    "App.#reloadUpstreams reads upstream.weight after setWeight, so it reports the new weight twice",
  );
});

Deno.test("reload: a broken file is a 422 listing every problem; nothing changes", async () => {
  await using a = startUpstream("a");
  await using b = startUpstream("b");
  await using file = await configFile(yaml([["a", a.url], ["b", b.url]]));
  await using sluice = await startFromFile(file);
  await allUp(sluice);
  const before = await listed(sluice);

  await file.write(
    yaml([["a", a.url], ["c", "localhost:9001"]], "strategi: round_robin\n"),
  );
  const result = await reload(sluice);
  const problem = assertProblem(result, 422);
  const problems = problem.problems as { path: string; message: string }[];
  assert.deepEqual(problems.map((p) => p.path).sort(), ["backends[1].url", "strategi"]);
  assert.match(problems.find((p) => p.path === "strategi")!.message, /unknown key/);
  assert.match(problems.find((p) => p.path === "backends[1].url")!.message, /localhost:9001/);

  assert.deepEqual(await listed(sluice), before, "the pool changed");
  assert.deepEqual((await send(sluice, 2)).sort(), ["a", "b"]);

  // The file fixed: the next reload applies it.
  await file.write(yaml([["a", a.url]]));
  const fixed = await reload(sluice);
  assert.equal(fixed.status, 200, fixed.text);
  assert.deepEqual(fixed.body.applied, ["draining and removing upstream b"]);
});

Deno.test("reload: a request in flight on an upstream the file keeps completes", async () => {
  const hold = new Hold();
  await using a = startUpstream("a", hold.handler("a"));
  await using c = startUpstream("c");
  await using file = await configFile(yaml([["a", a.url]]));
  await using sluice = await startFromFile(file);
  using _release = hold;
  using client = Deno.createHttpClient({});
  await allUp(sluice);

  const held = heldRequest(sluice, client);
  await hold.arrived();
  // Proxy settings change too, so new requests get a new handler.
  await file.write(yaml([["a", a.url], ["c", c.url]], "timeouts:\n  backend: 20s\n"));
  const result = await reload(sluice);
  assert.equal(result.status, 200, result.text);
  assert.ok(result.body.applied.includes("proxy settings applied to new requests"));
  hold.release();
  assert.deepEqual(await within(held, 2_000, "the held response"), {
    status: 200,
    text: "held by a",
  });
  assert.equal(byUrl(sluice, a.url)?.inFlight, 0);
});

Deno.test("reload: an upstream drained through PATCH and left out of the file is removed", async () => {
  await using a = startUpstream("a");
  await using b = startUpstream("b");
  await using file = await configFile(yaml([["a", a.url], ["b", b.url]]));
  await using sluice = await startFromFile(file);
  await allUp(sluice);
  const patched = await api(sluice, "/api/upstreams/u2", {
    method: "PATCH",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ state: "draining" }),
  });
  assert.equal(patched.status, 200);

  await file.write(yaml([["a", a.url]]));
  const result = await reload(sluice);
  assert.equal(result.status, 200, result.text);
  await waitForPool(
    sluice.app,
    () => byUrl(sluice, b.url) === undefined,
    2_000,
    "b (no longer in the file) to leave: App.#reloadUpstreams skips every draining upstream, " +
      "so one an operator set to draining through PATCH is never removed",
  );
  assert.deepEqual(await listed(sluice), [["a", a.url, "ready"]]);
});

Deno.test("reload: an upstream put back in the file while it drains stays in the pool", async () => {
  const hold = new Hold();
  await using a = startUpstream("a", hold.handler("a"));
  await using b = startUpstream("b", hold.handler("b"));
  await using file = await configFile(yaml([["a", a.url], ["b", b.url]]));
  await using sluice = await startFromFile(file);
  using _release = hold;
  using client = Deno.createHttpClient({});
  await allUp(sluice);

  const held = heldRequest(sluice, client);
  const holder = await hold.arrived();
  const [gone, kept] = holder === "a" ? [a, b] : [b, a];
  const keptName = holder === "a" ? "b" : "a";
  await file.write(yaml([[keptName, kept.url]]));
  assert.equal((await reload(sluice)).status, 200);
  assert.equal(byUrl(sluice, gone.url)?.admin, "draining");

  // The operator changes their mind before the drain has finished.
  await file.write(yaml([["a", a.url], ["b", b.url]]));
  const back = await reload(sluice);
  assert.equal(back.status, 200, back.text);
  hold.release();
  assert.equal((await within(held, 2_000, "the held response")).status, 200);

  await waitForPool(
    sluice.app,
    () => byUrl(sluice, gone.url)?.available === true,
    2_000,
    `${holder} (listed in the file again) to be available: App.#reloadUpstreams treats a ` +
      "draining upstream with the URL as present, so the pending drainAndRemove drops it",
  );
  assert.deepEqual((await listed(sluice)).map(([, url]) => url).sort(), [a.url, b.url].sort());
});

Deno.test("reload: dropped, put back, dropped again while a request is in flight: it leaves", async () => {
  const hold = new Hold();
  await using a = startUpstream("a", hold.handler("a"));
  await using b = startUpstream("b", hold.handler("b"));
  await using file = await configFile(yaml([["a", a.url], ["b", b.url]]));
  await using sluice = await startFromFile(file);
  using _release = hold;
  using client = Deno.createHttpClient({});
  await allUp(sluice);

  const held = heldRequest(sluice, client);
  const holder = await hold.arrived();
  const [gone, kept] = holder === "a" ? [a, b] : [b, a];
  const keptName = holder === "a" ? "b" : "a";
  const without = yaml([[keptName, kept.url]]);
  await file.write(without);
  assert.equal((await reload(sluice)).status, 200);
  await file.write(yaml([["a", a.url], ["b", b.url]]));
  assert.equal((await reload(sluice)).status, 200);
  assert.equal(byUrl(sluice, gone.url)?.admin, "ready");

  await file.write(without);
  const again = await reload(sluice);
  assert.equal(again.status, 200, again.text);
  assert.deepEqual(
    again.body.applied,
    [`draining and removing upstream ${holder}`],
    "App.#reloadUpstreams skips an upstream still in #removing even when its removal was " +
      "cancelled, so the third reload leaves it ready and in the pool for good",
  );
  hold.release();
  assert.equal((await within(held, 2_000, "the held response")).status, 200);
  await waitForPool(sluice.app, () => byUrl(sluice, gone.url) === undefined, 2_000, "removal");
  assert.deepEqual(await listed(sluice), [[keptName, kept.url, "ready"]]);
});

Deno.test("reload: a changed admin section is reported as needing a restart, not applied", async () => {
  const token = "reload-test-token-0123456789abcdef";
  await using a = startUpstream("a");
  await using file = await configFile(yaml([["a", a.url]]));
  await using sluice = await startFromFile(file);
  await file.write(yaml([["a", a.url]], `admin:\n  token: ${token}\n`));
  const result = await reload(sluice);
  assert.equal(result.status, 200, result.text);
  assert.deepEqual(result.body.restartRequired, ["admin"]);
  assert.ok(!result.text.includes(token), "the reload answer shows the token");
  const config = await api<{ admin: { token: string | null } }>(sluice, "/api/config");
  assert.equal(config.body.admin.token, null, "the running config still has no token");
  const patched = await api(sluice, "/api/upstreams/u1", {
    method: "PATCH",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ weight: 2 }),
  });
  assert.equal(patched.status, 200, "the token only applies after a restart");
});

Deno.test("reload: changed upstream keep-alive settings are reported as needing a restart", async () => {
  await using a = startUpstream("a");
  await using file = await configFile(yaml([["a", a.url]]));
  await using sluice = await startFromFile(file);
  await file.write(
    yaml(
      [["a", a.url]],
      "proxy:\n  keepalive: 0\n  keepalive_timeout: 1s\n  keepalive_requests: 5\n",
    ),
  );
  const result = await reload(sluice);
  assert.equal(result.status, 200, result.text);
  assert.deepEqual(result.body.restartRequired, [
    "proxy.keepalive",
    "proxy.keepalive_timeout",
    "proxy.keepalive_requests",
  ]);
});

Deno.test("reload: a changed transport or connect timeout is reported as needing a restart", async () => {
  await using a = startUpstream("a");
  await using file = await configFile(yaml([["a", a.url]]));
  await using sluice = await startFromFile(file);
  await file.write(
    yaml([["a", a.url]], "proxy:\n  transport: fetch\ntimeouts:\n  connect: 2s\n"),
  );
  const result = await reload(sluice);
  assert.equal(result.status, 200, result.text);
  assert.deepEqual(result.body.restartRequired, ["proxy.transport", "timeouts.connect"]);
});

Deno.test("reload: without --config it is a 409 problem", async () => {
  await using a = startUpstream("a");
  await using sluice = await startSluice([
    "--backends",
    a.url,
    "--admin-port",
    String(freePort()),
  ]);
  const problem = assertProblem(await reload(sluice), 409);
  assert.match(String(problem.detail), /--config/);
  assert.equal(sluice.app.pool.size, 1);
});

Deno.test("reload: during the shutdown drain it starts no health checker that outlives Sluice", async () => {
  // In a process of its own: a leaked checker probes forever and would spill into other tests.
  await Deno.mkdir(ARTIFACTS, { recursive: true });
  const config = `${ARTIFACTS}admin_reload_shutdown_${crypto.randomUUID()}.yaml`;
  try {
    const child = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--allow-net",
        `--allow-read=${ARTIFACTS}`,
        `--allow-write=${ARTIFACTS}`,
        new URL("./testdata/admin_reload_during_shutdown.ts", import.meta.url).pathname,
        config,
      ],
      cwd: ROOT,
      clearEnv: true,
      env: { NO_COLOR: "1" },
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const [status, stdout, stderr] = await within(
      Promise.all([
        child.status,
        new Response(child.stdout).text(),
        new Response(child.stderr).text(),
      ]),
      20_000,
      "the reload-during-shutdown script",
    ).catch((error) => {
      try {
        child.kill("SIGKILL");
      } catch { /* exited */ }
      throw error;
    });
    assert.equal(status.code, 0, stderr);
    const report = JSON.parse(stdout) as { reload: string; probesAfterFinished: number };
    assert.equal(
      report.probesAfterFinished,
      0,
      `health checks ran after the shutdown finished (reload answered: ${report.reload}): ` +
        "App.reload replaces and starts #checker even while #shuttingDown",
    );
  } finally {
    await Deno.remove(config).catch(() => {});
  }
});

// --- SIGHUP, through a process -----------------------------------------------------------------

const message = (prefix: string) => (entry: Record<string, unknown>) =>
  String(entry.message).startsWith(prefix);

Deno.test({
  name: "reload: SIGHUP re-reads the file; a broken one is logged and changes nothing",
  ignore: Deno.build.os === "windows",
  async fn() {
    await using a = startUpstream("a");
    await using b = startUpstream("b");
    await using file = await configFile(yaml([["a", a.url]]));
    const adminPort = freePort();
    await using proc = spawnMain(["--allow-net", `--allow-read=${ARTIFACTS}`], [
      "--config",
      file.path,
      "--host",
      "127.0.0.1",
      "--port",
      "0",
      "--admin-port",
      String(adminPort),
      "--log-format",
      "json",
    ], { stderrLines: true });
    await proc.line(message("Sluice listening"));
    const admin = `http://127.0.0.1:${adminPort}`;
    const urls = async () =>
      (await api<UpstreamView[]>(admin, "/api/upstreams")).body.map((u) => u.url);
    assert.deepEqual(await urls(), [a.url]);

    await file.write(yaml([["a", a.url], ["b", b.url]]));
    proc.child.kill("SIGHUP");
    const reloaded = await proc.line(message("Configuration reloaded"));
    assert.match(String(reloaded.message), /added upstream b/);
    assert.deepEqual(await urls(), [a.url, b.url]);

    await file.write(yaml([["a", a.url], ["c", "localhost:9001"]], "strategi: round_robin\n"));
    proc.child.kill("SIGHUP");
    const refused = await proc.line(message("Reload refused"));
    assert.equal(refused.level, "error");
    assert.match(String(refused.message), /backends\[1\]\.url/);
    assert.match(String(refused.message), /strategi/);
    assert.deepEqual(await urls(), [a.url, b.url], "a broken file changed the pool");

    proc.child.kill("SIGTERM");
    const status = await within(proc.child.status, 10_000, "exit after SIGTERM");
    assert.equal(status.code, 0, proc.lines.join("\n"));
  },
});
