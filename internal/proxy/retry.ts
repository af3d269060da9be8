/**
 * The retry decision, as one pure function (Caddy `tryAgain`), and the retry budget.
 *
 * @module
 */

import { UpstreamConnectError, UpstreamError, UpstreamResetError } from "./errors.ts";

/** Methods whose repetition has the effect of one request (RFC 9110 §9.2.2). */
export const IDEMPOTENT_METHODS: ReadonlySet<string> = new Set([
  "GET",
  "HEAD",
  "OPTIONS",
  "TRACE",
  "PUT",
  "DELETE",
]);

/** Upstream answers that say "try another server": bad gateway, unavailable, gateway timeout. */
export const RETRYABLE_STATUSES: ReadonlySet<number> = new Set([502, 503, 504]);

/** How an attempt failed: with an error, or with a response status worth retrying. */
export type AttemptFailure = { error: unknown } | { status: number };

/** Inputs of {@linkcode shouldRetry} besides the attempt and the failure. */
export interface RetryOptions {
  /** Extra attempts allowed after the first. */
  retries: number;
  /** Whether the request body (if any) can still be sent again. */
  bodyReplayable: boolean;
  /** The request method. */
  method: string;
  /** Retry non-idempotent requests after failures that may have reached the upstream. */
  retryNonIdempotent: boolean;
}

/**
 * Decides whether a failed attempt is tried again on another upstream:
 * - a connect failure (the request never left) is retried for any method;
 * - a reset or close before the response headers, or a 502/503/504 answer, may have had an
 *   effect, so it is retried only for idempotent methods (RFC 9110 §9.2.2) unless
 *   `retryNonIdempotent`;
 * - timeouts are not retried (the upstream may still be working on it; the client gets 504);
 * - never beyond `retries` extra attempts, and never when the body cannot be sent again.
 * The retry budget is checked separately (see {@linkcode RetryBudget}).
 * @param attempt the attempt that failed, 1-based.
 * @param failure what it failed with.
 * @param options retry allowance, method and body state.
 * @returns true to try another upstream.
 */
export function shouldRetry(
  attempt: number,
  failure: AttemptFailure,
  options: RetryOptions,
): boolean {
  if (attempt > options.retries || !options.bodyReplayable) return false;
  if ("error" in failure) {
    if (failure.error instanceof UpstreamConnectError) return true;
    if (!(failure.error instanceof UpstreamError)) return false;
  } else if (!RETRYABLE_STATUSES.has(failure.status)) {
    return false;
  }
  return options.retryNonIdempotent || IDEMPOTENT_METHODS.has(options.method);
}

/**
 * Whether retrying after `failure` takes a retry from the {@linkcode RetryBudget}. The budget
 * keeps retries from multiplying the load on upstreams that answer badly (502/503/504, a
 * response that breaks the protocol). Requests no upstream answered are not charged: a connect
 * failure (never sent) and a connection reset or closed before the response head (a dying
 * upstream takes every request it holds with it, often more at once than the budget allows,
 * and each is retried at most `retries` times anyway).
 * @param failure how the attempt failed.
 * @returns false for connect failures and lost connections.
 */
export function chargesRetryBudget(failure: AttemptFailure): boolean {
  if (!("error" in failure)) return true;
  return !(failure.error instanceof UpstreamConnectError ||
    failure.error instanceof UpstreamResetError);
}

/** Options of {@linkcode RetryBudget}. */
export interface RetryBudgetOptions {
  /** Retries in flight may be at most this share of requests in flight, percent. @default 20 */
  percent?: number;
  /** Retries in flight always allowed, whatever the share. @default 3 */
  minConcurrency?: number;
}

/**
 * A retry budget (Envoy `retry_budget`): retries in flight are limited to a share of the
 * requests in flight, with a floor, so that when upstreams fail the retries do not multiply the
 * load on the ones left. Connect failures are not charged: a refused connection put no load on
 * any upstream, and a connection lost before the response head is not either (see
 * {@linkcode chargesRetryBudget}).
 */
export class RetryBudget {
  readonly #percent: number;
  readonly #minConcurrency: number;
  #requests = 0;
  #retries = 0;

  /** @param options share and floor. */
  constructor(options: RetryBudgetOptions = {}) {
    this.#percent = options.percent ?? 20;
    this.#minConcurrency = options.minConcurrency ?? 3;
  }

  /** Requests in flight through the director now. */
  get requests(): number {
    return this.#requests;
  }

  /** Retries in flight now. */
  get retries(): number {
    return this.#retries;
  }

  /** Counts a request entering the director; pair with {@linkcode endRequest}. */
  beginRequest(): void {
    this.#requests++;
  }

  /** Counts a request leaving the director. */
  endRequest(): void {
    this.#requests--;
  }

  /**
   * Takes a retry from the budget.
   * @returns false when the retries in flight already reach the budget.
   */
  tryAcquire(): boolean {
    const limit = Math.max(this.#minConcurrency, Math.floor(this.#requests * this.#percent / 100));
    if (this.#retries >= limit) return false;
    this.#retries++;
    return true;
  }

  /** Gives back a retry taken with {@linkcode tryAcquire} once its attempt has ended. */
  release(): void {
    this.#retries--;
  }
}
