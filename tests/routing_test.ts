/**
 * End-to-end tests of routing: several pools behind one listener, routes by host, path,
 * method and header, rewrites, redirects, fixed responses, 404, per-pool strategies and
 * health, and a reload that moves a route under load.
 *
 * @module
 */

import assert from "node:assert/strict";
import {
  startSluice,
  startUpstream,
  type TestSluice,
  type TestUpstream,
  within,
} from "./_fixtures.ts";
import { proxyTest, type Variant } from "./_matrix.ts";
import { rawRequest } from "./_raw_http.ts";
import type { Pool } from "../internal/pool/mod.ts";

const ARTIFACTS = new URL("./artifacts/", import.meta.url).pathname;

/** A JSON config file under `tests/artifacts/`, removed on dispose. */
interface ConfigFile extends AsyncDisposable {
  readonly path: string;
  write(config: unknown): Promise<void>;
}

async function configFile(config: unknown): Promise<ConfigFile> {
  await Deno.mkdir(ARTIFACTS, { recursive: true });
  const path = `${ARTIFACTS}routing_${crypto.randomUUID()}.json`;
  const write = (value: unknown) => Deno.writeTextFile(path, JSON.stringify(value));
  await write(config);
  return {
    path,
    write,
    async [Symbol.asyncDispose]() {
      await Deno.remove(path).catch(() => {});
    },
  };
}

/** Starts Sluice from a config object (written to a file, kept until the Sluice stops). */
async function startRouted(
  config: unknown,
  variant?: Variant,
): Promise<TestSluice & { file: ConfigFile }> {
  const file = await configFile(config);
  const args = ["--config", file.path];
  const sluice = variant ? await startSluice(variant, args) : await startSluice(args);
  const stop = async () => {
    await sluice.stop();
    await file[Symbol.asyncDispose]();
  };
  return { ...sluice, file, stop, [Symbol.asyncDispose]: stop };
}

/** GET over a raw connection with a chosen Host: status, headers and body text. */
async function getWithHost(
  sluice: TestSluice,
  host: string,
  target: string,
  extra = "",
  method = "GET",
) {
  const response = await rawRequest(
    sluice.url,
    `${method} ${target} HTTP/1.1\r\nHost: ${host}\r\n${extra}Connection: close\r\n\r\n`,
  );
  return { ...response, text: new TextDecoder().decode(response.body) };
}

async function fetchText(url: string, init?: RequestInit) {
  const response = await fetch(url, { redirect: "manual", ...init });
  return { status: response.status, headers: response.headers, text: await response.text() };
}

/** Upstreams named by what they answer; closed on dispose. */
function upstreams(...names: string[]): TestUpstream[] & AsyncDisposable {
  const list = names.map((name) => startUpstream(name)) as TestUpstream[] & AsyncDisposable;
  list[Symbol.asyncDispose] = async () => {
    await Promise.all(list.map((u) => u.close()));
  };
  return list;
}

Deno.test("routing: exact and wildcard hosts pick the pool, other hosts fall through", async () => {
  await using ups = upstreams("api", "wild", "web");
  const [api, wild, web] = ups;
  await using sluice = await startRouted({
    pools: {
      api: { backends: [api!.url] },
      wild: { backends: [wild!.url] },
      web: { backends: [web!.url] },
    },
    routes: [
      { name: "api", match: { host: "api.example.com" }, pool: "api" },
      { name: "tenants", match: { host: "*.tenants.example.com" }, pool: "wild" },
      { name: "web", pool: "web" },
    ],
  });
  assert.equal((await getWithHost(sluice, "api.example.com", "/")).text, "api");
  assert.equal((await getWithHost(sluice, "API.Example.com:8080", "/x")).text, "api");
  assert.equal((await getWithHost(sluice, "a.tenants.example.com", "/")).text, "wild");
  assert.equal((await getWithHost(sluice, "a.b.tenants.example.com", "/")).text, "wild");
  assert.equal((await getWithHost(sluice, "tenants.example.com", "/")).text, "web");
  assert.equal((await getWithHost(sluice, "other.example.com", "/")).text, "web");
});

