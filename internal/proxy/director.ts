/**
 * The director: picks an upstream with the strategy, forwards, and retries what is safe.
 *
 * @module
 */

import { getLogger } from "@logtape/logtape";
import type { Strategy } from "../balancer/mod.ts";
import type { Handler, RequestContext } from "../middleware/context.ts";
import { requestField } from "../middleware/request_field.ts";
import type { Pool, Upstream } from "../pool/mod.ts";
import {
  ClientBodyError,
  ClientClosedError,
  ContentTooLargeError,
  NoUpstreamError,
  RequestTimeoutError,
} from "./errors.ts";
import { errorDetail } from "./error_response.ts";
import { discardResponse, forward, type ForwardOptions } from "./forward.ts";
import { parseContentLength } from "./content_length.ts";
import type { ConnectionLimiter } from "./connection_limiter.ts";
import { ReplayableBody } from "./replayable_body.ts";
import {
  type AttemptFailure,
  chargesRetryBudget,
  RETRYABLE_STATUSES,
  RetryBudget,
  shouldRetry,
} from "./retry.ts";

const logger = getLogger(["sluice", "proxy"]);

/** Options of {@linkcode createDirector}. */
export interface DirectorOptions extends ForwardOptions {
  /** The upstreams. */
  pool: Pool;
  /** Chooses among available upstreams. */
  strategy: Strategy;
  /** Extra attempts on other upstreams (see `shouldRetry`). @default 1 */
  retries?: number;
  /** Request body bytes kept so a body can be replayed on retry. @default 65536 */
  retryBufferBytes?: number;
  /** Retry non-idempotent requests after failures that may have reached the upstream. @default false */
  retryNonIdempotent?: boolean;
  /** Limits retries in flight (see `chargesRetryBudget`). @default new RetryBudget() */
  retryBudget?: RetryBudget;
  /** Per-upstream concurrency limit and its queue. @default no limit */
  limiter?: ConnectionLimiter;
  /**
   * Told the outcome of every attempt, as soon as it is known (response headers or failure):
   * passive health checks (outlier detection) learn from it. Must not throw.
   */
  observe?: (upstream: Upstream, outcome: AttemptOutcome) => void;
}

/** How one attempt ended, as far as the upstream's health is concerned. */
export interface AttemptOutcome {
  /** Response status, when response headers arrived. */
  status?: number;
  /** The failure, when none did (connect error, timeout, reset); never a client disconnect. */
  error?: unknown;
}

/**
 * Creates the innermost handler of the proxy: select an available upstream (`ctx.pinned` when a
 * sticky session names one that is available, else `strategy.select(pool.available(), ctx)`),
 * forward the request, and when `shouldRetry` allows (connect failures for any method; resets
 * and 502/503/504 answers for idempotent methods) try another upstream not tried yet, up to
 * `retries` times, while the body can be replayed and the retry budget allows.
 * @param options pool, strategy, transport, timeouts and retry policy.
 * @returns a handler that resolves with the upstream's response (a 502/503/504 answer when no
 *   retry was possible).
 * @throws {NoUpstreamError} (from the handler) when no upstream is available.
 * @throws the last attempt's error (see {@linkcode forward}) when every attempt failed.
 */
