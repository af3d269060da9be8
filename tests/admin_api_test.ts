/**
 * End-to-end tests of the admin server over real sockets: probes, the upstream API (list,
 * change, add, drain and remove), authentication, status, redacted config and Prometheus
 * metrics.
 *
 * @module
 */

import assert from "node:assert/strict";
import { configure, type LogRecord, reset } from "@logtape/logtape";
import type { StatusView, UpstreamView } from "../internal/admin/views.ts";
import { VERSION } from "../internal/app/mod.ts";
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

/** 32 visible ASCII characters, as `openssl rand -hex 16` would give. */
const TOKEN = "5f0c1e9a7b2d48c6a3e1f0b9d8c7a6e5";

/** The fields of `UpstreamView`, in the order the API writes them. */
const UPSTREAM_FIELDS = [
  "id",
  "name",
  "url",
  "weight",
  "health",
  "admin",
  "ejectedUntil",
  "available",
  "inFlight",
  "requestsTotal",
  "failuresTotal",
  "rps",
  "p50Ms",
  "p99Ms",
  "errorRate",
];

/** A response of the admin server, read whole. */
interface ApiResult<T> {
  status: number;
  headers: Headers;
  text: string;
  /** The parsed body when it is JSON (`application/json`, `application/problem+json`). */
  body: T;
}

/** Calls the admin server and reads the whole body. */
async function api<T = Record<string, unknown>>(
  sluice: TestSluice,
  path: string,
  init: RequestInit = {},
): Promise<ApiResult<T>> {
  assert.ok(sluice.adminUrl, "the admin server should be running");
  const response = await fetch(sluice.adminUrl + path, init);
  const text = await response.text();
  const type = response.headers.get("content-type") ?? "";
  return {
    status: response.status,
    headers: response.headers,
    text,
    body: (/json/.test(type) ? JSON.parse(text) : undefined) as T,
  };
}

/** What every change must declare (a CSRF guard), DELETE and reload included. */
const JSON_TYPE = { "content-type": "application/json" };

/** A request with a JSON body, optionally with the bearer token. */
function json(method: string, body: unknown, token?: string): RequestInit {
  return {
    method,
    headers: {
      "content-type": "application/json",
      ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
    },
    body: JSON.stringify(body),
  };
}

/** Asserts an RFC 9457 problem with this status: its media type and members. */
function assertProblem(result: ApiResult<unknown>, status: number): Record<string, unknown> {
  assert.equal(result.status, status, result.text);
  assert.equal(result.headers.get("content-type"), "application/problem+json");
  const problem = result.body as Record<string, unknown>;
  assert.equal(problem.status, status);
  assert.equal(typeof problem.type, "string");
  assert.ok(typeof problem.title === "string" && problem.title !== "", "problem title");
  assert.ok(typeof problem.detail === "string" && problem.detail !== "", "problem detail");
  return problem;
}

/** Starts Sluice with its admin server on a free port and a 100ms health interval. */
function startAdmin(backends: string[], extra: string[] = []): Promise<TestSluice> {
  return startSluice([
    "--backends",
    backends.join(","),
    "--health-interval",
    "100ms",
    "--admin-port",
    String(freePort()),
    ...extra,
  ]);
}

/** Waits until every upstream has passed a health check. */
function allUp(sluice: TestSluice): Promise<void> {
  return waitForPool(
    sluice.app,
    () => sluice.app.pool.list().every((u) => u.health === "up"),
    3_000,
    "every upstream up",
  );
}

/** Sends `n` requests through the proxy one after the other; returns the bodies (all 200). */
async function send(sluice: TestSluice, n: number, path = "/"): Promise<string[]> {
  const bodies: string[] = [];
  for (let i = 0; i < n; i++) {
    const response = await fetch(sluice.url + path);
    const text = await response.text();
    assert.equal(response.status, 200, `request ${i + 1} of ${n}: ${text}`);
    bodies.push(text);
  }
  return bodies;
}

/** The id of the upstream with this URL. */
function idOf(sluice: TestSluice, url: string): string {
  const upstream = sluice.app.pool.list().find((u) => u.url === url);
  assert.ok(upstream, `no upstream with the URL ${url}`);
  return upstream.id;
}

// --- probes ------------------------------------------------------------------------------------

Deno.test("admin: /healthz is 200, /readyz is 200 while an upstream is available", async () => {
  await using up = startUpstream("up");
  await using sluice = await startAdmin([up.url]);
  await allUp(sluice);
  const health = await api(sluice, "/healthz");
  assert.equal(health.status, 200);
  const ready = await api(sluice, "/readyz");
  assert.equal(ready.status, 200, ready.text);
  assert.equal(ready.headers.get("cache-control"), "no-store");
});

