/**
 * The per-request context that the middleware chain and the proxy share.
 *
 * @module
 */

import type { HeaderRules } from "../config/mod.ts";
import type { Upstream } from "../pool/mod.ts";
import { splitRequestUrl } from "./request_target.ts";
import type { TraceContext } from "./trace_context.ts";

/** How the response body ended; known only after the last byte was sent or the client left. */
export interface ResponseOutcome {
  /** Body bytes handed to the client connection. */
  bytes: number;
  /** True when the client went away before the body was complete (logged as status 499). */
  clientAborted: boolean;
  /** The upstream or stream error that cut the body short, if any. */
  error?: unknown;
}

/** One client request on its way through Sluice. Created by the server for each request. */
export interface RequestContext {
  /** The client's request. */
  readonly request: Request;
  /**
   * The body to send upstream in place of `request.body`, when a middleware wraps it
   * (`bodyLimit()` does, for bodies without Content-Length); `undefined` sends `request.body`.
   * Only set for bodies without Content-Length: the director reads small bodies with one
   * through `request.bytes()`.
   */
  body?: ReadableStream<Uint8Array> | null;
  /**
   * The request target as the client sent it: origin form (`/path?query`), `"*"` (asterisk
   * form of `OPTIONS`) or `""` (authority form of CONNECT); an absolute-form target is reduced
   * to its path and query. What goes upstream as the path; never derived from the Host header.
   */
  readonly target: string;
  /**
   * Host (and port) the request was addressed to: the Host header, or an absolute-form
   * target's authority (RFC 9112 §3.2.2), or HTTP/2's `:authority`; `""` when the client sent
   * none. Validated by `requestChecks()`.
   */
  readonly authority: string;
  /**
   * The request's header fields as the listener parsed them, when it has them (the http1
   * listener): `request.headers`' fields in wire order, one entry per field line (repeated names
   * not combined), names lower case, values trimmed. Lets a middleware size or scan them without
   * the sorted, combined copy `Headers` iteration builds on every call.
   */
  readonly headerFields?: readonly (readonly [string, string])[] | undefined;
  /** The IP address of the socket's peer (appended to X-Forwarded-For). */
  readonly clientAddress: string;
  /**
   * The client's IP address for balancing, rate limits and logs: `clientAddress`, or the
   * address a trusted proxy reported in X-Forwarded-For. Defaults to `clientAddress`.
   */
  clientIp: string;
  /** `"http"` or `"https"`: how the client reached Sluice (X-Forwarded-Proto). */
  readonly protocol: "http" | "https";
  /** `performance.now()` when the request arrived, ms. */
  readonly startTime: number;
  /**
   * When the request arrived, ms since the epoch, whole: `startTime` on the wall clock (see
   * {@linkcode wallClockMs}: `Date.now()` read at most once a second, not per request).
   */
  readonly receivedAt: number;
  /**
   * `performance.now()` when the response was over (sent or abandoned), ms: read once, by the
   * first of the metrics and the access log to ask (see {@linkcode requestDurationMs}).
   */
  endTime?: number | undefined;
  /** Request id (X-Request-Id): the client's when sane, else generated. Set by `requestId()`. */
  requestId: string;
  /** The upstream of the last attempt, if one was chosen. */
  upstream: Upstream | undefined;
  /** Name of the route that matched, set by the router; `undefined` before or when none did. */
  route: string | undefined;
  /** Name of the pool the route sends the request to, set by the router. */
  pool: string | undefined;
  /**
   * The request target sent upstream when a route rewrites it (strip prefix); `undefined`
   * sends `target`.
   */
  upstreamTarget?: string;
  /** The route's header rules for the request sent upstream, applied by `forward()`. */
  requestHeaderRules?: HeaderRules;
  /**
   * The upstream a valid sticky-session cookie pins the client to (set by `sticky()`). The
   * director's first attempt goes there while it is available, without asking the strategy.
   */
  pinned: Upstream | undefined;
  /** Upstream attempts made (0 when none was available). */
  attempts: number;
  /**
   * The W3C trace context sent upstream, set by `traceContext()`; `undefined` (no such
   * middleware) passes the client's `traceparent` and `tracestate` as they came.
   */
  trace?: TraceContext;
  /**
   * Settles when the server has delivered the whole response (`Deno.ServeHandlerInfo.completed`);
   * rejects when the client went away first.
   */
  readonly completed: Promise<void>;
  /**
   * Settles when the response body has finished streaming to the client or was abandoned;
   * `undefined` for responses whose size is known up front (errors, empty bodies).
   */
  responseDone: Promise<ResponseOutcome> | undefined;
}

