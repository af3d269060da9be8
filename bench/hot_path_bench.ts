/**
 * Micro benchmarks of the per-request hot path: header rewriting, target extraction,
 * round robin selection and walking the composed middleware chain.
 *
 * Run: `deno task bench`
 *
 * @module
 */

import { RoundRobinStrategy } from "../internal/balancer/mod.ts";
import { invalidResponseReason } from "../internal/proxy/response_framing.ts";
import { compose, createContext, type Middleware } from "../internal/middleware/mod.ts";
import { Pool } from "../internal/pool/mod.ts";
import {
  pathAndQuery,
  rewriteResponseHeaders,
  upstreamRequestHeaders,
} from "../internal/proxy/mod.ts";
import { browserHeaders, info } from "./_requests.ts";

Deno.bench("request headers: upstreamRequestHeaders + fetch's copy", { group: "headers" }, () => {
  new Headers(upstreamRequestHeaders(browserHeaders, info));
});

Deno.bench("request headers, naive: copy, edit, fetch's copy", {
  group: "headers",
  baseline: true,
}, () => {
  const copy = new Headers(browserHeaders);
  copy.delete("connection");
  copy.set("x-forwarded-for", "203.0.113.9, 10.1.2.3");
  copy.set("x-forwarded-proto", "http");
  copy.set("x-forwarded-host", "shop.example");
  copy.set("x-request-id", info.requestId);
  copy.set("accept-encoding", "identity");
  new Headers(copy);
});

const upstreamHeaders = new Headers({
  "content-type": "text/html; charset=utf-8",
  "content-length": "5120",
  "cache-control": "max-age=60",
  "connection": "keep-alive",
  "keep-alive": "timeout=5",
  "date": "Sat, 21 Nov 2026 20:00:00 GMT",
});
Deno.bench("response headers: new Response + rewriteResponseHeaders in place", {
  group: "response",
}, () => {
  rewriteResponseHeaders(new Response(null, { headers: upstreamHeaders }).headers, info.requestId);
});

const upstreamResponse = new Response(null, { headers: upstreamHeaders });
Deno.bench("response check: invalidResponseReason (CL+TE, unsolicited 101)", {
  group: "response",
}, () => {
  invalidResponseReason(upstreamResponse, false);
});

Deno.bench("pathAndQuery", () => {
  pathAndQuery("http://shop.example:8080/api/v1/items/42?expand=price&lang=en");
});

for (const n of [3, 100, 1000]) {
  const pool = new Pool(
    Array.from(
      { length: n },
      (_, i) => ({ id: `u${i}`, name: `u${i}`, url: `http://10.0.0.${i % 250}:80` }),
    ),
  );
  const rr = new RoundRobinStrategy();
  const ctx = { request: new Request("http://lb/"), clientIp: "10.1.2.3" };
  Deno.bench(`round_robin select, ${n} upstreams`, { group: "select" }, () => {
    rr.select(pool.available(), ctx);
  });
}

const passThrough: Middleware = (ctx, next) => next(ctx);
const chain = compose(
  [passThrough, passThrough, passThrough],
  () => Promise.resolve(new Response(null)),
);
const request = new Request("http://lb/");
Deno.bench("middleware chain of 3 + context", async () => {
  await chain(createContext(request, "10.1.2.3"));
});
