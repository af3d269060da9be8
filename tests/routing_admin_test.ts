/**
 * End-to-end tests of the admin API with several pools: `/api/pools`, `/api/routes`,
 * `/api/pools/{pool}/upstreams[/{id}]`, `/api/upstreams` for the pool `default`, and `/readyz`
 * over the pools that routes use.
 *
 * @module
 */

import assert from "node:assert/strict";
import type { PoolView, RouteView, UpstreamView } from "../internal/admin/views.ts";
import { freePort, startSluice, startUpstream, type TestSluice, within } from "./_fixtures.ts";

const ARTIFACTS = new URL("./artifacts/", import.meta.url).pathname;

async function startWithFile(config: unknown): Promise<TestSluice> {
  await Deno.mkdir(ARTIFACTS, { recursive: true });
  const path = `${ARTIFACTS}routing_admin_${crypto.randomUUID()}.json`;
  await Deno.writeTextFile(path, JSON.stringify(config));
  const sluice = await startSluice(["--config", path, "--admin-port", String(freePort())]);
  const stop = async () => {
    await sluice.stop();
    await Deno.remove(path).catch(() => {});
  };
  return { ...sluice, stop, [Symbol.asyncDispose]: stop };
}

async function api<T>(sluice: TestSluice, path: string, init: RequestInit = {}) {
  const response = await fetch(sluice.adminUrl + path, init);
  const text = await response.text();
  return {
    status: response.status,
    headers: response.headers,
    body: (text.startsWith("{") || text.startsWith("[") ? JSON.parse(text) : text) as T,
  };
}

Deno.test("admin API: pools with totals, routes with hit counts, upstreams per pool", async () => {
  await using a = startUpstream("a");
  await using b = startUpstream("b");
  await using c = startUpstream("c");
  await using sluice = await startWithFile({
    backends: [a.url],
    pools: { api: { strategy: "least_connections", backends: [b.url] } },
    routes: [
      { name: "api", match: { path_prefix: "/api" }, pool: "api" },
      { name: "old", match: { path: "/old" }, redirect: { to: "/new", status: 301 } },
      { name: "rest", pool: "default" },
    ],
  });
  for (const path of ["/api/x", "/api/y", "/", "/old"]) {
    await (await fetch(sluice.url + path, { redirect: "manual" })).body?.cancel();
  }
  const pools = await api<PoolView[]>(sluice, "/api/pools");
  assert.equal(pools.status, 200);
  assert.deepEqual(pools.body.map((p) => [p.name, p.strategy, p.totals.upstreams]), [
    ["default", "round_robin", 1],
    ["api", "least_connections", 1],
  ]);
  assert.equal(pools.body[1]!.upstreams[0]!.id, "api.u1");
  assert.equal(pools.body[1]!.upstreams[0]!.requestsTotal, 2);
  const routes = await api<RouteView[]>(sluice, "/api/routes");
  assert.deepEqual(routes.body, [
    { name: "api", match: "path /api/*", target: "pool api", pool: "api", hits: 2 },
    { name: "old", match: "path /old", target: "redirect 301 /new", pool: null, hits: 1 },
    { name: "rest", match: "*", target: "pool default", pool: "default", hits: 1 },
  ]);

  // Add to a named pool; the default pool's list does not change.
  const added = await api<UpstreamView>(sluice, "/api/pools/api/upstreams", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ url: c.url, name: "c" }),
  });
  assert.equal(added.status, 201);
  assert.equal(added.body.id, "api.u2");
  assert.equal(added.headers.get("location"), "/api/pools/api/upstreams/api.u2");
  assert.deepEqual(
    (await api<UpstreamView[]>(sluice, "/api/pools/api/upstreams")).body.map((u) => u.name),
    [b.url.slice(7), "c"],
  );
  assert.deepEqual(
    (await api<UpstreamView[]>(sluice, "/api/upstreams")).body.map((u) => u.url),
    [a.url],
  );
  // The same URL may be in two pools.
  const again = await api<UpstreamView>(sluice, "/api/pools/default/upstreams", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ url: c.url }),
  });
  assert.equal(again.status, 201);
  assert.equal(again.headers.get("location"), "/api/pools/default/upstreams/u2");

  const patched = await api<UpstreamView>(sluice, "/api/pools/api/upstreams/api.u2", {
    method: "PATCH",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ state: "maintenance" }),
  });
  assert.equal(patched.status, 200);
  assert.equal(patched.body.admin, "maintenance");
  assert.equal(sluice.app.pools.get("api")!.pool.get("api.u2")?.admin, "maintenance");
  assert.equal(sluice.app.pool.get("u2")?.admin, "ready", "the other pool's copy is untouched");

  // Metrics: a route label on request series, a pool label on upstream series.
  const metrics = (await api<string>(sluice, "/metrics")).body;
  assert.match(
    metrics,
    /^sluice_requests_total\{route="api",pool="api",upstream="[^"]+",method="GET",code_class="2xx"\} 2$/m,
  );
  assert.match(metrics, /^sluice_upstream_up\{pool="api",upstream="c"\} 0$/m, "in maintenance");
  assert.match(metrics, /^sluice_upstream_up\{pool="default",upstream="[^"]+"\} 1$/m);

  const removed = await api<UpstreamView>(sluice, "/api/pools/api/upstreams/api.u2", {
    method: "DELETE",
    headers: { "content-type": "application/json" },
  });
  assert.equal(removed.status, 202);
  assert.equal((await api(sluice, "/api/pools/nope/upstreams")).status, 404);
  assert.equal((await api(sluice, "/api/pools/api/upstreams/u1")).status, 404);
  assert.equal((await api(sluice, "/api/pools/api/upstreams", { method: "PUT" })).status, 405);
});

