/**
 * One upstream (backend server) and its run-time state.
 *
 * @module
 */

import { PeakEwma } from "./peak_ewma.ts";
import { UpstreamStats } from "./upstream_stats.ts";

/**
 * Health as decided by active health checks.
 *
 * `unknown` (not probed yet) counts as available for upstreams configured at start-up, so the
 * proxy serves at once, but not for upstreams added at run time; the first probe result
 * replaces it without waiting for rise/fall.
 */
export type HealthState = "unknown" | "up" | "down";

/**
 * Operator-set state (HAProxy's `set server state`): `ready` takes traffic, `draining` takes no
 * new requests while in-flight ones finish, `maintenance` takes none.
 */
export type AdminState = "ready" | "draining" | "maintenance";

/** Outcome of the latest active health check of an upstream. */
export interface CheckResult {
  /** Whether the probe passed. */
  ok: boolean;
  /** Time the probe took, ms. */
  latencyMs: number;
  /** When the probe finished, ms since the epoch. */
  at: number;
  /** Short reason, e.g. `"HTTP 200"`, `"timed out after 2000ms"`, `"connection refused"`. */
  detail: string;
}

/** What is needed to create an {@linkcode Upstream}. */
export interface UpstreamSpec {
  /** Stable id used by the admin API and in logs. */
  id: string;
  /** Display name, e.g. `"127.0.0.1:9001"`. */
  name: string;
  /** Origin, `http://host:port`, no trailing slash. */
  url: string;
  /** Relative share for weighted strategies, integer >= 1. @default 1 */
  weight?: number;
  /**
   * Whether the upstream takes traffic before its first health check (start-up upstreams) or
   * only after a passing one (added at run time; Envoy's `ignore_new_hosts_until_first_hc`).
   * @default true
   */
  servesBeforeCheck?: boolean;
}

/**
 * Lowest share of its weight an upstream gets at the start of a slow start (Envoy's
 * `min_weight_percent`, 10%).
 */
export const SLOW_START_MIN_SHARE = 0.1;

/**
 * One upstream server. Mutable counters live here; membership and availability are owned by
 * the {@linkcode Pool}, which is the only writer of `health`, `admin`, `ejectedUntil` and the
 * slow start state.
 */
export class Upstream {
  /** Stable id, e.g. `"u1"`. */
  readonly id: string;
  /** Display name. */
  readonly name: string;
  /** Origin without trailing slash, e.g. `"http://127.0.0.1:9001"`. */
  readonly url: string;
  /** `host:port` of the origin, used when `Host` is not preserved. */
  readonly host: string;
  #weight: number;
  /** `#weight × #rampShare`, kept so that strategies read one field. */
  #effectiveWeight: number;
  /** Health from active checks; written through `Pool.setHealth`. */
  health: HealthState = "unknown";
  /** Operator state; written through `Pool.setAdminState`. */
  admin: AdminState = "ready";
  /** Latest active health check, `undefined` before the first one. */
  lastCheck: CheckResult | undefined = undefined;
  /** Requests whose response has not finished streaming (headers and body). */
  inFlight = 0;
  /** Requests sent to this upstream since start. */
  requestsTotal = 0;
  /** Attempts that failed (connect error, timeout, reset) since start. */
  failuresTotal = 0;
  /**
   * When its ejection by passive health checks (outlier detection) ends, ms since the epoch;
   * `null` when it is not ejected. Written through `Pool.setEjected`.
   */
  ejectedUntil: number | null = null;
  /** Times passive health checks ejected it since it joined the pool. */
  ejectionsTotal = 0;
  /**
   * When its latest slow start began, ms on the pool's clock (`performance.now()`);
   * `-Infinity` when it never had one. Set by the pool when the upstream becomes available.
   */
  rampStartedAt = -Infinity;
  /** Recent rate, latency percentiles and error rate. */
  readonly stats: UpstreamStats = new UpstreamStats();
  /** Peak-EWMA of the time to response headers, failures as the timeout: `least_time`'s cost. */
  readonly latency: PeakEwma = new PeakEwma();
  /** Whether `unknown` health (before the first check) counts as available. */
  readonly servesBeforeCheck: boolean;
  #idleWaiters: (() => void)[] = [];
  /** Length of the slow start in progress, ms; 0 when none is. */
  #rampMs = 0;
  /** Share of `weight` the slow start in progress allows, (0, 1]; 1 outside slow start. */
  #rampShare = 1;

