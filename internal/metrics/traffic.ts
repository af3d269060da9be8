/**
 * Whole-proxy traffic totals for the admin status: requests, errors, retries, in-flight, and
 * recent rate and latency.
 *
 * @module
 */

// pool/mod.ts does not re-export UpstreamStats yet; it is the same window the upstreams use.
import { UpstreamStats, type UpstreamStatsOptions } from "../pool/mod.ts";

/** Totals as `GET /api/status` shows them (`StatusView.totals`). */
export interface TrafficTotals {
  /** Requests received since start. */
  requests: number;
  /** Requests answered with a status >= 500 (Sluice's own 502/503/504 included) since start. */
  errors: number;
  /** Requests whose response has not finished yet. */
  inFlight: number;
  /** Extra upstream attempts (attempts - 1 per request) since start. */
  retries: number;
}

/** Options of {@linkcode Traffic}. */
export interface TrafficOptions {
  /** Window of {@linkcode Traffic.stats} for percentiles and error rate, seconds. @default 60 */
  windowSeconds?: number;
  /** Clock of {@linkcode Traffic.stats}, ms since the epoch. @default Date.now */
  now?: () => number;
}

/**
 * Counts every request through the proxy, whatever its upstream (or none). A request is begun
 * when it arrives ({@linkcode Traffic.begin}) and ended once its response has finished
 * ({@linkcode Traffic.end}); the `metrics()` middleware does both. Recording is O(1) and
 * allocates nothing.
 *
 * @example
 * ```ts
 * const traffic = new Traffic();
 * traffic.begin();
 * traffic.end(502, 12.5, 2); // one error, one retry, 12.5 ms
 * traffic.totals(); // { requests: 1, errors: 1, inFlight: 0, retries: 1 }
 * ```
 */
export class Traffic {
  /** Recent rate (last 10 s), latency percentiles (whole request, ms) and error rate (60 s). */
  readonly stats: UpstreamStats;
  #requests = 0;
  #errors = 0;
  #retries = 0;
  #inFlight = 0;

  /** @param options window and clock of {@linkcode Traffic.stats}. */
  constructor(options: TrafficOptions = {}) {
    const statsOptions: UpstreamStatsOptions = {};
    if (options.windowSeconds !== undefined) statsOptions.windowSeconds = options.windowSeconds;
    if (options.now !== undefined) statsOptions.now = options.now;
    this.stats = new UpstreamStats(statsOptions);
  }

  /** Requests received since start. */
  get requests(): number {
    return this.#requests;
  }

  /** Requests answered with a status >= 500 (Sluice's own 502/503/504 included) since start. */
  get errors(): number {
    return this.#errors;
  }

  /** Extra upstream attempts since start: the sum of `attempts - 1` over finished requests. */
  get retries(): number {
    return this.#retries;
  }

  /** Requests begun whose response has not finished (body sent or abandoned) yet. */
  get inFlight(): number {
    return this.#inFlight;
  }

  /** Counts a request that has just arrived; pair it with exactly one {@linkcode end}. */
  begin(): void {
    this.#requests++;
    this.#inFlight++;
  }

  /**
   * Counts the end of a request begun with {@linkcode begin}: its response body was sent or
   * abandoned, or its error response was built.
   * @param status the status sent (499 when the client left; counted as an error only when
   *   >= 500).
   * @param durationMs from arrival to the end of the response body, ms.
   * @param attempts upstream attempts made (0 when none was available); `attempts - 1` are
   *   retries.
   */
  end(status: number, durationMs: number, attempts: number): void {
    this.#inFlight--;
    const error = status >= 500;
    if (error) this.#errors++;
    if (attempts > 1) this.#retries += attempts - 1;
    this.stats.record(durationMs, error);
  }

  /** @returns the totals now, as a new object. */
  totals(): TrafficTotals {
    return {
      requests: this.#requests,
      errors: this.#errors,
      inFlight: this.#inFlight,
      retries: this.#retries,
    };
  }
}