Deno.test("admin: /readyz is 503 and says why when every upstream is down", async () => {
  await using a = startUpstream("a");
  await using b = startUpstream("b");
  await using sluice = await startAdmin([a.url, b.url]);
  await allUp(sluice);
  await a.close();
  await waitForPool(
    sluice.app,
    () => sluice.app.pool.get("u1")?.health === "down",
    3_000,
    "a down",
  );
  assert.equal((await api(sluice, "/readyz")).status, 200, "b is still up");
  await b.close();
  await waitForPool(
    sluice.app,
    () => sluice.app.pool.get("u2")?.health === "down",
    3_000,
    "b down",
  );
  const ready = await api(sluice, "/readyz");
  assert.equal(ready.status, 503);
  assert.match(ready.text, /no upstream is available/);
});

Deno.test("admin: with no upstream at all, start-up warns naming --backends and /readyz is 503 saying so", async () => {
  const warnings: string[] = [];
  await configure({
    sinks: {
      capture: (record: LogRecord) => {
        if (record.level === "warning") warnings.push(record.message.join(""));
      },
    },
    loggers: [
      { category: ["sluice", "app"], lowestLevel: "warning", sinks: ["capture"] },
      { category: ["logtape", "meta"], lowestLevel: "warning", sinks: [] },
    ],
  });
  await using _logging = { [Symbol.asyncDispose]: () => reset() };
  await using sluice = await startSluice([
    "--health-interval",
    "100ms",
    "--admin-port",
    String(freePort()),
  ]);
  assert.ok(
    warnings.some((w) => /no upstream is configured/i.test(w) && w.includes("--backends")),
    `no start-up warning naming --backends: ${JSON.stringify(warnings)}`,
  );
  const ready = await api(sluice, "/readyz");
  assert.equal(ready.status, 503);
  assert.match(ready.text, /^not ready: no upstream is configured .*--backends/);

  // Once one is added and passes its health checks, Sluice is ready.
  await using up = startUpstream("up");
  assert.equal((await api(sluice, "/api/upstreams", json("POST", { url: up.url }))).status, 201);
  await allUp(sluice);
  assert.equal((await api(sluice, "/readyz")).status, 200);
});

Deno.test("admin: /readyz is 503 while every upstream is in maintenance, 200 when one is back", async () => {
  await using up = startUpstream("up");
  await using sluice = await startAdmin([up.url]);
  await allUp(sluice);
  assert.equal(
    (await api(sluice, "/api/upstreams/u1", json("PATCH", { state: "maintenance" }))).status,
    200,
  );
  const ready = await api(sluice, "/readyz");
  assert.equal(ready.status, 503);
  assert.match(ready.text, /no upstream is available/);
  assert.equal(
    (await api(sluice, "/api/upstreams/u1", json("PATCH", { state: "ready" }))).status,
    200,
  );
  assert.equal((await api(sluice, "/readyz")).status, 200);
});

Deno.test("admin: /readyz is 503 as soon as a graceful shutdown has started", async () => {
  const hold = new Hold();
  await using up = startUpstream("up", hold.handler("up"));
  await using sluice = await startAdmin([up.url], ["--shutdown-timeout", "5s"]);
  using _release = hold;
  using client = Deno.createHttpClient({});
  await allUp(sluice);
  assert.equal((await api(sluice, "/readyz")).status, 200);

  const held = heldRequest(sluice, client);
  await hold.arrived();
  const stopping = sluice.stop();
  const ready = await api(sluice, "/readyz");
  assert.equal(ready.status, 503, "the admin server answers during the drain, not ready");
  assert.match(ready.text, /shutting down/);
  const status = await api<StatusView>(sluice, "/api/status");
  assert.equal(status.body.shuttingDown, true);
  assert.equal(status.body.ready, false);

  hold.release();
  assert.deepEqual(await within(held, 2_000, "the held response"), {
    status: 200,
    text: "held by up",
  });
  await within(stopping, 3_000, "the shutdown");
});

// --- reading upstreams -------------------------------------------------------------------------

Deno.test("admin: GET /api/upstreams shows health, last check, load and latency", async () => {
  await using a = startUpstream("a");
  await using b = startUpstream("b");
  await using sluice = await startAdmin([a.url, b.url]);
  await allUp(sluice);

  const before = await api<UpstreamView[]>(sluice, "/api/upstreams");
  assert.equal(before.status, 200);
  assert.equal(before.headers.get("content-type"), "application/json");
  assert.deepEqual(before.body.map((u) => [u.id, u.url]), [["u1", a.url], ["u2", b.url]]);
  for (const upstream of before.body) {
    assert.deepEqual(Object.keys(upstream), UPSTREAM_FIELDS);
    assert.equal(upstream.health.state, "up");
    assert.equal(upstream.admin, "ready");
    assert.equal(upstream.available, true);
    assert.equal(upstream.weight, 1);
    assert.equal(upstream.inFlight, 0);
    assert.equal(upstream.requestsTotal, 0);
    assert.equal(upstream.p50Ms, null, "no latency before traffic");
    const check = upstream.health.lastCheck;
    assert.ok(check, "lastCheck after the first check");
    assert.equal(check.ok, true);
    assert.ok(check.latencyMs >= 0);
    assert.ok(Math.abs(Date.parse(check.at) - Date.now()) < 10_000, `check time ${check.at}`);
    assert.equal(typeof check.detail, "string");
  }

  await send(sluice, 10);
  const after = await api<UpstreamView[]>(sluice, "/api/upstreams");
  for (const upstream of after.body) {
    assert.equal(upstream.requestsTotal, 5, `${upstream.name} got half of 10 requests`);
    assert.equal(upstream.failuresTotal, 0);
    assert.equal(upstream.inFlight, 0);
  }
});