  /**
   * @param spec id, name, origin URL and weight.
   * @throws {TypeError} when `spec.url` is not an absolute URL.
   */
  constructor(spec: UpstreamSpec) {
    this.id = spec.id;
    this.name = spec.name;
    this.url = spec.url.endsWith("/") ? spec.url.slice(0, -1) : spec.url;
    this.host = new URL(this.url).host;
    this.#weight = spec.weight ?? 1;
    this.#effectiveWeight = this.#weight;
    this.servesBeforeCheck = spec.servesBeforeCheck ?? true;
  }

  /**
   * Whether a strategy may pick this upstream: admin state `ready`, not ejected, and health
   * `up` (or still `unknown` for an upstream that serves before its first check).
   */
  get available(): boolean {
    if (this.admin !== "ready" || this.ejectedUntil !== null) return false;
    return this.health === "up" || (this.health === "unknown" && this.servesBeforeCheck);
  }

  /** Whether passive health checks have ejected it (see {@linkcode ejectedUntil}). */
  get ejected(): boolean {
    return this.ejectedUntil !== null;
  }

  /**
   * Relative share for weighted strategies, as configured (written through `Pool.setWeight`);
   * they read {@linkcode effectiveWeight}, which slow start scales down for a while.
   */
  get weight(): number {
    return this.#weight;
  }

  set weight(weight: number) {
    this.#weight = weight;
    this.#effectiveWeight = weight * this.#rampShare;
  }

  /**
   * The weight weighted strategies use: `weight`, or during a slow start the share of it the
   * ramp has reached. One field read, no clock: the pool moves the share on a timer while a
   * slow start runs, because reading a clock costs about 50–100 ns (`Date.now()`,
   * `performance.now()` in Deno 2.9) where a strategy reads the weight of every upstream on
   * every pick. Constant within one synchronous pick.
   */
  get effectiveWeight(): number {
    return this.#effectiveWeight;
  }

  /** Whether a slow start is in progress (see {@linkcode effectiveWeightAt}). */
  get slowStarting(): boolean {
    return this.#rampMs !== 0;
  }

  /**
   * The weight the slow start in progress allows at `now`: linear from
   * {@linkcode SLOW_START_MIN_SHARE} of `weight` to all of it over the window (Envoy
   * `slow_start_config` with aggression 1 and `min_weight_percent` 10%: `weight ×
   * max(10%, elapsed / window)`; nginx `slow_start`). Pure: reads no clock, changes nothing.
   * @param now time on the pool's clock, ms (`performance.now()`).
   * @returns the effective weight, `weight` when no slow start is in progress or it is over.
   */
  effectiveWeightAt(now: number): number {
    return this.weight * this.#shareAt(now);
  }

  /**
   * Starts a slow start (the pool calls it when the upstream becomes available).
   * @param now time on the pool's clock, ms.
   * @param windowMs length of the ramp, ms; 0 or less ends any ramp in progress.
   */
  startSlowStart(now: number, windowMs: number): void {
    this.rampStartedAt = now;
    this.#rampMs = windowMs > 0 ? windowMs : 0;
    this.#setShare(this.#shareAt(now));
  }

  /**
   * Moves the slow start in progress to `now` (the pool's timer calls it); at the end of the
   * window the upstream is back at its full weight.
   * @param now time on the pool's clock, ms.
   * @returns whether the slow start is still in progress.
   */
  advanceSlowStart(now: number): boolean {
    this.#setShare(this.#shareAt(now));
    if (this.#rampShare === 1) this.#rampMs = 0;
    return this.#rampMs !== 0;
  }

  #setShare(share: number): void {
    this.#rampShare = share;
    this.#effectiveWeight = this.#weight * share;
  }

  #shareAt(now: number): number {
    if (this.#rampMs === 0) return 1;
    const share = (now - this.rampStartedAt) / this.#rampMs;
    if (share >= 1) return 1;
    return share > SLOW_START_MIN_SHARE ? share : SLOW_START_MIN_SHARE;
  }

  /** Counts a request sent to this upstream; pair it with {@linkcode release}. */
  acquire(): void {
    this.inFlight++;
    this.requestsTotal++;
  }

  /** Counts the end of a request (its response body finished or was abandoned). */
  release(): void {
    this.inFlight--;
    if (this.inFlight === 0 && this.#idleWaiters.length > 0) {
      const waiters = this.#idleWaiters;
      this.#idleWaiters = [];
      for (const wake of waiters) wake();
    }
  }

  /** Resolves when no request is in flight (at once if none is): the end of a drain. */
  idle(): Promise<void> {
    if (this.inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }
}
