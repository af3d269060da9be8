/**
 * Micro benchmarks of W3C trace context on the request path (without OpenTelemetry): deciding
 * the trace of a request that brings a valid `traceparent` (kept) and of one that brings none
 * (a new trace: 24 random bytes as hex), against reading a header alone.
 *
 * Run: `deno bench bench/trace_context_bench.ts`
 *
 * @module
 */

import { decideTrace } from "../internal/middleware/mod.ts";

const withTrace = new Headers({
  host: "shop.example",
  accept: "*/*",
  traceparent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
});
const without = new Headers({ host: "shop.example", accept: "*/*" });

Deno.bench("baseline: Headers.get of one header", { group: "trace", baseline: true }, () => {
  withTrace.get("traceparent");
});
Deno.bench("decideTrace: client's traceparent kept", { group: "trace" }, () => {
  decideTrace(withTrace);
});
Deno.bench("decideTrace: none sent, a new trace made", { group: "trace" }, () => {
  decideTrace(without);
});