Deno.test("admin: GET /api/upstreams shows each upstream's rps, p50/p99 and error rate", async () => {
  await using a = startUpstream(
    "a",
    (request) =>
      new Response("a", { status: new URL(request.url).pathname === "/fail" ? 500 : 200 }),
  );
  await using sluice = await startAdmin([a.url]);
  await allUp(sluice);
  await send(sluice, 9);
  const ok = (await api<UpstreamView>(sluice, "/api/upstreams/u1")).body;
  // Per-upstream stats come from Upstream.stats, which the proxy must feed for every attempt.
  assert.ok(ok.rps > 0, `rps after 9 requests: ${ok.rps} (successful attempts are not recorded)`);
  assert.ok(typeof ok.p50Ms === "number" && ok.p50Ms > 0, `p50 after 9 requests: ${ok.p50Ms}`);
  assert.ok(typeof ok.p99Ms === "number" && ok.p99Ms >= ok.p50Ms, `p99: ${ok.p99Ms}`);
  assert.equal(ok.errorRate, 0);

  const failed = await fetch(sluice.url + "/fail");
  assert.equal(failed.status, 500);
  await failed.body?.cancel();
  const after = (await api<UpstreamView>(sluice, "/api/upstreams/u1")).body;
  assert.equal(after.errorRate, 0.1, "one 5xx in ten attempts");
});

Deno.test("admin: GET /api/upstreams/{id} shows one; an unknown id is a 404 problem", async () => {
  await using a = startUpstream("a");
  await using sluice = await startAdmin([a.url]);
  const one = await api<UpstreamView>(sluice, "/api/upstreams/u1");
  assert.equal(one.status, 200);
  assert.equal(one.body.id, "u1");
  assert.equal(one.body.url, a.url);
  assert.deepEqual(Object.keys(one.body), UPSTREAM_FIELDS);

  const missing = assertProblem(await api(sluice, "/api/upstreams/u99"), 404);
  assert.match(String(missing.detail), /u99/);
  assertProblem(await api(sluice, "/api/upstreams/u99", json("PATCH", { state: "draining" })), 404);
  assertProblem(
    await api(sluice, "/api/upstreams/u99", { method: "DELETE", headers: JSON_TYPE }),
    404,
  );
});

Deno.test("admin: an unknown route is a 404 problem, a wrong method a 405 with Allow", async () => {
  await using sluice = await startAdmin(["http://127.0.0.1:1"]);
  assertProblem(await api(sluice, "/api/nope"), 404);
  const wrong = assertProblem(await api(sluice, "/api/upstreams", { method: "PUT" }), 405);
  assert.ok(wrong);
  const allow = (await api(sluice, "/api/upstreams/u1", { method: "PUT" })).headers.get("allow");
  assert.deepEqual(allow?.split(/,\s*/).sort(), ["DELETE", "GET", "PATCH"]);
});

// --- changing upstreams ------------------------------------------------------------------------

for (const state of ["draining", "maintenance"] as const) {
  Deno.test(`admin: PATCH ${state}: no new requests reach it, the one in flight finishes`, async () => {
    const hold = new Hold();
    await using a = startUpstream("a", hold.handler("a"));
    await using b = startUpstream("b", hold.handler("b"));
    await using sluice = await startAdmin([a.url, b.url]);
    using _release = hold;
    using client = Deno.createHttpClient({});
    await allUp(sluice);

    const held = heldRequest(sluice, client);
    const holder = await hold.arrived();
    const [busy, other] = holder === "a" ? [a, b] : [b, a];
    const id = idOf(sluice, busy.url);

    const patched = await api<UpstreamView>(
      sluice,
      `/api/upstreams/${id}`,
      json("PATCH", { state }),
    );
    assert.equal(patched.status, 200, patched.text);
    assert.equal(patched.body.admin, state);
    assert.equal(patched.body.available, false);
    assert.equal(patched.body.inFlight, 1, "the held request is still in flight");

    const seen = busy.seen.length;
    const bodies = await send(sluice, 6);
    assert.equal(busy.seen.length, seen, `a request reached the ${state} upstream`);
    assert.deepEqual(bodies, Array(6).fill(holder === "a" ? "b" : "a"));
    assert.equal(other.seen.length, 6);

    hold.release();
    assert.deepEqual(await within(held, 2_000, "the held response"), {
      status: 200,
      text: `held by ${holder}`,
    });

    const restored = await api<UpstreamView>(
      sluice,
      `/api/upstreams/${id}`,
      json("PATCH", { state: "ready" }),
    );
    assert.equal(restored.status, 200);
    assert.equal(restored.body.admin, "ready");
    assert.equal(restored.body.available, true);
    await send(sluice, 4);
    assert.equal(busy.seen.length, seen + 2, "ready takes its share again");
  });
}