Deno.test("routing: path prefixes match whole segments; strip_prefix keeps the query and leaves / at least", async () => {
  await using ups = upstreams("static", "api", "web");
  const [staticUp, api, web] = ups;
  await using sluice = await startRouted({
    pools: {
      static: { backends: [staticUp!.url] },
      api: { backends: [api!.url] },
      web: { backends: [web!.url] },
    },
    routes: [
      { name: "static", match: { path_prefix: "/static/" }, strip_prefix: true, pool: "static" },
      { name: "api", match: { path_prefix: "/api" }, pool: "api" },
      { name: "web", pool: "web" },
    ],
  });
  const cases: [string, string, string][] = [
    ["/static/a.css?v=1", "static", "/a.css?v=1"],
    ["/static", "static", "/"],
    ["/static?v=2", "static", "/?v=2"],
    ["/staticx/a", "web", "/staticx/a"],
    ["/api", "api", "/api"],
    ["/api/users?id=1", "api", "/api/users?id=1"],
    ["/apix", "web", "/apix"],
    // Raw path, before decoding: %2F is not a segment boundary.
    ["/api%2Fx", "web", "/api%2Fx"],
  ];
  for (const [target, body, seenTarget] of cases) {
    const response = await fetchText(sluice.url + target);
    assert.equal(response.text, body, target);
    const up = { static: staticUp, api, web }[body]!;
    assert.equal(up.seen.at(-1)?.target, seenTarget, target);
  }
});

Deno.test("routing: methods and header matches, first match wins in file order", async () => {
  await using ups = upstreams("writes", "canary", "first", "second");
  const [writes, canary, first, second] = ups;
  await using sluice = await startRouted({
    pools: {
      writes: { backends: [writes!.url] },
      canary: { backends: [canary!.url] },
      first: { backends: [first!.url] },
      second: { backends: [second!.url] },
    },
    routes: [
      { name: "writes", match: { methods: ["POST", "PUT"] }, pool: "writes" },
      { name: "canary", match: { headers: { "X-Canary": "1" } }, pool: "canary" },
      { name: "first", match: { path_prefix: "/a" }, pool: "first" },
      { name: "second", match: { path_prefix: "/a/b" }, pool: "second" },
    ],
  });
  assert.equal((await fetchText(sluice.url + "/a", { method: "POST", body: "x" })).text, "writes");
  assert.equal(
    (await fetchText(sluice.url + "/a", { headers: { "x-canary": "1" } })).text,
    "canary",
  );
  assert.equal(
    (await fetchText(sluice.url + "/a", { headers: { "x-canary": "2" } })).text,
    "first",
  );
  assert.equal((await fetchText(sluice.url + "/a/b")).text, "first", "the earlier route wins");
  const none = await fetchText(sluice.url + "/zzz");
  assert.equal(none.status, 404);
  const id = none.headers.get("x-request-id");
  assert.ok(id);
  assert.match(none.text, /^404 Not Found: no route matches this request/);
  assert.ok(none.text.includes(`(request id ${id})`));
  assert.equal(second!.seen.length, 0);
});

Deno.test("routing: redirect with {path}, {query} and {host}; respond; their header rules", async () => {
  await using sluice = await startRouted({
    routes: [
      {
        name: "blog",
        match: { path_prefix: "/blog" },
        redirect: { to: "https://blog.example.com{path}{query}", status: 301 },
      },
      { name: "move", match: { path: "/old" }, redirect: { to: "https://{host}/new" } },
      {
        name: "billing",
        match: { path_prefix: "/billing" },
        respond: { status: 503, body: "billing is down for maintenance\n" },
        response_headers: { set: { "Retry-After": "120" } },
      },
      { name: "empty", match: { path: "/empty" }, respond: {} },
    ],
  });
  const blog = await fetchText(sluice.url + "/blog/2024/post?x=1&y=2");
  assert.equal(blog.status, 301);
  assert.equal(blog.headers.get("location"), "https://blog.example.com/blog/2024/post?x=1&y=2");
  assert.ok(blog.headers.get("x-request-id"));
  const bare = await fetchText(sluice.url + "/blog");
  assert.equal(bare.headers.get("location"), "https://blog.example.com/blog");
  const move = await getWithHost(sluice, "shop.example.com:8080", "/old?q=1");
  assert.equal(move.status, 302);
  assert.equal(move.headers.get("location"), "https://shop.example.com/new");
  const billing = await fetchText(sluice.url + "/billing/invoices");
  assert.equal(billing.status, 503);
  assert.equal(billing.text, "billing is down for maintenance\n");
  assert.equal(billing.headers.get("retry-after"), "120");
  assert.equal(billing.headers.get("content-type"), "text/plain; charset=utf-8");
  const empty = await fetchText(sluice.url + "/empty");
  assert.equal(empty.status, 200);
  assert.equal(empty.text, "");
  // No route for the rest, and no pool default either.
  assert.equal((await fetchText(sluice.url + "/")).status, 404);
  assert.equal(sluice.app.pools.size, 0);
});

