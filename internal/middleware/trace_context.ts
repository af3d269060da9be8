/**
 * W3C Trace Context (`traceparent`, `tracestate`): exactly one `traceparent` goes upstream,
 * with or without Deno's built-in OpenTelemetry (`OTEL_DENO=true`).
 *
 * @module
 */

import { trace } from "@opentelemetry/api";
import type { Handler, Middleware, RequestContext } from "./context.ts";
import { requestField } from "./request_field.ts";

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

/** Character codes of the lower-case hex digits. */
const HEX_DIGITS = Uint8Array.from("0123456789abcdef", (c) => c.charCodeAt(0));
/** Random bytes drawn 4 KiB at a time: one `getRandomValues` call per 170 new traces. */
const pool = new Uint8Array(4096);
let poolUsed = pool.length;
/**
 * The character codes of a new `traceparent`, `00-<32 hex>-<16 hex>-01`, rewritten in place for
 * each: the value is made as one string, not 24 concatenations of two digits.
 */
const traceparentCodes: number[] = Array.from(
  `00-${"0".repeat(32)}-${"0".repeat(16)}-01`,
  (c) => c.charCodeAt(0),
);

/** A `traceparent` of random ids (16 bytes of trace id, 8 of parent id) with the sampled flag. */
function newTraceparent(): string {
  if (poolUsed + 24 > pool.length) {
    crypto.getRandomValues(pool);
    poolUsed = 0;
  }
  const codes = traceparentCodes;
  let at = 3;
  for (let i = 0; i < 24; i++) {
    if (i === 16) at++; // the dash between the ids
    const byte = pool[poolUsed + i]!;
    codes[at++] = HEX_DIGITS[byte >> 4]!;
    codes[at++] = HEX_DIGITS[byte & 0x0f]!;
  }
  poolUsed += 24;
  return String.fromCharCode.apply(null, codes);
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
    ctx.trace = decideTrace(ctx);
    return next(ctx);
  };
}

/**
 * The trace context to send upstream for a request with these headers.
 * @param headers the client's request headers, or its context (whose parsed fields are read
 *   when the listener gave them, see `requestField`).
 * @returns the context; see {@linkcode traceContext}.
 */
export function decideTrace(
  headers: Headers | Pick<RequestContext, "request" | "headerFields">,
): TraceContext {
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
  const incoming = header(headers, "traceparent");
  const traceId = incoming === null ? undefined : parseTraceparent(incoming);
  if (traceId !== undefined) {
    return {
      traceId,
      traceparent: incoming!,
      tracestate: header(headers, "tracestate") ?? undefined,
      fromPlatform: false,
    };
  }
  const traceparent = newTraceparent();
  return {
    traceId: traceparent.slice(3, 35),
    traceparent,
    tracestate: undefined,
    fromPlatform: false,
  };
}

function header(
  source: Headers | Pick<RequestContext, "request" | "headerFields">,
  name: string,
): string | null {
  return source instanceof Headers ? source.get(name) : requestField(source, name);
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