Deno.test("admin: PATCH weight changes the weight", async () => {
  await using a = startUpstream("a");
  await using sluice = await startAdmin([a.url]);
  const patched = await api<UpstreamView>(
    sluice,
    "/api/upstreams/u1",
    json("PATCH", { weight: 3 }),
  );
  assert.equal(patched.status, 200, patched.text);
  assert.equal(patched.body.weight, 3);
  assert.equal(patched.body.admin, "ready", "the state is left as it was");
  assert.equal((await api<UpstreamView>(sluice, "/api/upstreams/u1")).body.weight, 3);
  assert.equal(sluice.app.pool.get("u1")?.weight, 3);
  const both = await api<UpstreamView>(
    sluice,
    "/api/upstreams/u1",
    json("PATCH", { state: "draining", weight: 5 }),
  );
  assert.equal(both.body.weight, 5);
  assert.equal(both.body.admin, "draining");
});

Deno.test("admin: PATCH refuses bad bodies with 400/415 problems and changes nothing", async () => {
  await using a = startUpstream("a");
  await using sluice = await startAdmin([a.url]);
  const patch = (body: string, type = "application/json") =>
    api(sluice, "/api/upstreams/u1", { method: "PATCH", headers: { "content-type": type }, body });

  const badJson = assertProblem(await patch("{state: draining}"), 400);
  assert.match(String(badJson.detail), /JSON/);
  assertProblem(await patch(JSON.stringify({ state: "draining" }), "text/plain"), 415);
  assertProblem(await patch("[]"), 400);

  const paused = assertProblem(await patch(JSON.stringify({ state: "paused" })), 400);
  const params = paused["invalid-params"] as { name: string; reason: string }[];
  assert.equal(params.length, 1);
  assert.equal(params[0]!.name, "state");
  assert.match(params[0]!.reason, /paused/);

  assertProblem(await patch("{}"), 400);
  const unknown = assertProblem(
    await patch(JSON.stringify({ state: "ready", colour: "red" })),
    400,
  );
  assert.deepEqual((unknown["invalid-params"] as { name: string }[]).map((p) => p.name), [
    "colour",
  ]);
  const weights = await Promise.all(
    [0, 1.5, "3", -1].map((weight) => patch(JSON.stringify({ weight }))),
  );
  for (const result of weights) {
    assert.deepEqual(
      (assertProblem(result, 400)["invalid-params"] as { name: string }[]).map((p) => p.name),
      ["weight"],
    );
  }

  const after = sluice.app.pool.get("u1")!;
  assert.equal(after.admin, "ready");
  assert.equal(after.weight, 1);
});

Deno.test("admin: a malformed percent-encoded id is a problem, not an unhandled error", async () => {
  await using sluice = await startAdmin(["http://127.0.0.1:1"]);
  const result = await api(sluice, "/api/upstreams/%E0%A4%A");
  assert.ok(
    result.status === 400 || result.status === 404,
    `expected 400 or 404, got ${result.status} ${result.headers.get("content-type")}: ` +
      `${result.text} (decodeURIComponent throws URIError in routeKey, outside the handler's try)`,
  );
  assertProblem(result, result.status);
});

Deno.test("admin: a body over 64 KiB is refused with 413", async () => {
  await using a = startUpstream("a");
  await using sluice = await startAdmin([a.url]);
  const big = JSON.stringify({ state: "draining", pad: "x".repeat(70 * 1024) });
  assertProblem(
    await api(sluice, "/api/upstreams/u1", {
      method: "PATCH",
      headers: { "content-type": "application/json" },
      body: big,
    }),
    413,
  );
  assert.equal(sluice.app.pool.get("u1")?.admin, "ready");
});

Deno.test("admin: a chunked body is refused with 413 once it passes 64 KiB, without reading on", async () => {
  await using a = startUpstream("a");
  await using sluice = await startAdmin([a.url]);
  using client = Deno.createHttpClient({});
  // 80 KiB, then the stream stays open: only a server that stops at the limit can answer.
  let source!: ReadableStreamDefaultController<Uint8Array>;
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      source = controller;
      controller.enqueue(new TextEncoder().encode(`{"pad":"${"x".repeat(80 * 1024)}`));
    },
  });
  const leave = new AbortController();
  try {
    const response = await within(
      fetch(`${sluice.adminUrl}/api/upstreams/u1`, {
        method: "PATCH",
        headers: { "content-type": "application/json" },
        body,
        client,
        signal: leave.signal,
      }),
      3_000,
      "an answer to an endless body past 64 KiB (readJsonObject reads the whole body first)",
    );
    const text = await response.text();
    assert.equal(response.status, 413, text);
  } finally {
    leave.abort();
    try {
      source.close();
    } catch { /* cancelled */ }
  }
});

