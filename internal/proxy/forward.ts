/**
 * Sends one client request to one upstream and streams the answer back.
 *
 * @module
 */

import type { RequestContext, ResponseOutcome } from "../middleware/context.ts";
import type { Upstream } from "../pool/mod.ts";
import {
  ClientClosedError,
  RequestTimeoutError,
  ShuttingDownError,
  UpstreamConnectError,
  UpstreamError,
  UpstreamResetError,
  UpstreamTimeoutError,
} from "./errors.ts";
import { stripHopByHop, upstreamRequestHeaders } from "./headers.ts";
import { applyHeaderRules } from "./header_rules.ts";
import { invalidResponseReason } from "./response_framing.ts";
import { trackBody } from "./track_body.ts";
import { RETRYABLE_STATUSES } from "./retry.ts";
import { Cancellation, clientGoneWatch } from "./cancellation.ts";
import { type DeadlineSweep, PROXY_DEADLINES } from "./deadline_sweep.ts";
import { describeNetworkError, isConnectFailure, isConnectionLost } from "../health/mod.ts";
import {
  BODILESS_RESPONSES,
  BYTE_BODIES,
  type Transport,
  type UpstreamRequest,
} from "./transport.ts";

/** Options of {@linkcode forward}. */
export interface ForwardOptions {
  /** Sends the request. */
  transport: Transport;
  /** Longest wait for the upstream's response headers, ms; the body is not bounded. */
  timeoutMs: number;
  /** Keep the client's `Host` header. */
  preserveHost: boolean;
  /** Aborted when shutdown's grace period ends: cuts the request wherever it is. */
  shutdownSignal: AbortSignal;
  /**
   * Longest gap between two chunks of a response body, ms (nginx `proxy_read_timeout`); the
   * body is cut when it passes. Applies to bodies that are followed chunk by chunk (over
   * 64 KiB or without Content-Length). 0 or absent: no limit.
   */
  idleTimeoutMs?: number;
  /** Called each time an upstream finishes a request (frees a concurrency slot). */
  onRelease?: () => void;
  /**
   * The timer wheel of the header and idle timeouts; they fire up to its tick (25 ms) late.
   * @default PROXY_DEADLINES
   */
  deadlines?: DeadlineSweep;
}

/** What {@linkcode forward} may ask about the client's body while it streams. */
export interface ClientBodyState {
  /** True while a read of the client's body is outstanding (see `ReplayableBody`). */
  readonly awaitingClient: boolean;
}

/**
 * Early endings of responses that the director may throw away to retry (see discardResponse):
 * only responses with a status in `RETRYABLE_STATUSES` are registered, so a 2xx costs no
 * WeakMap entry (~0.1 µs to set, and an ephemeron for the collector) and no closure.
 */
const discards = new WeakMap<Response, () => void>();

/**
 * Throws away a response from {@linkcode forward} that will not go to the client (a 502/503/504
 * answer about to be retried): its body is cancelled and the upstream's in-flight count released
 * now rather than when the client's response completes.
 * @param response a response returned by `forward` with a status in `RETRYABLE_STATUSES`
 *   (for any other, only its body is cancelled).
 */
export async function discardResponse(response: Response): Promise<void> {
  const end = discards.get(response);
  discards.delete(response);
  await response.body?.cancel().catch(() => {});
  end?.();
}

/**
 * Returns the path and query of an absolute URL string as received, without re-encoding
 * (`"http://h:1/a%2Fb?x=1"` → `"/a%2Fb?x=1"`).
 * @param url an absolute URL such as `Request.url`.
 * @returns the request target in origin form, at least `"/"`.
 */
export function pathAndQuery(url: string): string {
  const schemeEnd = url.indexOf("://");
  const slash = url.indexOf("/", schemeEnd < 0 ? 0 : schemeEnd + 3);
  if (slash < 0) {
    const query = url.indexOf("?", schemeEnd + 3);
    return query < 0 ? "/" : "/" + url.slice(query);
  }
  return url.slice(slash);
}

/**
 * One attempt: rewrites headers (RFC 9110 §7.6.1 hop-by-hop, X-Forwarded-*), sends method,
 * path, query and the body stream to `upstream`, and resolves with the upstream's response as
 * soon as its headers arrive, its body streaming through. `upstream.inFlight` counts the request
 * until the body has been sent to the client or abandoned.
 * @param ctx the request's context; `ctx.responseDone` is set when a body streams.
 * @param upstream where to send it.
 * @param body the body for this attempt: a stream, whole bytes, or `null`.
 * @param options transport, header timeout, Host policy and the shutdown signal.
 * @param clientBody the state of a streamed client body: when the header timeout runs out while
 *   it waits for the client's bytes, the client is too slow, not the upstream.
 * @returns the response for the client.
 * @throws {UpstreamConnectError} the connection did not open (the request was not sent).
 * @throws {UpstreamTimeoutError} no response headers within `options.timeoutMs`.
 * @throws {RequestTimeoutError} the header timeout ran out while the upstream was waiting for
 *   the client's body (408; not counted as the upstream's failure).
 * @throws {ClientClosedError} the client left before the response headers came.
 * @throws {ShuttingDownError} the shutdown grace period ended.
 * @throws {UpstreamResetError} the connection was reset or closed before the response head.
 * @throws {UpstreamError} any other failure before the response headers, or a response that
 *   must not be relayed (see {@linkcode invalidResponseReason}: both Content-Length and
 *   Transfer-Encoding, an unsolicited 101).
 */
