/**
 * Passive health checks (outlier detection): upstreams that fail real requests are ejected from
 * the pool for a growing time.
 *
 * @module
 */

import { getLogger } from "@logtape/logtape";
import type { Pool, Upstream } from "../pool/mod.ts";
import { describeNetworkError } from "./network_errors.ts";

const logger = getLogger(["sluice", "health"]);

/** How one attempt to an upstream ended (the director's `AttemptOutcome`). */
export interface ObservedOutcome {
  /** Response status, when response headers arrived. */
  status?: number;
  /** The failure, when none did (connect error, timeout, reset). */
  error?: unknown;
}

/** Options of {@linkcode PassiveHealthTracker}. */
export interface PassiveHealthTrackerOptions {
  /**
   * Consecutive failed attempts (a 5xx response, or a connect error, timeout or reset) that
   * eject an upstream, integer >= 0; 0 turns passive health checks off.
   * @default 5
   */
  failures?: number;
  /** Base ejection time, ms: the n-th ejection in a row lasts n times this. @default 30000 */
  ejectionTimeMs?: number;
  /** Longest ejection, ms, at least `ejectionTimeMs`. @default max(300000, ejectionTimeMs) */
  maxEjectionTimeMs?: number;
  /**
   * Most upstreams ejected at once, percent of the pool's size, 0..100; at least one upstream
   * may always be ejected (Envoy).
   * @default 10
   */
  maxEjectionPercent?: number;
  /** Wall clock for `ejectedUntil` and the decay of the multiplier, ms. @default Date.now */
  now?: () => number;
  /** Schedules the end of an ejection. @default globalThis.setTimeout */
  setTimeout?: (callback: () => void, ms: number) => unknown;
  /** Cancels what `setTimeout` scheduled. @default globalThis.clearTimeout */
  clearTimeout?: (timer: unknown) => void;
}

/** What is known of one upstream that has failed at least once. */
interface Target {
  /** Failed attempts in a row. */
  failures: number;
  /** Ejections in a row, less one per ejection time since the latest return. */
  multiplier: number;
  /** When the latest ejection ended, ms (`now`); `-Infinity` before one did. */
  returnedAt: number;
  /** Ends the ejection in progress. */
  timer: unknown;
}

/**
 * Outlier detection from real traffic (Envoy `outlier_detection` with `consecutive_5xx` and
 * `consecutive_gateway_failure`, errors counted as 5xx as when Envoy does not split local-origin
 * errors; HAProxy `observe layer7`). Pass {@linkcode observe} as the director's `observe`.
 *
 * - Every attempt's outcome is observed: a 5xx response or a failure without a response
 *   (connect error, timeout, reset) counts one more failure in a row; any other response
 *   resets the count. When it reaches `failures`, the upstream is ejected: it leaves the
 *   available set (`pool.setEjected`), requests already sent to it finish, and outcomes
 *   observed while it is out do not count.
 * - The n-th ejection in a row lasts `ejectionTimeMs × n`, at most `maxEjectionTimeMs`
 *   (Envoy's `base_ejection_time` and `max_ejection_time`). The multiplier n decays by one per
 *   `ejectionTimeMs` the upstream spends back in the pool without being ejected (Envoy
 *   decrements it once per `interval` instead, which Sluice does not have), and stops growing
 *   once the ejection time reaches the maximum, so it also decays from there. Example with
 *   30 s: ejected 30 s, back and failing at once, ejected 60 s; back, failing 70 s later
 *   (two intervals of good behaviour: n 2 → 0), ejected 30 s again.
 * - At most `maxEjectionPercent` of the pool (its size, whatever the state of its members) is
 *   ejected at once, rounded down but at least one (Envoy). While the share is reached, an
 *   upstream at the threshold stays in and each further failure tries again, so it is ejected
 *   as soon as another one returns.
 * - An ejection ends by timer, when its time is up; the failure count starts again from 0.
 *   Active health checks do not end it (unlike Envoy's `successful_active_health_check_uneject
 *   _host`): a TCP or health-path probe can pass while real requests fail.
 * - An ejection is logged at warn and its end at info (category `["sluice", "health"]`); the
 *   pool emits an `ejection` event for both, counts `upstream.ejectionsTotal`, and slow start
 *   (if configured) ramps the upstream back up.
 *
 * `observe` is on the request path: one `Map` lookup for a good outcome, no allocation.
 *
 * @example
 * ```ts
 * const tracker = new PassiveHealthTracker(pool, { failures: 5, ejectionTimeMs: 30_000 });
 * const director = createDirector({ pool, strategy, transport, observe: tracker.observe });
 * // at shutdown:
 * tracker.stop();
 * ```
 */