// --- authentication ----------------------------------------------------------------------------

Deno.test("admin: with a token, changes without the right one are 401 and change nothing", async () => {
  await using a = startUpstream("a");
  await using sluice = await startAdmin([a.url], ["--admin-token", TOKEN]);
  const changes: [string, string, unknown][] = [
    ["POST", "/api/upstreams", { url: "http://127.0.0.1:1" }],
    ["PATCH", "/api/upstreams/u1", { state: "maintenance" }],
    ["DELETE", "/api/upstreams/u1", undefined],
    ["POST", "/api/config/reload", undefined],
  ];
  const wrong = [
    undefined,
    "0".repeat(TOKEN.length), // same length
    TOKEN.slice(0, -1), // a prefix
    TOKEN + "0", // longer
    "nope",
  ];
  for (const [method, path, body] of changes) {
    for (const token of wrong) {
      const headers: Record<string, string> = { "content-type": "application/json" };
      if (token !== undefined) headers.authorization = `Bearer ${token}`;
      const result = await api(sluice, path, {
        method,
        headers,
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      const what = `${method} ${path} with token ${token}`;
      assert.equal(result.status, 401, what);
      assert.match(result.headers.get("www-authenticate") ?? "", /^Bearer\b/, what);
      assertProblem(result, 401);
      assert.ok(!result.text.includes(TOKEN), "a 401 must not show the token");
    }
  }
  const basic = await api(sluice, "/api/upstreams/u1", {
    method: "DELETE",
    headers: { authorization: `Basic ${btoa(`admin:${TOKEN}`)}` },
  });
  assert.equal(basic.status, 401, "only the Bearer scheme carries the token");

  assert.equal(sluice.app.pool.size, 1);
  assert.equal(sluice.app.pool.get("u1")?.admin, "ready");

  const patched = await api(sluice, "/api/upstreams/u1", json("PATCH", { weight: 2 }, TOKEN));
  assert.equal(patched.status, 200, patched.text);
  const added = await api(
    sluice,
    "/api/upstreams",
    json("POST", { url: "http://127.0.0.1:1" }, TOKEN),
  );
  assert.equal(added.status, 201, added.text);
  const removed = await api(sluice, "/api/upstreams/u2", {
    method: "DELETE",
    headers: { ...JSON_TYPE, authorization: `Bearer ${TOKEN}` },
  });
  assert.equal(removed.status, 202, removed.text);
  const reload = await api(sluice, "/api/config/reload", {
    method: "POST",
    headers: { ...JSON_TYPE, authorization: `Bearer ${TOKEN}` },
  });
  assertProblem(reload, 409); // authorised; refused only because there is no --config file
});

Deno.test("admin: with a token, reads from loopback need none", async () => {
  await using a = startUpstream("a");
  await using sluice = await startAdmin([a.url], ["--admin-token", TOKEN]);
  for (
    const path of [
      "/healthz",
      "/readyz",
      "/api/upstreams",
      "/api/upstreams/u1",
      "/api/status",
      "/api/config",
      "/metrics",
    ]
  ) {
    const result = await api(sluice, path);
    assert.ok(
      result.status === 200 || (path === "/readyz" && result.status === 503),
      `${path}: ${result.status} ${result.text}`,
    );
  }
});

/** Runs `main.ts` as a process with `--allow-net`; kills it if it runs longer than `ms`. */
async function runMain(args: string[], ms = 15_000): Promise<{ code: number; stderr: string }> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-net", new URL("../main.ts", import.meta.url).pathname, ...args],
    env: { NO_COLOR: "1" },
    clearEnv: true,
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const stderr = new Response(child.stderr).text();
  try {
    const status = await within(child.status, ms, `main.ts ${args.join(" ")} to exit`);
    return { code: status.code, stderr: await stderr };
  } finally {
    try {
      child.kill("SIGKILL");
    } catch { /* exited */ }
    await child.status;
    await stderr;
  }
}

Deno.test("admin: a non-loopback admin host without a token refuses to start (exit 2)", async () => {
  const { code, stderr } = await runMain([
    "--host",
    "127.0.0.1",
    "--port",
    "0",
    "--backends",
    "http://127.0.0.1:1",
    "--admin-host",
    "0.0.0.0",
    "--admin-port",
    String(freePort()),
  ]);
  assert.equal(code, 2, stderr);
  assert.match(stderr, /token/);
  assert.match(stderr, /0\.0\.0\.0/);
});

// --- adding and removing upstreams -------------------------------------------------------------

Deno.test("admin: POST adds an upstream that takes traffic once its first check passes", async () => {
  await using a = startUpstream("a");
  await using sluice = await startAdmin([a.url]);
  await allUp(sluice);

  const port = freePort(); // nothing listens there yet
  const created = await api<UpstreamView>(
    sluice,
    "/api/upstreams",
    json("POST", { url: `http://127.0.0.1:${port}/`, name: "late", weight: 2 }),
  );
  assert.equal(created.status, 201, created.text);
  const id = created.body.id;
  assert.equal(created.headers.get("location"), `/api/upstreams/${id}`);
  assert.equal(created.body.url, `http://127.0.0.1:${port}`, "the URL is normalised");
  assert.equal(created.body.name, "late");
  assert.equal(created.body.weight, 2);
  assert.equal(created.body.available, false, "not available before its first check");
  assert.equal(created.body.health.state, "unknown");

  const located = await api<UpstreamView>(sluice, created.headers.get("location")!);
  assert.equal(located.status, 200);
  assert.equal(located.body.id, id);

  await waitForPool(
    sluice.app,
    () => sluice.app.pool.get(id)?.health === "down",
    3_000,
    "late down",
  );
  const down = await api<UpstreamView>(sluice, `/api/upstreams/${id}`);
  assert.equal(down.body.available, false);
  assert.equal(down.body.health.lastCheck?.ok, false);
  assert.deepEqual(
    await send(sluice, 4),
    ["a", "a", "a", "a"],
    "nothing goes to an unchecked upstream",
  );

  await using late = startUpstream("late", undefined, port);
  await waitForPool(
    sluice.app,
    () => sluice.app.pool.get(id)?.available === true,
    3_000,
    "late up",
  );
  assert.deepEqual((await send(sluice, 4)).sort(), ["a", "a", "late", "late"]);
  assert.equal(late.seen.length, 2);
});

Deno.test("admin: POST refuses a duplicate URL (409) and invalid input (400)", async () => {
  await using a = startUpstream("a");
  await using sluice = await startAdmin([a.url]);
  const post = (body: unknown) => api(sluice, "/api/upstreams", json("POST", body));

  assertProblem(await post({ url: a.url }), 409);
  assertProblem(await post({ url: a.url.replace("http://", "HTTP://") + "/" }), 409);

  const noScheme = assertProblem(await post({ url: "localhost:9001" }), 400);
  assert.match(String(noScheme.detail), /localhost:9001/);
  assertProblem(await post({ url: "ftp://127.0.0.1:21" }), 400);
  assertProblem(await post({ url: "http://127.0.0.1:9001/api" }), 400);
  assertProblem(await post({ url: "http://user:pw@127.0.0.1:9001" }), 400);
  const missing = assertProblem(await post({ name: "x" }), 400);
  assert.deepEqual((missing["invalid-params"] as { name: string }[]).map((p) => p.name), ["url"]);
  const weight = assertProblem(await post({ url: "http://127.0.0.1:9002", weight: 0 }), 400);
  assert.deepEqual((weight["invalid-params"] as { name: string }[]).map((p) => p.name), ["weight"]);
  const extra = assertProblem(await post({ url: "http://127.0.0.1:9002", port: 1 }), 400);
  assert.deepEqual((extra["invalid-params"] as { name: string }[]).map((p) => p.name), ["port"]);
  assertProblem(
    await api(sluice, "/api/upstreams", {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: "url=http://127.0.0.1:9002",
    }),
    415,
  );

  assert.equal(sluice.app.pool.size, 1, "nothing was added");
});

Deno.test("admin: DELETE drains (202), keeps it while a request is in flight, then removes it", async () => {
  const hold = new Hold();
  await using a = startUpstream("a", hold.handler("a"));
  await using b = startUpstream("b", hold.handler("b"));
  await using sluice = await startAdmin([a.url, b.url]);
  using _release = hold;
  using client = Deno.createHttpClient({});
  await allUp(sluice);

  const held = heldRequest(sluice, client);
  const holder = await hold.arrived();
  const busy = holder === "a" ? a : b;
  const id = idOf(sluice, busy.url);

  const deleted = await api<UpstreamView>(sluice, `/api/upstreams/${id}`, {
    method: "DELETE",
    headers: JSON_TYPE,
  });
  assert.equal(deleted.status, 202, deleted.text);
  assert.equal(deleted.body.admin, "draining");

  const draining = await api<UpstreamView>(sluice, `/api/upstreams/${id}`);
  assert.equal(draining.status, 200, "still there while a request is in flight");
  assert.equal(draining.body.admin, "draining");
  assert.equal(draining.body.inFlight, 1);
  const seen = busy.seen.length;
  assert.deepEqual(await send(sluice, 4), Array(4).fill(holder === "a" ? "b" : "a"));
  assert.equal(busy.seen.length, seen, "a new request reached the draining upstream");

  hold.release();
  assert.deepEqual(await within(held, 2_000, "the held response"), {
    status: 200,
    text: `held by ${holder}`,
  });
  await waitForPool(sluice.app, () => sluice.app.pool.get(id) === undefined, 3_000, "removal");
  assertProblem(await api(sluice, `/api/upstreams/${id}`), 404);
  const left = await api<UpstreamView[]>(sluice, "/api/upstreams");
  assert.deepEqual(left.body.map((u) => u.url), [holder === "a" ? b.url : a.url]);
  assert.equal(busy.seen.length, seen, "nothing reached it after the drain began");
});

Deno.test("admin: PATCH ready cancels a removal; a second DELETE removes it after all", async () => {
  const hold = new Hold();
  await using a = startUpstream("a", hold.handler("a"));
  await using b = startUpstream("b", hold.handler("b"));
  await using sluice = await startAdmin([a.url, b.url]);
  using _release = hold;
  using client = Deno.createHttpClient({});
  await allUp(sluice);

  const held = heldRequest(sluice, client);
  const holder = await hold.arrived();
  const id = idOf(sluice, holder === "a" ? a.url : b.url);
  assert.equal(
    (await api(sluice, `/api/upstreams/${id}`, { method: "DELETE", headers: JSON_TYPE })).status,
    202,
  );
  const kept = await api<UpstreamView>(
    sluice,
    `/api/upstreams/${id}`,
    json("PATCH", { state: "ready" }),
  );
  assert.equal(kept.status, 200);
  assert.equal(kept.body.admin, "ready");

  const again = await api<UpstreamView>(sluice, `/api/upstreams/${id}`, {
    method: "DELETE",
    headers: JSON_TYPE,
  });
  assert.equal(again.status, 202);
  assert.equal(
    again.body.admin,
    "draining",
    "App.removeUpstream returns early for an id still in #removing, so the second DELETE " +
      "neither drains nor removes an upstream whose first removal was cancelled",
  );
  hold.release();
  assert.equal((await within(held, 2_000, "the held response")).status, 200);
  await waitForPool(sluice.app, () => sluice.app.pool.get(id) === undefined, 2_000, "removal");
});

// --- status, config, metrics -------------------------------------------------------------------

Deno.test("admin: GET /api/status shows version, strategy, uptime and request totals", async () => {
  await using a = startUpstream("a");
  await using sluice = await startAdmin([a.url]);
  await allUp(sluice);
  const before = await api<StatusView>(sluice, "/api/status");
  assert.equal(before.status, 200);
  assert.equal(before.body.version, VERSION);
  assert.equal(before.body.strategy, "round_robin");
  assert.ok(Number.isInteger(before.body.uptimeSeconds) && before.body.uptimeSeconds >= 0);
  assert.ok(Date.parse(before.body.startedAt) <= Date.now());
  assert.equal(before.body.ready, true);
  assert.equal(before.body.shuttingDown, false);
  assert.deepEqual(before.body.upstreams, { total: 1, available: 1 });

  await send(sluice, 5);
  const after = await api<StatusView>(sluice, "/api/status");
  assert.equal(after.body.totals.requests - before.body.totals.requests, 5);
  assert.equal(after.body.totals.errors, 0);
  assert.ok(after.body.rps > 0);
});

Deno.test("admin: GET /api/config shows the running config with the token redacted", async () => {
  await using a = startUpstream("a");
  await using sluice = await startAdmin([a.url], ["--admin-token", TOKEN]);
  const config = await api<Record<string, Record<string, unknown>>>(sluice, "/api/config");
  assert.equal(config.status, 200);
  assert.equal(config.body.admin?.token, "[redacted]");
  assert.equal(config.body.strategy as unknown, "round_robin");
  assert.deepEqual((config.body.backends as unknown as { url: string }[]).map((b) => b.url), [
    a.url,
  ]);
  assert.equal(config.body.health?.interval, "100ms");
  for (const path of ["/api/config", "/api/status", "/api/upstreams", "/metrics"]) {
    const result = await api(sluice, path, { headers: { authorization: `Bearer ${TOKEN}` } });
    assert.ok(!result.text.includes(TOKEN), `${path} shows the token`);
  }
});

/** One sample of the Prometheus text format. */
interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Parses the samples of a Prometheus text exposition (format 0.0.4). */
function parseSamples(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split("\n")) {
    if (line === "" || line.startsWith("#")) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+-?\d+)?$/.exec(line);
    assert.ok(match, `not a sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const [, name, value] of match[2]?.matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g) ?? []) {
      labels[name!] = value!.replaceAll('\\"', '"').replaceAll("\\n", "\n").replaceAll(
        "\\\\",
        "\\",
      );
    }
    const raw = match[3]!;
    samples.push({
      name: match[1]!,
      labels,
      value: raw === "+Inf" ? Infinity : raw === "-Inf" ? -Infinity : Number(raw),
    });
  }
  return samples;
}

/** Scrapes `/metrics`; `value(name, labels)` is the sample with exactly those labels, else 0. */
async function scrape(sluice: TestSluice) {
  const result = await api(sluice, "/metrics");
  assert.equal(result.status, 200);
  assert.match(result.headers.get("content-type") ?? "", /^text\/plain; version=0\.0\.4/);
  const samples = parseSamples(result.text);
  const value = (name: string, labels: Record<string, string> = {}) => {
    const found = samples.filter((s) =>
      s.name === name &&
      Object.keys(s.labels).length === Object.keys(labels).length &&
      Object.entries(labels).every(([key, v]) => s.labels[key] === v)
    );
    assert.ok(found.length <= 1, `${name} ${JSON.stringify(labels)} matches several samples`);
    return found[0]?.value ?? 0;
  };
  const type = (name: string) =>
    /^# TYPE \S+ (\w+)$/m.exec(
      result.text.split("\n").find((line) => line.startsWith(`# TYPE ${name} `)) ?? "",
    )?.[1];
  return { text: result.text, samples, value, type };
}

