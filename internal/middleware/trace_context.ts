/**
 * W3C Trace Context (`traceparent`, `tracestate`): exactly one `traceparent` goes upstream,
 * with or without Deno's built-in OpenTelemetry (`OTEL_DENO=true`).
 *
 * @module
 */

import { trace } from "@opentelemetry/api";
import type { Handler, Middleware, RequestContext } from "./context.ts";

/** `version-traceid-parentid-flags`, lower-case hex (W3C Trace Context §3.2.2). */
const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/;
const ZERO_TRACE_ID = "0".repeat(32);
const ZERO_PARENT_ID = "0".repeat(16);

/**
 * The trace id of a `traceparent` value, or `undefined` when it is not a valid one (W3C Trace
 * Context §3.2: version `ff` is invalid, ids of all zeros are invalid, version `00` has exactly
 * four fields; a higher version may carry more after a dash).
 * @param value one header value.
 * @returns the 32 hex digits of the trace id, or `undefined`.
 */
export function parseTraceparent(value: string): string | undefined {
  const match = TRACEPARENT.exec(value);
  if (match === null) return undefined;
  const [, version, traceId, parentId, , rest] = match;
  if (version === "ff" || (version === "00" && rest !== undefined)) return undefined;
  if (traceId === ZERO_TRACE_ID || parentId === ZERO_PARENT_ID) return undefined;
  return traceId;
}

/** Two hex digits of each byte value. */
const HEX: readonly string[] = Array.from(
  { length: 256 },
  (_, i) => i.toString(16).padStart(2, "0"),
);
/** Random bytes drawn 4 KiB at a time: one `getRandomValues` call per 170 new traces. */
const pool = new Uint8Array(4096);
let poolUsed = pool.length;

/** Lower-case hex of `bytes` random bytes (at most 64). */
function randomHex(bytes: number): string {
  if (poolUsed + bytes > pool.length) {
    crypto.getRandomValues(pool);
    poolUsed = 0;
  }
  let hex = "";
  for (let i = poolUsed; i < poolUsed + bytes; i++) hex += HEX[pool[i]!];
  poolUsed += bytes;
  return hex;
}

/**
 * Middleware that decides the trace context of the request (`ctx.trace`), which `forward()`
 * sends upstream in place of whatever the client sent:
 *
 * - With Deno's OpenTelemetry on, the span `Deno.serve` opened for the request (itself a child
 *   of the client's `traceparent`) is the parent: its ids go upstream. Deno's fetch adds that
 *   header itself (a child span of its own), so `forward()` sends none with the fetch
 *   transport; the http1 transport is not instrumented, so Sluice sends it.
 * - Without it, a valid `traceparent` from the client passes unchanged with its `tracestate`
 *   (Sluice records no span, so it names no hop of its own: nginx and HAProxy without tracing
 *   do the same); a missing, repeated or invalid one is replaced by a new trace (random ids,
 *   sampled flag set, so the upstream's parent-based sampler records it as it would a root),
 *   and a `tracestate` without a valid parent is dropped (§3.3).
 *
 * The trace id goes to the access log (`trace_id`).
 * @returns the middleware.
 */
export function traceContext(): Middleware {
  return function traceContextMiddleware(ctx: RequestContext, next: Handler) {
    ctx.trace = decideTrace(ctx.request.headers);
    return next(ctx);
  };
}

/**
 * The trace context to send upstream for a request with these headers.
 * @param headers the client's request headers.
 * @returns the context; see {@linkcode traceContext}.
 */
export function decideTrace(headers: Headers): TraceContext {
  const span = trace.getActiveSpan();
  if (span !== undefined) {
    const context = span.spanContext();
    const flags = (context.traceFlags & 0xff).toString(16).padStart(2, "0");
    const state = context.traceState?.serialize();
    return {
      traceId: context.traceId,
      traceparent: `00-${context.traceId}-${context.spanId}-${flags}`,
      tracestate: state === undefined || state === "" ? undefined : state,
      fromPlatform: true,
    };
  }
  // Headers.get joins repeated fields with ", ", which no valid value contains.
  const incoming = headers.get("traceparent");
  const traceId = incoming === null ? undefined : parseTraceparent(incoming);
  if (traceId !== undefined) {
    return {
      traceId,
      traceparent: incoming!,
      tracestate: headers.get("tracestate") ?? undefined,
      fromPlatform: false,
    };
  }
  const id = randomHex(16);
  return {
    traceId: id,
    traceparent: `00-${id}-${randomHex(8)}-01`,
    tracestate: undefined,
    fromPlatform: false,
  };
}

/** The trace context a request carries upstream. */
export interface TraceContext {
  /** 32 lower-case hex digits, for the access log. */
  traceId: string;
  /** The `traceparent` value to send. */
  traceparent: string;
  /** The `tracestate` value to send, if any. */
  tracestate: string | undefined;
  /**
   * True when it comes from Deno's OpenTelemetry span, whose instrumented fetch sends the
   * header itself (a transport with `injectsTraceContext` then gets none from Sluice).
   */
  fromPlatform: boolean;
}