proxyTest(
  "routing: header rules set and remove both ways, after Sluice's own headers",
  async (variant) => {
    await using up = startUpstream("up", () =>
      new Response("up", {
        headers: { server: "secret-server/1.0", "x-upstream": "1", "cache-control": "no-cache" },
      }));
    await using sluice = await startRouted({
      pools: { web: { backends: [up.url] } },
      routes: [{
        name: "web",
        pool: "web",
        request_headers: {
          set: { "X-Env": "prod", "X-Forwarded-Proto": "https" },
          remove: ["Cookie"],
        },
        response_headers: {
          set: { "Cache-Control": "public, max-age=3600" },
          remove: ["Server"],
        },
      }],
    }, variant);
    const response = await fetchText(sluice.url + "/p", {
      headers: { cookie: "session=1", "x-keep": "yes" },
    });
    assert.equal(response.status, 200);
    assert.equal(response.headers.get("cache-control"), "public, max-age=3600");
    assert.equal(response.headers.get("server"), null);
    assert.equal(response.headers.get("x-upstream"), "1");
    const seen = up.seen.at(-1)!.headers;
    assert.equal(seen.get("x-env"), "prod");
    assert.equal(seen.get("cookie"), null);
    assert.equal(seen.get("x-keep"), "yes");
    assert.equal(seen.get("x-forwarded-proto"), "https", "a rule overrides Sluice's header");
    assert.ok(seen.get("x-forwarded-for"));
  },
);

Deno.test("routing: two pools with different strategies balance independently", async () => {
  await using ups = upstreams("rr1", "rr2", "h1", "h2");
  const [rr1, rr2, h1, h2] = ups;
  await using sluice = await startRouted({
    pools: {
      rr: { strategy: "round_robin", backends: [rr1!.url, rr2!.url] },
      hashed: { strategy: "consistent_hash", hash_key: "path", backends: [h1!.url, h2!.url] },
    },
    routes: [
      { name: "hashed", match: { path_prefix: "/h" }, pool: "hashed" },
      { name: "rr", pool: "rr" },
    ],
  });
  const rr: string[] = [];
  const hashed: string[] = [];
  for (let i = 0; i < 6; i++) {
    rr.push((await fetchText(sluice.url + "/x")).text);
    hashed.push((await fetchText(sluice.url + "/h/same")).text);
  }
  assert.deepEqual(new Set(rr), new Set(["rr1", "rr2"]));
  assert.notEqual(rr[0], rr[1], "round robin alternates");
  assert.equal(new Set(hashed).size, 1, `one path, one upstream: ${hashed}`);
  assert.equal(sluice.app.pools.get("hashed")?.strategy.name, "consistent_hash");
  assert.equal(sluice.app.pools.get("rr")?.strategy.name, "round_robin");
});

/**
 * Resolves when `done()` holds for `pool`, re-checking on each of the pool's change events;
 * rejects after `timeoutMs` (a bound on the wait, not a timing assumption).
 */
function poolState(pool: Pool, done: () => boolean, what: string, timeoutMs = 5_000) {
  return within(
    new Promise<void>((resolve) => {
      if (done()) return resolve();
      const off = pool.onChange(() => {
        if (!done()) return;
        off();
        resolve();
      });
    }),
    timeoutMs,
    what,
  );
}