Deno.test("admin: GET /metrics exposes request, upstream, health check and process metrics", async () => {
  const hold = new Hold();
  await using a = startUpstream("a", hold.handler("a"));
  await using b = startUpstream("b", hold.handler("b"));
  await using sluice = await startAdmin([a.url, b.url]);
  using _release = hold;
  using client = Deno.createHttpClient({});
  await allUp(sluice);
  const nameA = sluice.app.pool.get("u1")!.name;
  const nameB = sluice.app.pool.get("u2")!.name;

  const first = await scrape(sluice);
  assert.equal(first.type("sluice_requests_total"), "counter");
  assert.equal(first.type("sluice_request_duration_seconds"), "histogram");
  assert.equal(first.type("sluice_upstream_up"), "gauge");
  assert.equal(first.type("sluice_upstream_in_flight"), "gauge");
  assert.equal(first.type("sluice_health_checks_total"), "counter");
  for (const name of ["process_cpu_seconds_total", "process_resident_memory_bytes"]) {
    assert.ok(first.samples.some((s) => s.name === name), `${name} is exposed`);
  }
  assert.ok(first.value("process_resident_memory_bytes") > 1_000_000, "resident memory");
  const started = first.value("process_start_time_seconds");
  assert.ok(started > 1e9 && started <= Date.now() / 1000, `process start ${started}`);
  assert.equal(first.value("sluice_upstream_up", { pool: "default", upstream: nameA }), 1);
  assert.equal(first.value("sluice_upstream_up", { pool: "default", upstream: nameB }), 1);
  assert.ok(
    first.value("sluice_health_checks_total", {
      pool: "default",
      upstream: nameA,
      result: "success",
    }) >= 1,
  );

  await send(sluice, 6);
  const second = await scrape(sluice);
  for (const upstream of [nameA, nameB]) {
    const labels = {
      route: "default",
      pool: "default",
      upstream,
      method: "GET",
      code_class: "2xx",
    };
    assert.equal(
      second.value("sluice_requests_total", labels) - first.value("sluice_requests_total", labels),
      3,
      `requests to ${upstream}`,
    );
    assert.equal(
      second.value("sluice_request_duration_seconds_count", {
        route: "default",
        pool: "default",
        upstream,
      }) -
        first.value("sluice_request_duration_seconds_count", {
          route: "default",
          pool: "default",
          upstream,
        }),
      3,
    );
    assert.equal(
      second.value("sluice_request_duration_seconds_bucket", {
        route: "default",
        pool: "default",
        upstream,
        le: "+Inf",
      }),
      second.value("sluice_request_duration_seconds_count", {
        route: "default",
        pool: "default",
        upstream,
      }),
    );
    assert.ok(
      second.value("sluice_request_duration_seconds_sum", {
        route: "default",
        pool: "default",
        upstream,
      }) > 0,
    );
  }

  const held = heldRequest(sluice, client);
  const holder = await hold.arrived();
  const [busy, idle] = holder === "a" ? [nameA, nameB] : [nameB, nameA];
  const during = await scrape(sluice);
  assert.equal(during.value("sluice_upstream_in_flight", { pool: "default", upstream: busy }), 1);
  assert.equal(during.value("sluice_upstream_in_flight", { pool: "default", upstream: idle }), 0);
  hold.release();
  assert.equal((await within(held, 2_000, "the held response")).status, 200);

  await b.close();
  await waitForPool(
    sluice.app,
    () => sluice.app.pool.get("u2")?.health === "down",
    3_000,
    "b down",
  );
  const third = await scrape(sluice);
  assert.equal(third.value("sluice_upstream_up", { pool: "default", upstream: nameB }), 0);
  assert.equal(third.value("sluice_upstream_up", { pool: "default", upstream: nameA }), 1);
  assert.ok(
    third.value("sluice_health_checks_total", {
      pool: "default",
      upstream: nameB,
      result: "failure",
    }) >= 3,
  );
  assert.ok(
    third.value("sluice_health_checks_total", {
      pool: "default",
      upstream: nameA,
      result: "success",
    }) >
      first.value("sluice_health_checks_total", {
        pool: "default",
        upstream: nameA,
        result: "success",
      }),
    "a was checked again meanwhile",
  );
});