Deno.test("/readyz: ready when every pool a route uses has an available upstream", async () => {
  await using a = startUpstream("a");
  await using sluice = await startWithFile({
    pools: { web: { backends: [a.url] }, empty: {} },
    routes: [
      { name: "web", match: { path_prefix: "/web" }, pool: "web" },
      { name: "rest", respond: { status: 404 } },
    ],
  });
  // The pool "empty" is used by no route: it does not count.
  assert.equal((await api(sluice, "/readyz")).status, 200);
  sluice.app.pools.get("web")!.pool.setAdminState("web.u1", "maintenance");
  const notReady = await api<string>(sluice, "/readyz");
  assert.equal(notReady.status, 503);
  assert.match(notReady.body, /not ready/);
});

Deno.test("admin events: a change in any pool is an upstream event naming its pool", async () => {
  await using a = startUpstream("a");
  await using b = startUpstream("b");
  await using sluice = await startWithFile({
    backends: [a.url],
    pools: { api: { backends: [b.url] } },
    routes: [{ name: "api", match: { path_prefix: "/api" }, pool: "api" }, { pool: "default" }],
  });
  const controller = new AbortController();
  const response = await fetch(sluice.adminUrl + "/api/events", { signal: controller.signal });
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  const readUntil = async (pattern: RegExp) => {
    while (!pattern.test(text)) {
      const { done, value } = await reader.read();
      if (done) throw new Error(`the stream ended before ${pattern}: ${text}`);
      text += value;
    }
  };
  try {
    await within(readUntil(/event: snapshot\ndata: .*"pools":\[/), 5_000, "the snapshot");
    assert.match(text, /"routes":\[\{"name":"api"/);
    sluice.app.pools.get("api")!.pool.setAdminState("api.u1", "draining");
    await within(
      readUntil(/event: upstream\ndata: \{"type":"admin","at":"[^"]+","pool":"api"/),
      5_000,
      "the api pool's event",
    );
  } finally {
    controller.abort();
    await reader.cancel().catch(() => {});
  }
});