Deno.test("routing: a pool whose every upstream is down answers 503 while the other serves", async () => {
  await using up = startUpstream("alive");
  const dead = startUpstream("dead");
  const deadUrl = dead.url;
  await dead.close();
  await using sluice = await startRouted({
    health: { interval: "50ms", unhealthy_threshold: 1 },
    pools: {
      // The dead upstream refuses connections, so every probe of it fails, whatever its speed.
      down: { backends: [deadUrl] },
      // The live upstream's state must not depend on the machine's speed: one probe at start,
      // the next an hour away, and a timeout (at most the interval) that cannot fire during the
      // test, so its only probe passes however slow the machine is (a 50 ms timeout and one
      // failure to fall marked it down on the loaded machine and /ok got 503).
      alive: { backends: [up.url], health: { interval: "1h", timeout: "1h" } },
    },
    routes: [
      { name: "down", match: { path_prefix: "/down" }, pool: "down" },
      { name: "alive", pool: "alive" },
    ],
  });
  const failed = await fetchText(sluice.url + "/down/x");
  assert.ok(failed.status === 502 || failed.status === 503, String(failed.status));
  const down = sluice.app.pools.get("down")!.pool;
  await poolState(down, () => down.available().length === 0, "the dead upstream marked down");
  // The live upstream's only probe has passed (the event, not a moment) before /ok is asked.
  const alive = sluice.app.pools.get("alive")!.pool;
  await poolState(alive, () => alive.list()[0]?.health === "up", "the live upstream marked up");
  const unavailable = await fetchText(sluice.url + "/down/x");
  assert.equal(unavailable.status, 503);
  assert.ok(unavailable.headers.get("retry-after"));
  assert.equal((await fetchText(sluice.url + "/ok")).text, "alive");
  assert.equal(sluice.app.ready(), false, "a pool a route uses has no available upstream");
});

Deno.test("routing: a reload moves a route from one pool to another under load, no request fails", async () => {
  await using ups = upstreams("old", "new");
  const [oldUp, newUp] = ups;
  const config = (pool: string) => ({
    pools: { old: { backends: [oldUp!.url] }, new: { backends: [newUp!.url] } },
    routes: [{ name: "app", match: { path_prefix: "/app" }, pool }, {
      name: "rest",
      respond: { status: 404, body: "none\n" },
    }],
  });
  await using sluice = await startRouted(config("old"));
  let stop = false;
  const failures: string[] = [];
  const counts = new Map<string, number>();
  const waiters = new Map<string, () => void>();
  const load = Array.from({ length: 4 }, async () => {
    for (let i = 0; i < 5_000 && !stop; i++) {
      const response = await fetchText(sluice.url + "/app/x");
      if (response.status !== 200) failures.push(`${response.status} ${response.text}`);
      counts.set(response.text, (counts.get(response.text) ?? 0) + 1);
      waiters.get(response.text)?.();
    }
  });
  /** Resolves when the load has had a response from `body` (bounded by the load's length). */
  const answered = (body: string) =>
    within(
      new Promise<void>((resolve) => waiters.set(body, resolve)),
      10_000,
      `an answer from ${body}`,
    );
  await answered("old");
  const before = sluice.app.pools.get("new")!.pool.list()[0]!;
  await sluice.file.write(config("new"));
  const outcome = await sluice.app.reload();
  assert.ok(outcome.applied.some((line) => line.startsWith("routes:")), outcome.applied.join("; "));
  await answered("new");
  stop = true;
  await Promise.all(load);
  assert.deepEqual(failures, []);
  assert.ok((counts.get("old") ?? 0) > 0 && (counts.get("new") ?? 0) > 0);
  assert.equal((await fetchText(sluice.url + "/app/y")).text, "new");
  // The pools were kept: the same upstream objects, with their health state and counters.
  const after = sluice.app.pools.get("new")!.pool.list()[0]!;
  assert.equal(after, before);
  assert.ok(after.requestsTotal > 0);
});

proxyTest(
  "routing: a dot segment cannot match one route and reach another path upstream",
  async (variant) => {
    await using up = startUpstream("web");
    await using sluice = await startRouted({
      pools: { web: { backends: [up.url] } },
      routes: [
        { name: "admin", match: { path_prefix: "/admin" }, respond: { status: 403, body: "no\n" } },
        { name: "public", match: { path_prefix: "/public" }, pool: "web" },
      ],
    }, variant);
    for (const target of ["/public/../admin", "/public/%2e%2e/admin", "/public/./x"]) {
      const response = await getWithHost(sluice, "example.com", target);
      // A listener that resolves dot segments itself (Deno.serve) routes the resolved path.
      assert.ok(
        response.status === 400 || (response.status === 403 && target.includes("admin")) ||
          (response.status === 200 && target === "/public/./x" &&
            up.seen.at(-1)?.target === "/public/x"),
        `${target}: ${response.status} ${response.text}`,
      );
    }
    assert.ok(!up.seen.some((seen) => seen.target.includes("admin")), "nothing reached /admin");
  },
);