export async function forward(
  ctx: RequestContext,
  upstream: Upstream,
  body: UpstreamRequest["body"],
  options: ForwardOptions,
  clientBody?: ClientBodyState,
): Promise<Response> {
  const request = ctx.request;
  // The http1 listener's request tells itself when its client leaves: reading its signal would
  // make an AbortController for it (see ClientGoneWatch).
  const watch = clientGoneWatch(request);
  if (watch === undefined ? request.signal.aborted : watch.clientHasGone) {
    throw new ClientClosedError();
  }
  if (options.shutdownSignal.aborted) throw new ShuttingDownError();
  // One cancellation per attempt (see Cancellation): AbortSignal.any() cost 25% of proxy
  // throughput here, an AbortController linked by listeners to both signals about 5% of CPU.
  // The shutdown signal has one listener for every request in flight; the client's signal gets
  // one that is never removed: it lives as long as the request, and cancels nothing once the
  // exchange is over (the transport has emptied the slot).
  const cancellation = new Cancellation();
  const inFlight = inFlightAt(options.shutdownSignal);
  inFlight.add(cancellation);
  if (watch !== undefined) watch.cancelWhenGone(cancellation, CLIENT_CLOSED);
  else request.signal.addEventListener("abort", () => cancellation.cancel(CLIENT_CLOSED));
  upstream.acquire();
  const sentAt = performance.now();
  const deadlines = options.deadlines ?? PROXY_DEADLINES;
  const timeout = deadlines.add(
    sentAt + options.timeoutMs,
    () => cancellation.cancel(new UpstreamTimeoutError(upstream.name, options.timeoutMs)),
  );
  let response: Response;
  try {
    // The parsed field lines when the listener has them: `request.headers` would make them a
    // Headers (the http1 listener's request makes it on first read).
    const headers = upstreamRequestHeaders(ctx.headerFields ?? request.headers, {
      clientAddress: ctx.clientAddress,
      clientIp: ctx.clientIp,
      protocol: ctx.protocol,
      requestId: ctx.requestId,
      preserveHost: options.preserveHost,
      authority: ctx.authority,
      trace: ctx.trace === undefined
        ? undefined
        : ctx.trace.fromPlatform && options.transport.injectsTraceContext
        ? null
        : ctx.trace,
    });
    // A route's rules come after Sluice's own headers, so they may override them.
    if (ctx.requestHeaderRules !== undefined) applyHeaderRules(headers, ctx.requestHeaderRules);
    const target = ctx.upstreamTarget ?? ctx.target;
    response = await options.transport.send({
      url: upstream.url + target,
      origin: upstream.url,
      target,
      method: request.method,
      headers,
      body,
      signal: cancellation,
    });
    // forward() never asks for an upgrade (tunnels go through Transport.upgrade). A transport
    // whose parser refuses these responses itself is not asked again (the check reads headers).
    const invalid = options.transport.refusesInvalidResponses
      ? undefined
      : invalidResponseReason(response, false);
    if (invalid !== undefined) {
      await response.body?.cancel().catch(() => {});
      options.transport.discardConnection?.(response);
      throw new UpstreamError(upstream.name, invalid);
    }
  } catch (error) {
    inFlight.delete(cancellation);
    let failure = classify(error, upstream, cancellation);
    if (failure instanceof UpstreamTimeoutError && clientBody?.awaitingClient) {
      failure = new RequestTimeoutError(options.timeoutMs);
    }
    if (!(failure instanceof ClientClosedError || failure instanceof RequestTimeoutError)) {
      upstream.failuresTotal++;
      const now = performance.now();
      upstream.stats.record(now - sentAt, true);
      upstream.latency.observe(Math.max(now - sentAt, options.timeoutMs), now);
    }
    upstream.release();
    options.onRelease?.();
    throw failure;
  } finally {
    deadlines.cancel(timeout);
  }

  // One clock read for both (each costs ~80 ns and a heap number in Deno 2.9.6).
  const headersAt = performance.now();
  upstream.stats.record(headersAt - sentAt, response.status >= 500);
  upstream.latency.observe(headersAt - sentAt, headersAt);
  let finished = false;
  const finish = (outcome: ResponseOutcome): ResponseOutcome => {
    if (finished) return outcome;
    finished = true;
    inFlight.delete(cancellation);
    upstream.release();
    options.onRelease?.();
    if (outcome.error !== undefined && !outcome.clientAborted) upstream.failuresTotal++;
    return outcome;
  };
  const clientReady = options.transport.clientReadyResponses === true;
  const bytes = clientReady ? knownLength(response) : smallLength(response);
  if (bytes >= 0) {
    // Fast path: the fetch body goes to Deno.serve untouched, which pipes it natively (a JS
    // stream in between cost 60% of throughput). The server's `completed` tells when the
    // body was delivered, and Content-Length how much of it.
    const done = ctx.completed.then(
      () => finish({ bytes, clientAborted: false }),
      (error) => finish({ bytes: 0, clientAborted: true, error }),
    );
    ctx.responseDone = done;
    const fast = clientReady ? response : forClient(response.body, response);
    if (RETRYABLE_STATUSES.has(fast.status)) {
      discards.set(fast, () => {
        finish({ bytes: 0, clientAborted: false });
        if (ctx.responseDone === done) ctx.responseDone = undefined;
      });
    }
    return fast;
  }
  // Large or unknown length (downloads, chunked, SSE): follow the stream to count its bytes and
  // see whether the client took all of it.
  const { promise, resolve } = Promise.withResolvers<ResponseOutcome>();
  ctx.responseDone = promise;
  const tracked = trackBody(
    // Never null here but for a transport that left a bodiless response unmarked.
    response.body ?? ReadableStream.from<Uint8Array>([]),
    (outcome) => resolve(finish(outcome)),
    options.idleTimeoutMs
      ? { idleTimeoutMs: options.idleTimeoutMs, upstream: upstream.name, deadlines }
      : {},
  );
  const followed = forClient(tracked, response);
  if (RETRYABLE_STATUSES.has(followed.status)) {
    discards.set(followed, () => {
      if (ctx.responseDone === promise) ctx.responseDone = undefined;
    });
  }
  return followed;
}

