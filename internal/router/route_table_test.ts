import assert from "node:assert/strict";
import { validateConfig } from "../config/mod.ts";
import { compileRoutes, hasDotSegment, hasPathPrefix } from "./route_table.ts";
import { redirectLocation, stripPrefix } from "./rewrite.ts";
import { hostOf } from "./router.ts";

function table(routes: unknown[], pools: Record<string, unknown> = { p: {} }) {
  return compileRoutes(validateConfig({ pools, routes }).routes, { pools: Object.keys(pools) });
}

function route(
  compiled: ReturnType<typeof table>,
  input: { host?: string; path?: string; method?: string; headers?: HeadersInit },
) {
  return compiled.table.match({
    host: input.host ?? "",
    path: input.path ?? "/",
    method: input.method ?? "GET",
    headers: new Headers(input.headers),
  })?.name;
}

Deno.test("RouteTable: first match in file order, exact hosts looked up without losing order", () => {
  const compiled = table([
    { name: "any-a", match: { path_prefix: "/a" }, pool: "p" },
    { name: "exact", match: { host: "x.example.com" }, pool: "p" },
    { name: "wild", match: { host: "*.example.com" }, pool: "p" },
    { name: "exact-b", match: { host: "x.example.com", path_prefix: "/b" }, pool: "p" },
  ]);
  assert.equal(route(compiled, { host: "x.example.com", path: "/a/1" }), "any-a");
  assert.equal(route(compiled, { host: "x.example.com", path: "/b" }), "exact");
  assert.equal(route(compiled, { host: "y.example.com", path: "/b" }), "wild");
  assert.equal(route(compiled, { host: "example.com", path: "/b" }), undefined);
  assert.equal(route(compiled, { host: "", path: "/a" }), "any-a");
});

Deno.test("RouteTable: path, methods and headers must all hold", () => {
  const compiled = table([
    {
      name: "r",
      match: { path: "/x", methods: ["GET", "HEAD"], headers: { "X-Canary": "1" } },
      pool: "p",
    },
  ]);
  assert.equal(route(compiled, { path: "/x", headers: { "x-canary": "1" } }), "r");
  assert.equal(route(compiled, { path: "/x", method: "HEAD", headers: { "x-canary": "1" } }), "r");
  assert.equal(
    route(compiled, { path: "/x", method: "get", headers: { "x-canary": "1" } }),
    undefined,
  );
  assert.equal(route(compiled, { path: "/x/", headers: { "x-canary": "1" } }), undefined);
  assert.equal(route(compiled, { path: "/x", headers: { "x-canary": "2" } }), undefined);
  assert.equal(route(compiled, { path: "/x" }), undefined);
});

Deno.test("compileRoutes() warns of routes after a catch-all and of unused pools", () => {
  const compiled = table([
    { name: "all", pool: "p" },
    { name: "late", match: { path: "/x" }, pool: "p" },
  ], { p: {}, q: {} });
  assert.deepEqual(compiled.warnings, [
    "route late is never used: the route all before it matches every request",
    "pool q is not used by any route",
  ]);
});

Deno.test("compileRoutes() carries hit counts over by route name", () => {
  const first = table([{ name: "a", pool: "p" }]);
  first.table.routes[0]!.hits = 7;
  const second = compileRoutes(first.table.routes.map((r) => r.config), { previous: first.table });
  assert.equal(second.table.routes[0]!.hits, 7);
});

Deno.test("hasPathPrefix() matches whole segments", () => {
  assert.equal(hasPathPrefix("/api", "/api"), true);
  assert.equal(hasPathPrefix("/api/x", "/api"), true);
  assert.equal(hasPathPrefix("/apix", "/api"), false);
  assert.equal(hasPathPrefix("/ap", "/api"), false);
  assert.equal(hasPathPrefix("/anything", "/"), true);
  assert.equal(hasPathPrefix("*", "/"), false);
});

Deno.test("stripPrefix() keeps the query and leaves / at least", () => {
  assert.equal(stripPrefix("/static/a.css?v=1", "/static"), "/a.css?v=1");
  assert.equal(stripPrefix("/static", "/static"), "/");
  assert.equal(stripPrefix("/static?v=1", "/static"), "/?v=1");
  assert.equal(stripPrefix("/static/", "/static"), "/");
  assert.equal(stripPrefix("/x", "/"), "/x");
});

Deno.test("redirectLocation() fills {path}, {query} and {host}", () => {
  assert.equal(
    redirectLocation("https://{host}/new{path}{query}", "/a/b?c=1", "example.com"),
    "https://example.com/new/a/b?c=1",
  );
  assert.equal(
    redirectLocation("https://b.example{path}{query}", "/a", "h"),
    "https://b.example/a",
  );
});

Deno.test("hostOf() drops the port and lower-cases", () => {
  assert.equal(hostOf("API.Example.com:8080"), "api.example.com");
  assert.equal(hostOf("example.com"), "example.com");
  assert.equal(hostOf("[::1]:8080"), "[::1]");
  assert.equal(hostOf("[::1]"), "[::1]");
  assert.equal(hostOf(""), "");
});

Deno.test("hasDotSegment() finds . and .. segments, percent-encoded too", () => {
  for (const path of ["/a/../b", "/a/./b", "/..", "/a/.", "/%2e%2e/b", "/a/%2E/b", "/.%2e/x"]) {
    assert.equal(hasDotSegment(path), true, path);
  }
  for (const path of ["/", "/a.b/c", "/...", "/a/..b", "/.well-known/x", "/a%2fb"]) {
    assert.equal(hasDotSegment(path), false, path);
  }
});

Deno.test("RouteTable.matchesPaths: only when a route looks at the path", () => {
  assert.equal(table([{ name: "all", pool: "p" }]).table.matchesPaths, false);
  assert.equal(table([{ match: { host: "a.example" }, pool: "p" }]).table.matchesPaths, false);
  assert.equal(table([{ match: { path_prefix: "/" }, pool: "p" }]).table.matchesPaths, false);
  assert.equal(table([{ match: { path_prefix: "/api" }, pool: "p" }]).table.matchesPaths, true);
});

Deno.test("RouteTable: a run of routes differing by one header value keeps first-match order", () => {
  const tenants = Array.from({ length: 5 }, (_, i) => ({
    name: `t${i}`,
    match: { path_prefix: "/v2", methods: ["POST"], headers: { "X-Tenant": `t${i}` } },
    pool: "p",
  }));
  const compiled = table([
    { name: "early", match: { path: "/v2/special", headers: { "X-Tenant": "t3" } }, pool: "p" },
    ...tenants,
    {
      name: "dup",
      match: { path_prefix: "/v2", methods: ["POST"], headers: { "X-Tenant": "t1" } },
      pool: "p",
    },
    { name: "rest", pool: "p" },
  ]);
  const post = (path: string, tenant?: string) =>
    route(compiled, {
      path,
      method: "POST",
      ...(tenant === undefined ? {} : { headers: { "x-tenant": tenant } }),
    });
  assert.equal(post("/v2/special", "t3"), "early");
  assert.equal(post("/v2/orders", "t3"), "t3");
  assert.equal(post("/v2/orders", "t1"), "t1", "the first of two routes for one value");
  assert.equal(post("/v2/orders", "t9"), "rest");
  assert.equal(post("/v2/orders"), "rest");
  assert.equal(route(compiled, { path: "/v2/orders", headers: { "x-tenant": "t2" } }), "rest");
  assert.equal(post("/v3", "t2"), "rest");
});
