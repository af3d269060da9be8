/**
 * Circuit breaking on concurrency: at most N requests in flight per upstream, and a bounded
 * queue for requests that find every upstream at capacity.
 *
 * @module
 */

import type { Upstream } from "../pool/mod.ts";
import { ClientClosedError, UpstreamsBusyError } from "./errors.ts";

/** Options of {@linkcode ConnectionLimiter}. */
export interface ConnectionLimiterOptions {
  /** Requests in flight per upstream (until its response body ends); 0 is unlimited. */
  maxPerUpstream: number;
  /** Requests that may wait for a free slot when every upstream is at capacity. @default 100 */
  queueSize?: number;
  /** Longest wait in the queue, ms. @default 5000 */
  queueTimeoutMs?: number;
}

interface Waiter {
  wake: () => void;
}

/**
 * Per-upstream concurrency limit (Envoy `max_requests` circuit breaker, HAProxy server `maxconn`
 * with its queue): an upstream at capacity is not selected; when all are, requests wait in a
 * FIFO queue of bounded size for a slot to free up, and get a 503 when the queue is full or
 * the wait exceeds the timeout (HAProxy `timeout queue`).
 */
export class ConnectionLimiter {
  readonly #max: number;
  readonly #queueSize: number;
  readonly #queueTimeoutMs: number;
  readonly #waiters: Waiter[] = [];

  /** @param options limit, queue size and queue timeout. */
  constructor(options: ConnectionLimiterOptions) {
    this.#max = options.maxPerUpstream;
    this.#queueSize = options.queueSize ?? 100;
    this.#queueTimeoutMs = options.queueTimeoutMs ?? 5000;
  }

  /** Requests waiting now. */
  get queued(): number {
    return this.#waiters.length;
  }

  /**
   * Whether an upstream may take no more requests.
   * @param upstream a candidate.
   * @returns true at or over the limit.
   */
  isFull(upstream: Upstream): boolean {
    return this.#max > 0 && upstream.inFlight >= this.#max;
  }

  /**
   * Waits for a slot to free up on any upstream (then the caller selects again).
   * @param signal the client's request signal: a client that leaves stops waiting.
   * @param deadline `performance.now()` past which the request stops waiting, ms.
   * @throws {UpstreamsBusyError} when the queue is full or the deadline passes.
   * @throws {ClientClosedError} when the client leaves.
   */
  waitForSlot(signal: AbortSignal, deadline: number): Promise<void> {
    if (this.#waiters.length >= this.#queueSize) {
      return Promise.reject(new UpstreamsBusyError(this.#max, "the queue is full"));
    }
    const remaining = deadline - performance.now();
    if (remaining <= 0) {
      return Promise.reject(
        new UpstreamsBusyError(this.#max, `no slot within ${this.#queueTimeoutMs}ms`),
      );
    }
    return new Promise<void>((resolve, reject) => {
      const settle = (error?: Error) => {
        clearTimeout(timer);
        signal.removeEventListener("abort", onAbort);
        const index = this.#waiters.indexOf(waiter);
        if (index >= 0) this.#waiters.splice(index, 1);
        if (error) reject(error);
        else resolve();
      };
      const waiter: Waiter = { wake: () => settle() };
      const onAbort = () => settle(new ClientClosedError());
      const timer = setTimeout(
        () => settle(new UpstreamsBusyError(this.#max, `no slot within ${this.#queueTimeoutMs}ms`)),
        remaining,
      );
      signal.addEventListener("abort", onAbort, { once: true });
      this.#waiters.push(waiter);
    });
  }

  /** The deadline of a wait starting now, for {@linkcode waitForSlot}. */
  deadline(): number {
    return performance.now() + this.#queueTimeoutMs;
  }

  /** Tells the queue that an upstream finished a request: the longest waiter selects again. */
  released(): void {
    this.#waiters[0]?.wake();
  }
}
