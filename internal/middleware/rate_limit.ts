/**
 * Per-client rate limiting with a token bucket (429 Too Many Requests, RFC 6585 §4).
 *
 * @module
 */

import { TooManyRequestsError } from "../proxy/mod.ts";
import type { Handler, Middleware, RequestContext } from "./context.ts";

/** Options of {@linkcode RateLimiter}. */
export interface RateLimiterOptions {
  /** Requests per second each client may sustain: the bucket's refill rate, > 0, fractions allowed. */
  rate: number;
  /** Requests a client may send at once: the bucket's size, an integer >= 1. @default max(1, ceil(rate)) */
  burst?: number;
  /**
   * Most clients tracked at once, an integer >= 1. A new client past it makes the limiter
   * forget the one it has tracked longest, which then starts again with a full bucket. About
   * 100 bytes each. @default 100000
   */
  maxClients?: number;
  /** The clock of `take()` calls that pass no time: monotonic, ms. @default performance.now */
  now?: () => number;
}

/** One client's bucket, stored as its theoretical arrival time (GCRA). */
interface Bucket {
  readonly key: string;
  /** When the bucket will be full again, ms on the limiter's clock. */
  full: number;
}

/** Buckets looked at, to drop full ones, each time a new client is tracked. */
const SWEEP_STEPS = 2;

/**
 * Token buckets per key (client IP): each holds up to `burst` tokens and refills at `rate`
 * tokens per second; a request takes one token or is refused.
 *
 * Each bucket is one number, the time at which it will be full again (the Generic Cell Rate
 * Algorithm of ATM, ITU-T I.371, which is a token bucket): a request at `now` is allowed when
 * `full - now <= (burst - 1) / rate`, and then moves `full` on by `1 / rate`. A bucket that is
 * full again is the same as no bucket, so it can be dropped: every time a new client is
 * tracked, the next two buckets in a round over all of them are looked at and dropped when full
 * (a lazy sweep, O(1) per new client, no timer). `maxClients` bounds memory however many
 * addresses a client flood uses: at the bound, the oldest bucket is dropped as well, full or
 * not. Both walks are live Map iterators kept across calls: a fresh `keys().next()` would step
 * over every entry deleted since the table was last compacted (7 µs a call at 10,000 clients).
 *
 * `take()` allocates only for a client it does not track yet (one small object and its map
 * entry).
 *
 * @example
 * ```ts
 * const limiter = new RateLimiter({ rate: 5, burst: 2 });
 * limiter.take("203.0.113.9"); // 0: allowed
 * limiter.take("203.0.113.9"); // 0: allowed, the burst is used up
 * limiter.take("203.0.113.9"); // about 200: refused, a token comes in 200 ms
 * ```
 */
export class RateLimiter {
  /** Requests per second each client may sustain. */
  readonly rate: number;
  /** Requests a client may send at once. */
  readonly burst: number;
  readonly #interval: number;
  readonly #tolerance: number;
  readonly #maxClients: number;
  readonly #now: () => number;
  readonly #buckets = new Map<string, Bucket>();
  /** Where the sweep's round over all buckets is (a live iterator: it follows changes). */
  #round: Iterator<Bucket> | undefined;
  /** The oldest bucket is its next; only eviction moves it, deleting what it passes. */
  #oldest: Iterator<Bucket> | undefined;

  /**
   * @param options rate, burst, memory bound and clock.
   * @throws {RangeError} when `rate` is not a finite number > 0, or `burst` or `maxClients` is
   * not an integer >= 1.
   */
  constructor(options: RateLimiterOptions) {
    const { rate } = options;
    if (!(rate > 0) || !Number.isFinite(rate)) {
      throw new RangeError(`rate must be a number > 0: current value is ${rate}`);
    }
    const burst = options.burst ?? Math.max(1, Math.ceil(rate));
    if (!Number.isSafeInteger(burst) || burst < 1) {
      throw new RangeError(`burst must be an integer >= 1: current value is ${burst}`);
    }
    const maxClients = options.maxClients ?? 100_000;
    if (!Number.isSafeInteger(maxClients) || maxClients < 1) {
      throw new RangeError(`maxClients must be an integer >= 1: current value is ${maxClients}`);
    }
    this.rate = rate;
    this.burst = burst;
    this.#interval = 1000 / rate;
    this.#tolerance = (burst - 1) * this.#interval;
    this.#maxClients = maxClients;
    this.#now = options.now ?? (() => performance.now());
  }

  /** Clients tracked now (buckets not known to be full). */
  get size(): number {
    return this.#buckets.size;
  }

  /**
   * Takes a token from `key`'s bucket.
   * @param key the client, e.g. its IP address.
   * @param now the time of the request on the limiter's clock, ms (e.g. `ctx.startTime`, which
   *   saves reading the clock). @default options.now()
   * @returns 0 when the request is allowed, else the time until a token is there, ms (> 0).
   */
  take(key: string, now: number = this.#now()): number {
    const bucket = this.#buckets.get(key);
    if (bucket === undefined) {
      this.#track(key, now + this.#interval, now);
      return 0;
    }
    const full = bucket.full > now ? bucket.full : now;
    const wait = full - now - this.#tolerance;
    if (wait > 0) return wait;
    bucket.full = full + this.#interval;
    return 0;
  }

  #track(key: string, full: number, now: number): void {
    const buckets = this.#buckets;
    for (let i = 0; i < SWEEP_STEPS; i++) {
      let step = (this.#round ??= buckets.values()).next();
      if (step.done) {
        // Start the next round (an iterator that reached the end stays there).
        step = (this.#round = buckets.values()).next();
        if (step.done) break;
      }
      if (step.value.full <= now) buckets.delete(step.value.key);
    }
    if (buckets.size >= this.#maxClients) {
      // Not full, or the sweep would have dropped it: that client gets one more burst.
      let step = (this.#oldest ??= buckets.values()).next();
      if (step.done) step = (this.#oldest = buckets.values()).next();
      buckets.delete(step.value!.key);
    }
    buckets.set(key, { key, full });
  }
}

/**
 * Middleware that limits each client, by `ctx.clientIp` (the socket's peer, or the client a
 * trusted proxy named), to the limiter's rate and burst. A request over the limit is refused
 * with {@linkcode TooManyRequestsError} (429, answered by `recover()`: place it inside), whose
 * `Retry-After` is the whole seconds until the client's next token, rounded up. Refused
 * requests are not forwarded and take no token. The time of a request is its arrival,
 * `ctx.startTime`, so the limiter's clock must be `performance.now` (its default).
 * @param limiter the buckets; keep one across handler rebuilds so a reload does not refill them.
 * @returns the middleware.
 */
export function rateLimit(limiter: RateLimiter): Middleware {
  const policy = `${limiter.rate} requests/s per client, burst ${limiter.burst}`;
  return function rateLimitMiddleware(ctx: RequestContext, next: Handler) {
    const waitMs = limiter.take(ctx.clientIp, ctx.startTime);
    if (waitMs > 0) {
      return Promise.reject(new TooManyRequestsError(Math.ceil(waitMs / 1000), policy));
    }
    return next(ctx);
  };
}
