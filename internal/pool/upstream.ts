/**
 * One upstream (backend server) and its run-time state.
 *
 * @module
 */

/**
 * Health as decided by active health checks.
 *
 * `unknown` (not probed yet) counts as available for upstreams configured at start-up, so the
 * proxy serves at once; the first probe result replaces it without waiting for rise/fall.
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
  }

  /** Whether a strategy may pick this upstream: not down by health and admin state `ready`. */
  get available(): boolean {
    return this.health !== "down" && this.admin === "ready";
  }
}
