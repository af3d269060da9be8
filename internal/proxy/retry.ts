/**
 * The retry decision, as one pure function (Caddy `tryAgain`).
 *
 * @module
 */

import { UpstreamConnectError } from "./errors.ts";

/** Inputs of {@linkcode shouldRetry} besides the attempt and the failure. */
export interface RetryOptions {
  /** Extra attempts allowed after the first. */
  retries: number;
  /** Whether the request body (if any) can still be sent again. */
  bodyReplayable: boolean;
}

/**
 * Decides whether a failed attempt is tried again on another upstream. Only connect failures
 * are retried: the request never left, so replaying it is safe for any method (RFC 9110
 * §9.2.2 concerns requests that may have had an effect). Timeouts and failures after the
 * connection opened are not retried.
 * @param attempt the attempt that failed, 1-based.
 * @param failure what it failed with.
 * @param options retry allowance and body state.
 * @returns true to try another upstream.
 */
export function shouldRetry(attempt: number, failure: unknown, options: RetryOptions): boolean {
  return failure instanceof UpstreamConnectError && attempt <= options.retries &&
    options.bodyReplayable;
}
