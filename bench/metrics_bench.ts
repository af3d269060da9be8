/**
 * Micro benchmarks of metrics on the request path: the per-request recording of the `metrics()`
 * middleware (target: under 2 µs), the whole middleware around a handler, and a scrape.
 *
 * Run: `deno bench bench/metrics_bench.ts`
 *
 * @module
 */

import { Counter, Histogram, Registry } from "prom-client";
import { createMetrics, REQUEST_DURATION_BUCKETS, Traffic } from "../internal/metrics/mod.ts";
import {
  compose,
  createContext,
  type Handler,
  type RequestContext,
} from "../internal/middleware/mod.ts";
import { metrics } from "../internal/middleware/metrics.ts";
import { Pool } from "../internal/pool/mod.ts";

const pool = new Pool(
  Array.from({ length: 10 }, (_, i) => ({
    id: `u${i + 1}`,
    name: `10.0.0.${i + 1}:8080`,
    url: `http://10.0.0.${i + 1}:8080`,
  })),
);
const upstreams = pool.list();
const sink = createMetrics({ pool });
const traffic = new Traffic();
const browserRequest = new Request("http://shop.example/api/v1/items/42?expand=price", {
  headers: {
    "user-agent": "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko)",
    "accept": "application/json",
    "accept-language": "en-GB,en;q=0.9",
    "cookie": "session=abc123; theme=dark",
  },
});
const contexts: RequestContext[] = upstreams.map((upstream) => ({
  ...createContext(browserRequest, "10.1.2.3"),
  upstream,
  attempts: 1,
}));
let i = 0;

Deno.bench("record: traffic.begin/end + recordRequest (what the middleware does)", {
  group: "record",
}, () => {
  const ctx = contexts[i++ % contexts.length]!;
  traffic.begin();
  const durationMs = performance.now() - ctx.startTime;
  traffic.end(200, durationMs, ctx.attempts);
  sink.recordRequest(ctx, 200, durationMs, 5120);
});

Deno.bench("record: recordRequest only", { group: "record" }, () => {
  const ctx = contexts[i++ % contexts.length]!;
  sink.recordRequest(ctx, 200, 12.5, 5120);
});

// For comparison: the same series recorded through prom-client's API on every request.
const naive = new Registry();
const requests = new Counter({
  name: "r_total",
  help: "h",
  labelNames: ["upstream", "method", "code_class"],
  registers: [naive],
});
const duration = new Histogram({
  name: "d_seconds",
  help: "h",
  labelNames: ["upstream"],
  buckets: [...REQUEST_DURATION_BUCKETS],
  registers: [naive],
});
const bytesSent = new Counter({
  name: "s_total",
  help: "h",
  labelNames: ["upstream"],
  registers: [naive],
});
const bytesReceived = new Counter({
  name: "b_total",
  help: "h",
  labelNames: ["upstream"],
  registers: [naive],
});
Deno.bench("record, naive: prom-client labels().inc()/observe() per request", {
  group: "record",
  baseline: true,
}, () => {
  const ctx = contexts[i++ % contexts.length]!;
  const upstream = ctx.upstream!.name;
  requests.labels(upstream, ctx.request.method, "2xx").inc();
  duration.labels(upstream).observe(0.0125);
  bytesSent.labels(upstream).inc(5120);
  bytesReceived.labels(upstream).inc(Number(ctx.request.headers.get("content-length") ?? 0));
});

const ok = new Response(null, { status: 204 });
const inner: Handler = (ctx) => {
  ctx.upstream = upstreams[0];
  ctx.attempts = 1;
  return Promise.resolve(ok);
};
const bare = compose([], inner);
const measured = compose([metrics({ metrics: sink, traffic })], inner);
const done = Promise.resolve({ bytes: 5120, clientAborted: false });
const streamed = compose([metrics({ metrics: sink, traffic })], (ctx) => {
  ctx.responseDone = done;
  return inner(ctx);
});

Deno.bench("middleware: none (a handler and a context)", {
  group: "middleware",
  baseline: true,
}, async () => {
  await bare(createContext(browserRequest, "10.1.2.3"));
});

Deno.bench("middleware: metrics(), response without body stream", {
  group: "middleware",
}, async () => {
  await measured(createContext(browserRequest, "10.1.2.3"));
});

Deno.bench("middleware: metrics(), streamed response (responseDone)", {
  group: "middleware",
}, async () => {
  const ctx = createContext(browserRequest, "10.1.2.3");
  await streamed(ctx);
  await ctx.responseDone;
});

Deno.bench("render: scrape with 10 upstreams and process metrics", async () => {
  await sink.render();
});
