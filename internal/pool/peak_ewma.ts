/**
 * Peak-EWMA estimate of an upstream's time to response headers, the cost behind `least_time`.
 *
 * @module
 */

/** Options of {@linkcode PeakEwma}. */
export interface PeakEwmaOptions {
  /**
   * Time constant τ, ms: weight of the past in the moving average, and how fast an estimate
   * decays toward 0 while nothing is observed (a factor of e per τ). Finagle's `decayTime` and
   * Linkerd2-proxy's `EWMA_DECAY` default to 10 s.
   * @default 10_000
   */
  decayMs?: number;
  /**
   * How long a peak holds without an observation reaching it again, ms. After that the estimate
   * is stale: the next observation replaces it instead of being averaged into it, and
   * `least_time` may send a probe to learn it.
   * @default 2_000
   */
  staleAfterMs?: number;
}

/**
 * Peak-sensitive exponentially weighted moving average of round-trip times (Finagle
 * `PeakEwma`; tower and Linkerd2-proxy `peak_ewma`): quick to believe an upstream got slow,
 * slower to believe it got fast again.
 *
 * - An observation at or above the current estimate replaces it (the peak).
 * - A lower one is averaged in with weight `1 - w`, `w = exp(-Δt/τ)`, Δt since the previous
 *   observation: observations are an unevenly spaced time series, so the weight follows the
 *   time they cover, not their count (Eckner, "Algorithms for unevenly spaced time series").
 * - Read as of `now`, the estimate decays toward 0 with τ since the last observation, so an
 *   upstream that gets no traffic becomes attractive again. Finagle and Linkerd get this by
 *   folding a 0 ms observation in on every read; here the read is pure, so the estimate does
 *   not depend on how often a balancer looked at it, and an observation updates the value as
 *   read at that moment.
 * - Not in Finagle or Linkerd: a peak that no observation has reached for `staleAfterMs` is
 *   stale, and the next observation replaces the estimate. With τ = 10 s their estimate of an
 *   upstream that was slow and recovered falls back by decay alone, τ·ln(slow/fast), 20–40 s for
 *   50 ms against 1–5 ms, because a balancer that avoids it leaves few observations, each with
 *   a small weight. A stale estimate is learned again from one request (see `least_time`'s
 *   probes).
 *
 * Before the first observation the estimate is 0 (Finagle): a new upstream looks free, and
 * `least_time` sends it one request and waits for its answer before sending more.
 *
 * O(1), allocation-free. Times are ms on one monotonic clock (`performance.now()`).
 *
 * @example
 * ```ts
 * const latency = new PeakEwma();
 * latency.observe(50, 0); // a peak: the estimate is 50 ms
 * latency.observe(5, 100); // averaged in: still about 50 ms
 * latency.estimate(10_100); // about 18 ms: decayed by e after τ without observations
 * ```
 */
export class PeakEwma {
  /** Time constant τ, ms. */
  readonly decayMs: number;
  /** How long a peak holds without being reached again, ms. */
  readonly staleAfterMs: number;
  #cost = 0;
  #observedAt = -Infinity;
  #peakAt = -Infinity;

  /**
   * @param options time constant and stale time.
   * @throws {RangeError} when `decayMs` is not positive or `staleAfterMs` is negative.
   */
  constructor(options: PeakEwmaOptions = {}) {
    this.decayMs = options.decayMs ?? 10_000;
    this.staleAfterMs = options.staleAfterMs ?? 2_000;
    if (!(this.decayMs > 0)) {
      throw new RangeError(`decayMs must be positive: current value is ${this.decayMs}`);
    }
    if (!(this.staleAfterMs >= 0)) {
      throw new RangeError(`staleAfterMs must be 0 or more: current value is ${this.staleAfterMs}`);
    }
  }

  /** When the latest observation was made, ms; `-Infinity` before the first. */
  get observedAt(): number {
    return this.#observedAt;
  }

  /**
   * The estimate as of `now`, decayed toward 0 since the latest observation.
   * @param now current time, ms.
   * @returns estimated time to response headers, ms; 0 before the first observation.
   */
  estimate(now: number = performance.now()): number {
    const elapsed = now - this.#observedAt;
    return elapsed > 0 ? this.#cost * Math.exp(-elapsed / this.decayMs) : this.#cost;
  }

  /**
   * Whether no observation has reached the estimate for `staleAfterMs` (or none was made):
   * the next observation replaces it.
   * @param now current time, ms.
   */
  isStale(now: number = performance.now()): boolean {
    return now - this.#peakAt >= this.staleAfterMs;
  }

  /**
   * Folds in one round-trip time.
   * @param rttMs time from sending the request to its response headers, ms (negative or NaN
   *   counts as 0).
   * @param now when it was observed, ms.
   */
  observe(rttMs: number, now: number = performance.now()): void {
    const rtt = rttMs > 0 ? rttMs : 0;
    if (this.isStale(now)) {
      this.#cost = rtt;
      this.#peakAt = now;
    } else {
      const elapsed = now - this.#observedAt;
      const w = elapsed > 0 ? Math.exp(-elapsed / this.decayMs) : 1;
      const current = this.#cost * w;
      if (rtt >= current) {
        this.#cost = rtt;
        this.#peakAt = now;
      } else {
        this.#cost = current * w + rtt * (1 - w);
      }
    }
    this.#observedAt = now;
  }
}