export function createDirector(options: DirectorOptions): Handler {
  const { pool, strategy, observe } = options;
  const retries = options.retries ?? 1;
  const retryBufferBytes = options.retryBufferBytes ?? 65536;
  const retryNonIdempotent = options.retryNonIdempotent ?? false;
  const budget = options.retryBudget ?? new RetryBudget();
  const limiter = options.limiter;
  const forwardOptions: ForwardOptions = limiter
    ? { ...options, onRelease: () => limiter.released() }
    : options;

  return async function director(ctx: RequestContext): Promise<Response> {
    budget.beginRequest();
    // No body (every GET and HEAD the http1 listener parses): nothing to prepare, no await.
    const { bytes, stream, replayable } =
      (ctx.body === undefined ? ctx.request.body : ctx.body) === null
        ? NO_BODY
        : await prepareBody(ctx, retries, retryBufferBytes, options.timeoutMs)
          .catch((error) => {
            budget.endRequest();
            throw error;
          });
    const method = ctx.request.method;
    let tried: Set<Upstream> | undefined;
    let lastError: unknown;
    let lastResponse: Response | undefined;
    let charged = false; // this attempt holds a retry from the budget
    try {
      for (let attempt = 1;; attempt++) {
        let available = pool.available();
        let upstream = tried
          ? selectUntried(strategy, available, ctx, tried)
          : pinnedIn(available, ctx.pinned) ?? strategy.select(available, ctx);
        if (upstream !== undefined && limiter?.isFull(upstream)) {
          let deadline: number | undefined;
          for (;;) {
            upstream = selectWithRoom(strategy, available, ctx, tried, limiter);
            if (upstream !== undefined || !hasUntried(available, tried)) break;
            await limiter.waitForSlot(ctx.request.signal, deadline ??= limiter.deadline());
            available = pool.available();
          }
        }
        if (upstream === undefined) {
          if (lastResponse) return lastResponse;
          if (tried) throw lastError;
          throw new NoUpstreamError(pool.size);
        }
        if (lastResponse) {
          await discardResponse(lastResponse);
          lastResponse = undefined;
        }
        ctx.upstream = upstream;
        ctx.attempts = attempt;
        let failure: AttemptFailure;
        try {
          const body = replayable ? replayable.stream() : (bytes ?? stream);
          const response = await forward(ctx, upstream, body, forwardOptions, replayable);
          observe?.(upstream, { status: response.status });
          if (!RETRYABLE_STATUSES.has(response.status)) return response;
          failure = { status: response.status };
          lastResponse = response;
        } catch (error) {
          if (replayable?.sourceFailed) throw clientBodyFailure(ctx, replayable.sourceError);
          // The client too slow to send its body: its 408, not the upstream's failure.
          if (error instanceof RequestTimeoutError) throw error;
          if (!(error instanceof ClientClosedError)) observe?.(upstream, { error });
          failure = { error };
          lastError = error;
        } finally {
          if (charged) budget.release();
          charged = false;
        }
        const policy = {
          retries,
          bodyReplayable: replayable
            ? replayable.replayable
            : bytes !== undefined || stream === null,
          method,
          retryNonIdempotent,
        };
        let retry = shouldRetry(attempt, failure, policy);
        if (retry && chargesRetryBudget(failure)) {
          retry = charged = budget.tryAcquire();
          if (!retry) {
            logger.warn("Retry budget exhausted: not retrying {method} {requestId}", {
              requestId: ctx.requestId,
              method,
              retriesInFlight: budget.retries,
              requestsInFlight: budget.requests,
            });
          }
        }
        logger.warn("Attempt {attempt} to {upstream} failed: {reason}", {
          requestId: ctx.requestId,
          upstream: upstream.name,
          attempt,
          reason: "status" in failure ? `answered ${failure.status}` : errorDetail(failure.error),
          retry,
        });
        if (!retry) {
          if (lastResponse) return lastResponse;
          throw lastError;
        }
        (tried ??= new Set()).add(upstream);
      }
    } catch (error) {
      await replayable?.cancel(error);
      throw error;
    } finally {
      if (charged) budget.release();
      budget.endRequest();
    }
  };
}

/**
 * Like {@linkcode selectUntried}, also skipping upstreams at their concurrency limit: the
 * strategy's pick stands when it has room, else the first with room it picks in up to n tries,
 * else its pick among those with room.
 */
function selectWithRoom(
  strategy: Strategy,
  available: readonly Upstream[],
  ctx: RequestContext,
  tried: ReadonlySet<Upstream> | undefined,
  limiter: ConnectionLimiter,
): Upstream | undefined {
  for (let i = 0; i < available.length; i++) {
    const upstream = strategy.select(available, ctx);
    if (upstream === undefined) return undefined;
    if (!tried?.has(upstream) && !limiter.isFull(upstream)) return upstream;
  }
  const room = available.filter((u) => !tried?.has(u) && !limiter.isFull(u));
  return room.length === 0 ? undefined : strategy.select(room, ctx);
}

function hasUntried(available: readonly Upstream[], tried: ReadonlySet<Upstream> | undefined) {
  return tried === undefined ? available.length > 0 : available.some((u) => !tried.has(u));
}

/**
 * The upstream a sticky session pins the request to, when it is in the available snapshot;
 * a retry never goes back to it (it was the first attempt), the strategy picks then.
 */
function pinnedIn(
  available: readonly Upstream[],
  pinned: Upstream | undefined,
): Upstream | undefined {
  return pinned !== undefined && available.includes(pinned) ? pinned : undefined;
}

/**
 * Picks an upstream not tried yet for a retry. The strategy selects from the whole available
 * snapshot, as for a first attempt, until it returns an untried upstream: handing it a filtered
 * list would shift its rotation (round robin would then send every retry to the same
 * neighbour). A strategy that keeps answering tried upstreams (hashing) gets the untried ones.
 */
function selectUntried(
  strategy: Strategy,
  available: readonly Upstream[],
  ctx: RequestContext,
  tried: ReadonlySet<Upstream>,
): Upstream | undefined {
  for (let i = 0; i < available.length; i++) {
    const upstream = strategy.select(available, ctx);
    if (upstream === undefined) return undefined;
    if (!tried.has(upstream)) return upstream;
  }
  return strategy.select(available.filter((u) => !tried.has(u)), ctx);
}

/** What {@linkcode prepareBody} returns for a request without a body. */
const NO_BODY: PreparedBody = Object.freeze({
  bytes: undefined,
  stream: null,
  replayable: undefined,
});

