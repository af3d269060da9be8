/**
 * Micro benchmarks of the client checks and limits on the request path: what `requestChecks()`,
 * `requestLimits()`, `rateLimit()` and `bodyLimit()` add to a request they let through (against a chain without
 * them), their parts, a refusal, and the cost of streaming a chunked body through `limitBody()`.
 *
 * Run: `deno bench bench/limits_bench.ts`
 *
 * @module
 */

import {
  bodyLimit,
  compose,
  createContext,
  type Handler,
  headerBytes,
  limitBody,
  rateLimit,
  RateLimiter,
  recover,
  requestChecks,
  requestLimits,
  requestTargetLength,
  splitRequestUrl,
} from "../internal/middleware/mod.ts";

const browserHeaders = {
  "host": "shop.example",
  "user-agent": "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko)",
  "accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
  "accept-language": "en-GB,en;q=0.9",
  "accept-encoding": "gzip, deflate, br",
  "cookie": "session=abc123def456; theme=dark; consent=1",
  "referer": "https://shop.example/basket",
};
const get = new Request("http://shop.example/api/v1/items/42?expand=price", {
  headers: browserHeaders,
});
const post = new Request("http://shop.example/api/v1/orders", {
  method: "POST",
  headers: { ...browserHeaders, "content-type": "application/json", "content-length": "512" },
  body: "x".repeat(512),
});
const manyHeaders = new Request("http://shop.example/", {
  headers: Object.fromEntries(
    Array.from({ length: 40 }, (_, i) => [`x-header-${i}`, "v".repeat(40)]),
  ),
});

const ok = Promise.resolve(new Response("ok"));
const handler: Handler = () => ok;
const clients = Array.from({ length: 1024 }, (_, i) => `10.0.${i >> 8}.${i & 255}`);
const contexts = clients.map((ip) => createContext(get, ip));
const postContexts = clients.map((ip) => createContext(post, ip));
let i = 0;

const bare = compose([], handler);
const withRequestLimits = compose([requestLimits()], handler);
// A rate no bench run reaches, so every request is let through.
const withRateLimit = compose([rateLimit(new RateLimiter({ rate: 1e9, burst: 1e9 }))], handler);
const withBodyLimit = compose([bodyLimit({ maxBytes: 1 << 20 })], handler);
const withRequestChecks = compose([requestChecks()], handler);
const withAll = compose([
  requestLimits(),
  rateLimit(new RateLimiter({ rate: 1e9, burst: 1e9 })),
  bodyLimit({ maxBytes: 1 << 20 }),
], handler);

Deno.bench("no limits (baseline)", { group: "let through", baseline: true }, async () => {
  await bare(contexts[i++ & 1023]!);
});
Deno.bench("requestLimits() (8 KiB target, 32 KiB headers)", { group: "let through" }, async () => {
  await withRequestLimits(contexts[i++ & 1023]!);
});
Deno.bench("requestChecks() (Host, method, framing)", { group: "let through" }, async () => {
  await withRequestChecks(contexts[i++ & 1023]!);
});
Deno.bench("rateLimit() (1024 clients)", { group: "let through" }, async () => {
  await withRateLimit(contexts[i++ & 1023]!);
});
Deno.bench("bodyLimit(), GET without body", { group: "let through" }, async () => {
  await withBodyLimit(contexts[i++ & 1023]!);
});
Deno.bench("bodyLimit(), POST with Content-Length", { group: "let through" }, async () => {
  await withBodyLimit(postContexts[i++ & 1023]!);
});
Deno.bench("all three, GET", { group: "let through" }, async () => {
  await withAll(contexts[i++ & 1023]!);
});

Deno.bench("headerBytes(), 7 browser headers", { group: "parts" }, () => {
  headerBytes(get.headers);
});
Deno.bench("headerBytes(), 40 headers", { group: "parts" }, () => {
  headerBytes(manyHeaders.headers);
});
Deno.bench("splitRequestUrl() (per request, in createContext)", { group: "parts" }, () => {
  splitRequestUrl(get.url, get.method, get.headers.get("host"), "localhost:8080");
});
Deno.bench("requestTargetLength()", { group: "parts" }, () => {
  requestTargetLength(get.url);
});
const hot = new RateLimiter({ rate: 1e9, burst: 1e9 });
Deno.bench("RateLimiter.take(), 1024 known clients", { group: "parts" }, () => {
  hot.take(clients[i++ & 1023]!);
});
const churn = new RateLimiter({ rate: 1, burst: 1, maxClients: 10_000 });
let fresh = 0;
Deno.bench("RateLimiter.take(), a new client each time (sweep, eviction at 10k)", {
  group: "parts",
}, () => {
  churn.take(`2001:db8::${(fresh++).toString(16)}`);
});

const refusing = compose(
  [recover(), rateLimit(new RateLimiter({ rate: 1e-9, burst: 1 }))],
  handler,
);
const refusedContext = createContext(get, "203.0.113.9");
await refusing(refusedContext);
Deno.bench(
  "rateLimit() refusal: error, recover(), 429 response",
  { group: "refusal" },
  async () => {
    await refusing(refusedContext);
  },
);

const CHUNK = new Uint8Array(4096);
function chunkedBody(): ReadableStream<Uint8Array> {
  let left = 16;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (left-- === 0) controller.close();
      else controller.enqueue(CHUNK);
    },
  }, { highWaterMark: 0 });
}
async function drain(stream: ReadableStream<Uint8Array>): Promise<void> {
  const reader = stream.getReader();
  while (!(await reader.read()).done);
}
Deno.bench(
  "read a 64 KiB chunked body (16 chunks)",
  { group: "chunked", baseline: true },
  async () => {
    await drain(chunkedBody());
  },
);
Deno.bench("read it through limitBody()", { group: "chunked" }, async () => {
  await drain(limitBody(chunkedBody(), 1 << 20).stream);
});
