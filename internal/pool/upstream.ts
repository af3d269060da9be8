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
 * One upstream server. Mutable counters live here; membership and availability are owned by
 * the {@linkcode Pool}, which is the only writer of `health` and `admin`.
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
  /** Relative share for weighted strategies. */
  weight: number;
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
  /** Recent rate, latency percentiles and error rate. */
  readonly stats: UpstreamStats = new UpstreamStats();
  /** Peak-EWMA of the time to response headers, failures as the timeout: `least_time`'s cost. */
  readonly latency: PeakEwma = new PeakEwma();
  /** Whether `unknown` health (before the first check) counts as available. */
  readonly servesBeforeCheck: boolean;
  #idleWaiters: (() => void)[] = [];

  /**
   * @param spec id, name, origin URL and weight.
   * @throws {TypeError} when `spec.url` is not an absolute URL.
   */
  constructor(spec: UpstreamSpec) {
    this.id = spec.id;
    this.name = spec.name;
    this.url = spec.url.endsWith("/") ? spec.url.slice(0, -1) : spec.url;
    this.host = new URL(this.url).host;
    this.weight = spec.weight ?? 1;
    this.servesBeforeCheck = spec.servesBeforeCheck ?? true;
  }

  /**
   * Whether a strategy may pick this upstream: admin state `ready` and health `up` (or still
   * `unknown` for an upstream that serves before its first check).
   */
  get available(): boolean {
    if (this.admin !== "ready") return false;
    return this.health === "up" || (this.health === "unknown" && this.servesBeforeCheck);
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