interface PreparedBody {
  /** The whole body, when it was small and had a Content-Length. */
  bytes: Uint8Array<ArrayBuffer> | undefined;
  /** The client's body stream as is, or `null` for no body. */
  stream: ReadableStream<Uint8Array> | null;
  /** A replay buffer over `stream`, when retries are possible. */
  replayable: ReplayableBody | undefined;
}

/**
 * The error for a request whose own body failed: the limit's 413 as it is, a client gone as
 * 499, anything else (malformed chunked encoding, a truncated upload) as a 400.
 */
function clientBodyFailure(ctx: RequestContext, error: unknown): Error {
  if (
    error instanceof ContentTooLargeError || error instanceof ClientClosedError ||
    error instanceof RequestTimeoutError
  ) return error;
  if (ctx.request.signal.aborted) return new ClientClosedError();
  const reason = error instanceof Error ? error.message : String(error);
  return new ClientBodyError(reason, { cause: error });
}

/**
 * A body with a Content-Length within the retry buffer is read whole (nginx
 * `proxy_request_buffering`), so the upstream gets a Content-Length (fetch sends streams
 * chunked) and a retry can resend it. Larger or chunked bodies stream, through a bounded replay
 * buffer when retries are on. A request without Content-Length nor Transfer-Encoding whose body
 * turns out empty is sent without a body. Reading a body before any upstream is chosen is bounded
 * by the backend timeout, as the upload of a streamed body is (408 past it).
 * @throws {BadRequestError} when Content-Length is not one number.
 * @throws {RequestTimeoutError} when the client did not send the body within `timeoutMs`.
 */
async function prepareBody(
  ctx: RequestContext,
  retries: number,
  retryBufferBytes: number,
  timeoutMs: number,
): Promise<PreparedBody> {
  const request = ctx.request;
  // A middleware may have wrapped the body (bodyLimit() does for chunked uploads).
  let stream = ctx.body === undefined ? request.body : ctx.body;
  if (stream === null) return NO_BODY;
  const length = parseContentLength(requestField(ctx, "content-length"));
  if (length === null && requestField(ctx, "transfer-encoding") === null) {
    // Deno.serve gives every request but GET and HEAD a body stream, empty when the request
    // had none (HTTP/1.1 without Content-Length or Transfer-Encoding): sent as is, fetch would
    // invent an empty chunked body. HTTP/2 bodies have neither header: look at the first chunk.
    try {
      stream = await clientWithin(nonEmpty(stream), timeoutMs);
    } catch (error) {
      if (error instanceof RequestTimeoutError) throw error;
      throw clientBodyFailure(ctx, error);
    }
    if (stream === null) return { bytes: undefined, stream, replayable: undefined };
  }
  if (ctx.body === undefined && length !== null && length <= retryBufferBytes) {
    try {
      return {
        bytes: await clientWithin(request.bytes(), timeoutMs),
        stream,
        replayable: undefined,
      };
    } catch (error) {
      if (error instanceof RequestTimeoutError) throw error;
      throw clientBodyFailure(ctx, error);
    }
  }
  // Always through ReplayableBody, also without retries (a 0-byte buffer): it tells a failing
  // client body from a failing upstream, so a broken upload is never blamed on the upstream.
  const replayable = new ReplayableBody(stream, retries > 0 ? retryBufferBytes : 0);
  return { bytes: undefined, stream, replayable };
}

/**
 * `null` when `stream` ends without a byte, else a stream of the same bytes (the first chunk,
 * read to find out, then the rest, read on demand).
 */
async function nonEmpty(
  stream: ReadableStream<Uint8Array>,
): Promise<ReadableStream<Uint8Array> | null> {
  const reader = stream.getReader();
  let first = await reader.read();
  while (!first.done && first.value.byteLength === 0) first = await reader.read();
  if (first.done) {
    reader.releaseLock();
    return null;
  }
  let pending: Uint8Array | undefined = first.value;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (pending !== undefined) {
        controller.enqueue(pending);
        pending = undefined;
        return;
      }
      const { done, value } = await reader.read();
      if (done) controller.close();
      else controller.enqueue(value);
    },
    cancel(reason) {
      return reader.cancel(reason);
    },
  }, { highWaterMark: 0 });
}

/**
 * `read`, unless the client takes longer than `timeoutMs` to deliver it: then
 * {@linkcode RequestTimeoutError} (the read is left to fail when the connection closes).
 */
async function clientWithin<T>(read: Promise<T>, timeoutMs: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new RequestTimeoutError(timeoutMs)), timeoutMs);
  });
  read.catch(() => {}); // settled after the timeout: nobody waits for it any more
  try {
    return await Promise.race([read, expired]);
  } finally {
    clearTimeout(timer);
  }
}
