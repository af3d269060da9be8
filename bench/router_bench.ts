/**
 * Micro benchmarks of route matching (`RouteTable.match`) and of the router's work per request
 * (`hostOf` and the path split), with 3 routes (the shape) and with 200 routes (100
 * exact hosts, 60 path prefixes, 39 header/method rules, then a catch-all), the request
 * matching one of the last.
 *
 * `splitRequestUrl()` (0.13 µs in the README's figures) runs beside them as a yardstick: on a
 * loaded machine, compare the ratios.
 *
 * Run: `deno bench bench/router_bench.ts`
 *
 * @module
 */

import { validateConfig } from "../internal/config/mod.ts";
import { splitRequestUrl } from "../internal/middleware/mod.ts";
import { compileRoutes, hostOf, type RouteInput } from "../internal/router/mod.ts";

function compiled(routes: unknown[]) {
  const config = validateConfig({ pools: { api: {}, web: {} }, routes });
  return compileRoutes(config.routes).table;
}

const three = compiled([
  { name: "api", match: { host: "api.example.com" }, pool: "api" },
  { name: "static", match: { path_prefix: "/static/" }, strip_prefix: true, pool: "web" },
  { pool: "web" },
]);

const many: unknown[] = [];
for (let i = 0; i < 100; i++) {
  many.push({ name: `host${i}`, match: { host: `site${i}.example.com` }, pool: "web" });
}
for (let i = 0; i < 60; i++) {
  many.push({ name: `prefix${i}`, match: { path_prefix: `/service${i}` }, pool: "api" });
}
for (let i = 0; i < 39; i++) {
  many.push({
    name: `rule${i}`,
    match: { path_prefix: "/v2", methods: ["POST"], headers: { "X-Tenant": `t${i}` } },
    pool: "api",
  });
}
many.push({ name: "rest", pool: "web" });
const twoHundred = compiled(many);

const headers = new Headers({ "x-tenant": "t38", accept: "*/*" });
const staticInput: RouteInput = {
  host: "www.example.com",
  path: "/static/app.css",
  method: "GET",
  headers,
};
const exactHost: RouteInput = { host: "site99.example.com", path: "/", method: "GET", headers };
const lastPrefix: RouteInput = {
  host: "www.example.com",
  path: "/service59/x",
  method: "GET",
  headers,
};
const lastRule: RouteInput = {
  host: "www.example.com",
  path: "/v2/orders",
  method: "POST",
  headers,
};
const catchAll: RouteInput = { host: "www.example.com", path: "/nothing", method: "GET", headers };

Deno.bench("3 routes: prefix route (2nd)", { group: "3" }, () => {
  three.match(staticInput);
});
Deno.bench("3 routes: catch-all (3rd)", { group: "3" }, () => {
  three.match(catchAll);
});
Deno.bench("200 routes: exact host (map)", { group: "200" }, () => {
  twoHundred.match(exactHost);
});
Deno.bench("200 routes: 60th path prefix", { group: "200" }, () => {
  twoHundred.match(lastPrefix);
});
Deno.bench("200 routes: 39th header rule", { group: "200" }, () => {
  twoHundred.match(lastRule);
});
Deno.bench("200 routes: catch-all, every rule tried", { group: "200" }, () => {
  twoHundred.match(catchAll);
});
Deno.bench("router per request: hostOf + path split", { group: "parts" }, () => {
  const target = "/static/app.css?v=3";
  const q = target.indexOf("?");
  hostOf("www.example.com:8080");
  target.slice(0, q);
});
Deno.bench("yardstick: splitRequestUrl()", { group: "parts" }, () => {
  splitRequestUrl("http://shop.example/api/v1/items/42?expand=price", "GET", "shop.example");
});