/**
 * The client's response: `body` with the upstream response's status and headers, hop-by-hop
 * fields removed from its own copy of the headers. `X-Request-Id` is set by the request-id
 * middleware, on every response.
 */
function forClient(body: ReadableStream<Uint8Array> | null, upstream: Response): Response {
  const response = new Response(body, {
    status: upstream.status,
    statusText: upstream.statusText,
    headers: upstream.headers,
  });
  stripHopByHop(response.headers);
  return response;
}

/**
 * The body size of a response from a transport with `clientReadyResponses`, from its marks
 * alone (no header or body getter: see BODILESS_RESPONSES, BYTE_BODIES): 0 without a body, the
 * length of a whole byte body, -1 for a streamed one.
 */
function knownLength(response: Response): number {
  if (BODILESS_RESPONSES.has(response)) return 0;
  const bytes = BYTE_BODIES.get(response);
  return bytes === undefined ? -1 : bytes.byteLength;
}

/**
 * The body size of another transport's response when it is small enough to pipe natively:
 * 0 without a body, its Content-Length up to {@linkcode NATIVE_PIPE_MAX_BYTES}, else -1.
 */
function smallLength(response: Response): number {
  if (response.body === null) return 0;
  const length = Number(response.headers.get("content-length") ?? NaN);
  return length <= NATIVE_PIPE_MAX_BYTES ? length : -1;
}

/**
 * Largest Content-Length piped natively. Deno 2.9.6's `completed` resolves even when the client
 * left mid-body, so only bodies this small, which fit in socket buffers at once, skip the stream
 * that tells a complete delivery from an abandoned one.
 */
const NATIVE_PIPE_MAX_BYTES = 64 * 1024;

const CLIENT_CLOSED = Symbol("client closed");
const SHUTTING_DOWN = Symbol("shutting down");

/**
 * The cancellations of the attempts in flight, by shutdown signal: one listener on each signal
 * cancels them all, instead of a listener added and removed per request.
 */
const inFlightByShutdown = new WeakMap<AbortSignal, Set<Cancellation>>();

function inFlightAt(shutdownSignal: AbortSignal): Set<Cancellation> {
  let inFlight = inFlightByShutdown.get(shutdownSignal);
  if (inFlight === undefined) {
    const attempts = inFlight = new Set();
    inFlightByShutdown.set(shutdownSignal, attempts);
    shutdownSignal.addEventListener("abort", () => {
      for (const attempt of attempts) attempt.cancel(SHUTTING_DOWN);
      attempts.clear();
    }, { once: true });
  }
  return inFlight;
}

function classify(error: unknown, upstream: Upstream, cancellation: Cancellation): Error {
  if (cancellation.aborted) {
    const reason = cancellation.reason;
    if (reason === CLIENT_CLOSED) return new ClientClosedError();
    if (reason === SHUTTING_DOWN) return new ShuttingDownError();
    if (reason instanceof UpstreamTimeoutError) return reason;
  }
  if (error instanceof UpstreamError) return error; // a response refused above
  const reason = describeNetworkError(error);
  if (isConnectFailure(error)) {
    return new UpstreamConnectError(upstream.name, reason, { cause: error });
  }
  if (isConnectionLost(error)) {
    return new UpstreamResetError(upstream.name, reason, { cause: error });
  }
  return new UpstreamError(upstream.name, reason, { cause: error });
}