export class PassiveHealthTracker {
  readonly #pool: Pool;
  readonly #threshold: number;
  readonly #ejectionTimeMs: number;
  readonly #maxEjectionTimeMs: number;
  readonly #maxEjectionPercent: number;
  /** The multiplier at which the ejection time reaches its maximum. */
  readonly #maxMultiplier: number;
  readonly #now: () => number;
  readonly #setTimeout: (callback: () => void, ms: number) => unknown;
  readonly #clearTimeout: (timer: unknown) => void;
  readonly #targets = new Map<Upstream, Target>();
  /** Upstreams this tracker ejected and has not brought back yet. */
  readonly #ejected = new Set<Upstream>();
  readonly #unsubscribe: () => void;
  #stopped = false;

  /**
   * @param pool the upstreams to eject from; upstreams removed from it are forgotten.
   * @param options threshold, ejection times, share and clocks.
   * @throws {RangeError} when `failures` is not an integer >= 0, `ejectionTimeMs` is not
   *   positive, `maxEjectionTimeMs` is below it, or `maxEjectionPercent` is outside 0..100.
   */
  constructor(pool: Pool, options: PassiveHealthTrackerOptions = {}) {
    this.#pool = pool;
    this.#threshold = options.failures ?? 5;
    this.#ejectionTimeMs = options.ejectionTimeMs ?? 30_000;
    this.#maxEjectionTimeMs = options.maxEjectionTimeMs ?? Math.max(300_000, this.#ejectionTimeMs);
    this.#maxEjectionPercent = options.maxEjectionPercent ?? 10;
    this.#now = options.now ?? Date.now;
    this.#setTimeout = options.setTimeout ?? ((callback, ms) => setTimeout(callback, ms));
    this.#clearTimeout = options.clearTimeout ??
      ((timer) => clearTimeout(timer as ReturnType<typeof setTimeout>));
    if (!Number.isInteger(this.#threshold) || this.#threshold < 0) {
      throw new RangeError(
        `failures must be an integer >= 0: current value is ${this.#threshold}`,
      );
    }
    if (!(this.#ejectionTimeMs > 0) || !Number.isFinite(this.#ejectionTimeMs)) {
      throw new RangeError(`ejectionTimeMs must be > 0: current value is ${this.#ejectionTimeMs}`);
    }
    if (!(this.#maxEjectionTimeMs >= this.#ejectionTimeMs)) {
      throw new RangeError(
        `maxEjectionTimeMs must be >= ejectionTimeMs (${this.#ejectionTimeMs}): current value is ${this.#maxEjectionTimeMs}`,
      );
    }
    if (!(this.#maxEjectionPercent >= 0 && this.#maxEjectionPercent <= 100)) {
      throw new RangeError(
        `maxEjectionPercent must be within 0..100: current value is ${this.#maxEjectionPercent}`,
      );
    }
    this.#maxMultiplier = Math.ceil(this.#maxEjectionTimeMs / this.#ejectionTimeMs);
    this.#unsubscribe = pool.onChange((event) => {
      if (event.type === "removed") this.#forget(event.upstream);
    });
  }

  /** Whether passive health checks are on (`failures` > 0). */
  get enabled(): boolean {
    return this.#threshold > 0;
  }

  /**
   * Learns from one attempt's outcome; pass it as the director's `observe` (it is bound).
   * @param upstream the upstream the attempt went to.
   * @param outcome its response status, or the error when no response arrived.
   */
  readonly observe = (upstream: Upstream, outcome: ObservedOutcome): void => {
    if (this.#threshold === 0 || this.#stopped) return;
    const status = outcome.status;
    const target = this.#targets.get(upstream);
    if (status !== undefined && status < 500) {
      if (target !== undefined) target.failures = 0;
      return;
    }
    // Answers of requests sent before the ejection, or to an upstream removed since.
    if (upstream.ejectedUntil !== null || this.#pool.get(upstream.id) !== upstream) return;
    let failing = target;
    if (failing === undefined) {
      failing = { failures: 0, multiplier: 0, returnedAt: -Infinity, timer: null };
      this.#targets.set(upstream, failing);
    }
    if (++failing.failures >= this.#threshold) this.#eject(upstream, failing, outcome);
  };

  /**
   * Stops ejecting, cancels the timers and brings back the upstreams it ejected (nothing else
   * would end their ejection), so a tracker can be replaced (on reload) or dropped. Idempotent.
   */
  stop(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#unsubscribe();
    for (const upstream of [...this.#ejected]) {
      const target = this.#targets.get(upstream);
      if (target !== undefined) this.#clearTimeout(target.timer);
      this.#ejected.delete(upstream);
      this.#pool.setEjected(upstream.id, null);
    }
    this.#targets.clear();
  }

  #eject(upstream: Upstream, target: Target, outcome: ObservedOutcome): void {
    const size = this.#pool.size;
    const allowed = Math.max(1, Math.floor(size * this.#maxEjectionPercent / 100));
    if (this.#ejected.size >= allowed) {
      logger.debug(
        "Upstream {upstream} failed {failures} times in a row but stays: {ejected} of {size} upstream(s) ejected already",
        { upstream: upstream.name, failures: target.failures, ejected: this.#ejected.size, size },
      );
      return;
    }
    const now = this.#now();
    const goodIntervals = Math.floor((now - target.returnedAt) / this.#ejectionTimeMs);
    const decayed = goodIntervals > target.multiplier ? 0 : target.multiplier - goodIntervals;
    target.multiplier = decayed < this.#maxMultiplier ? decayed + 1 : this.#maxMultiplier;
    const durationMs = Math.min(this.#ejectionTimeMs * target.multiplier, this.#maxEjectionTimeMs);
    const failures = target.failures;
    target.failures = 0;
    this.#ejected.add(upstream);
    target.timer = this.#setTimeout(() => this.#return(upstream, target), durationMs);
    this.#pool.setEjected(upstream.id, now + durationMs);
    logger.warn(
      "Upstream {upstream} ejected for {durationMs}ms after {failures} failure(s) in a row ({reason})",
      {
        upstream: upstream.name,
        upstreamId: upstream.id,
        durationMs,
        failures,
        ejections: target.multiplier,
        reason: outcome.status !== undefined
          ? `HTTP ${outcome.status}`
          : describeNetworkError(outcome.error),
      },
    );
  }

  #return(upstream: Upstream, target: Target): void {
    target.timer = null;
    target.failures = 0;
    target.returnedAt = this.#now();
    this.#ejected.delete(upstream);
    this.#pool.setEjected(upstream.id, null);
    logger.info("Upstream {upstream} is back from ejection", {
      upstream: upstream.name,
      upstreamId: upstream.id,
      ejections: target.multiplier,
    });
  }

  #forget(upstream: Upstream): void {
    const target = this.#targets.get(upstream);
    if (target === undefined) return;
    this.#clearTimeout(target.timer);
    this.#targets.delete(upstream);
    this.#ejected.delete(upstream);
  }
}
