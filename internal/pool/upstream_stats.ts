/**
 * Recent traffic statistics of one upstream over a sliding window: requests per second,
 * latency percentiles and error rate, for the admin API and the dashboard.
 *
 * @module
 */

/** What {@linkcode UpstreamStats.snapshot} reports. */
export interface StatsSnapshot {
  /** Requests per second over the last {@linkcode RATE_SECONDS} seconds. */
  rps: number;
  /** Median time to response headers over the window, ms; `null` without requests. */
  p50Ms: number | null;
  /** 99th percentile time to response headers over the window, ms; `null` without requests. */
  p99Ms: number | null;
  /** Share of requests in the window that failed or got a 5xx, 0–1. */
  errorRate: number;
  /** Requests in the window. */
  requests: number;
}

/** Seconds the request rate is averaged over. */
export const RATE_SECONDS = 10;

/** Latency histogram bounds, ms: 0.1 ms × 1.25^i, up to about 120 s. */
const GROWTH = 1.25;
const FIRST_BOUND_MS = 0.1;
const BUCKETS = 64;
const LOG_GROWTH = Math.log(GROWTH);

function bucketOf(latencyMs: number): number {
  if (!(latencyMs > FIRST_BOUND_MS)) return 0;
  const index = Math.ceil(Math.log(latencyMs / FIRST_BOUND_MS) / LOG_GROWTH);
  return index < BUCKETS ? index : BUCKETS - 1;
}

function upperBoundOf(bucket: number): number {
  return FIRST_BOUND_MS * GROWTH ** bucket;
}

/** Options of {@linkcode UpstreamStats}. */
export interface UpstreamStatsOptions {
  /** Length of the window for percentiles and error rate, seconds. @default 60 */
  windowSeconds?: number;
  /** Clock, ms since the epoch. @default Date.now */
  now?: () => number;
}

/**
 * Per-second buckets over a sliding window with a log-scale latency histogram (bucket bounds
 * grow by 25%, so a percentile is reported as the upper bound of its bucket, at most 25% high,
 * like Prometheus' `histogram_quantile` with fine buckets). Recording is O(1) and allocates
 * nothing; memory is fixed at about 16 KiB per upstream for a 60 s window.
 */
export class UpstreamStats {
  readonly #window: number;
  readonly #now: () => number;
  readonly #slotSecond: Float64Array;
  readonly #slotCount: Uint32Array;
  readonly #slotErrors: Uint32Array;
  readonly #slotHistogram: Uint32Array;
  readonly #histogram = new Uint32Array(BUCKETS);
  #count = 0;
  #errors = 0;
  #latestSecond = -Infinity;

  /** @param options window length and clock. */
  constructor(options: UpstreamStatsOptions = {}) {
    this.#window = options.windowSeconds ?? 60;
    this.#now = options.now ?? Date.now;
    this.#slotSecond = new Float64Array(this.#window).fill(-Infinity);
    this.#slotCount = new Uint32Array(this.#window);
    this.#slotErrors = new Uint32Array(this.#window);
    this.#slotHistogram = new Uint32Array(this.#window * BUCKETS);
  }

  /**
   * Records one finished attempt.
   * @param latencyMs time from sending the request to the response headers, ms.
   * @param error true for a failure (connect error, timeout, reset) or a 5xx response.
   */
  record(latencyMs: number, error: boolean): void {
    const second = Math.floor(this.#now() / 1000);
    this.#advance(second);
    const slot = second % this.#window;
    const bucket = bucketOf(latencyMs);
    this.#slotCount[slot]!++;
    this.#slotHistogram[slot * BUCKETS + bucket]!++;
    this.#histogram[bucket]!++;
    this.#count++;
    if (error) {
      this.#slotErrors[slot]!++;
      this.#errors++;
    }
  }

  /** @returns rate, percentiles and error rate as of now. */
  snapshot(): StatsSnapshot {
    const second = Math.floor(this.#now() / 1000);
    this.#advance(second);
    let recent = 0;
    for (let s = second - RATE_SECONDS + 1; s <= second; s++) {
      const slot = ((s % this.#window) + this.#window) % this.#window;
      if (this.#slotSecond[slot] === s) recent += this.#slotCount[slot]!;
    }
    return {
      rps: recent / RATE_SECONDS,
      p50Ms: this.#percentile(0.5),
      p99Ms: this.#percentile(0.99),
      errorRate: this.#count === 0 ? 0 : this.#errors / this.#count,
      requests: this.#count,
    };
  }

  #percentile(q: number): number | null {
    if (this.#count === 0) return null;
    const rank = Math.ceil(q * this.#count);
    let seen = 0;
    for (let bucket = 0; bucket < BUCKETS; bucket++) {
      seen += this.#histogram[bucket]!;
      if (seen >= rank) return Math.round(upperBoundOf(bucket) * 1000) / 1000;
    }
    return Math.round(upperBoundOf(BUCKETS - 1) * 1000) / 1000;
  }

  /** Expires the slots that fell out of the window and claims the slot of `second`. */
  #advance(second: number): void {
    if (second <= this.#latestSecond) return;
    const from = Math.max(this.#latestSecond + 1, second - this.#window + 1);
    for (let s = from; s <= second; s++) {
      const slot = s % this.#window;
      if (this.#slotSecond[slot] !== -Infinity) this.#expire(slot);
      this.#slotSecond[slot] = s;
    }
    this.#latestSecond = second;
  }

  #expire(slot: number): void {
    this.#count -= this.#slotCount[slot]!;
    this.#errors -= this.#slotErrors[slot]!;
    this.#slotCount[slot] = 0;
    this.#slotErrors[slot] = 0;
    const base = slot * BUCKETS;
    for (let bucket = 0; bucket < BUCKETS; bucket++) {
      const n = this.#slotHistogram[base + bucket]!;
      if (n !== 0) {
        this.#histogram[bucket]! -= n;
        this.#slotHistogram[base + bucket] = 0;
      }
    }
  }
}