/** The innermost handler: turns a context into a response. */
export type Handler = (ctx: RequestContext) => Promise<Response>;

/** A middleware (Hono/Koa onion): may act before and after `next`. */
export type Middleware = (ctx: RequestContext, next: Handler) => Promise<Response>;

/** Options of {@linkcode createContext}. */
export interface CreateContextOptions {
  /** How the client connected. @default "http" */
  protocol?: "http" | "https";
  /** Settles when the response was delivered. @default an already resolved promise */
  completed?: Promise<void>;
  /**
   * The authority the server makes up when a request has no Host (`Deno.serve`:
   * `localhost:<port>`), so that a missing Host is seen as missing. @default none
   */
  fallbackAuthority?: string | undefined;
  /**
   * Request target and authority, for a listener that reads them from the request line
   * itself. @default read from `request.url` and the Host header (see `splitRequestUrl`)
   */
  address?: { target: string; authority: string };
  /**
   * The header fields as the listener parsed them (see `RequestContext.headerFields`).
   * @default none: the fields are read from `request.headers`
   */
  headerFields?: readonly (readonly [string, string])[] | undefined;
}

/**
 * Creates a context for a request.
 * @param request the client's request.
 * @param clientAddress the client's IP address.
 * @param options how the client connected, the server's delivery promise, and how to read the
 *   request target.
 * @returns a context with a placeholder request id and no upstream yet.
 */
export function createContext(
  request: Request,
  clientAddress: string,
  options: CreateContextOptions = {},
): RequestContext {
  const { target, authority } = options.address ?? splitRequestUrl(
    request.url,
    request.method,
    request.headers.get("host"),
    options.fallbackAuthority,
  );
  return contextOf(
    request,
    clientAddress,
    options.protocol ?? "http",
    options.completed ?? Promise.resolve(),
    target,
    authority,
    options.headerFields,
  );
}

/**
 * Creates a context from its parts, without an options object: the http1 listener's path, once
 * per request (see {@linkcode createContext} for what each part is).
 * @param request the client's request.
 * @param clientAddress the client's IP address.
 * @param protocol how the client connected.
 * @param completed settles when the response was delivered.
 * @param target the request target as it came.
 * @param authority the request's authority (Host).
 * @param headerFields the header fields as the listener parsed them, if it did.
 * @returns a context with a placeholder request id and no upstream yet.
 */
export function contextOf(
  request: Request,
  clientAddress: string,
  protocol: "http" | "https",
  completed: Promise<void>,
  target: string,
  authority: string,
  headerFields: readonly (readonly [string, string])[] | undefined,
): RequestContext {
  const startTime = performance.now();
  return {
    request,
    target,
    authority,
    clientAddress,
    clientIp: clientAddress,
    protocol,
    completed,
    startTime,
    receivedAt: wallClockMs(startTime),
    requestId: "",
    upstream: undefined,
    route: undefined,
    pool: undefined,
    pinned: undefined,
    attempts: 0,
    responseDone: undefined,
    headerFields,
    endTime: undefined,
  };
}

/**
 * How long the request took, ms: from `ctx.startTime` to the end of its response. The end is
 * read from the clock once per request (`ctx.endTime`), by whichever of the metrics and the
 * access log records first (both record when the response is over; a clock read costs about
 * 0.1 µs in Deno 2.9.6).
 * @param ctx the request's context.
 * @returns the duration, ms.
 */
export function requestDurationMs(ctx: RequestContext): number {
  return (ctx.endTime ??= performance.now()) - ctx.startTime;
}

/** Wall clock minus monotonic clock, ms, and when (monotonic) it was last read. */
let wallOffset = 0;
let wallOffsetAt = -Infinity;

/**
 * A `performance.now()` time on the wall clock, whole ms since the epoch, as `Date.now()` at
 * that moment would say: the offset between the two clocks is read again once a monotonic
 * second has passed, so a change of the system time shows within a second.
 * @param now a `performance.now()` time, ms (not earlier than the last one given by more than
 *   a second).
 * @returns ms since the epoch.
 */
export function wallClockMs(now: number): number {
  if (now - wallOffsetAt >= 1000 || now < wallOffsetAt) {
    wallOffset = Date.now() - performance.now();
    wallOffsetAt = now;
  }
  return Math.floor(now + wallOffset);
}
