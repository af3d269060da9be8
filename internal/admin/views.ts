/**
 * JSON shapes of the admin API and of its Server-Sent Events, and the functions that build
 * them from the pool. The dashboard reads exactly these.
 *
 * @module
 */

import type { AdminState, CheckResult, HealthState, Upstream } from "../pool/mod.ts";

/** The latest active health check, as the API shows it. */
export interface CheckView {
  ok: boolean;
  /** Probe duration, ms (3 decimals). */
  latencyMs: number;
  /** When the probe finished, ISO 8601. */
  at: string;
  /** E.g. `"HTTP 200"`, `"connection refused"`, `"timed out after 2000ms"`. */
  detail: string;
}

/** One upstream in `GET /api/upstreams` and in events. */
export interface UpstreamView {
  id: string;
  name: string;
  url: string;
  weight: number;
  health: { state: HealthState; lastCheck: CheckView | null };
  admin: AdminState;
  /**
   * When its ejection by passive health checks (outlier detection) ends, ISO 8601; `null` when
   * it is not ejected.
   */
  ejectedUntil: string | null;
  /** Whether the strategy may pick it now (health, admin state, ejection). */
  available: boolean;
  inFlight: number;
  requestsTotal: number;
  failuresTotal: number;
  /** Requests per second over the last 10 s. */
  rps: number;
  /** Time to response headers over the last 60 s, ms; `null` without traffic. */
  p50Ms: number | null;
  p99Ms: number | null;
  /** Share of attempts in the last 60 s that failed or got a 5xx, 0–1. */
  errorRate: number;
}

/** One pool in `GET /api/pools` and in events. */
export interface PoolView {
  name: string;
  strategy: string;
  /** Totals over its upstreams. */
  totals: { upstreams: number; available: number; inFlight: number; rps: number };
  upstreams: UpstreamView[];
}

/** One route in `GET /api/routes` and in events, in match order. */
export interface RouteView {
  name: string;
  /** The conditions as text, e.g. `host api.example.com, path /api/*`; `*` for a catch-all. */
  match: string;
  /** `pool api`, `redirect 301 https://…{path}` or `respond 503`. */
  target: string;
  /** The pool, `null` for a redirect or a fixed response. */
  pool: string | null;
  /** Requests matched since start (kept across reloads by route name). */
  hits: number;
}

/**
 * Builds the API view of a pool.
 * @param name the pool's name.
 * @param strategy its strategy's name.
 * @param upstreams its upstreams.
 * @returns its JSON view, with per-pool totals.
 */
export function poolView(name: string, strategy: string, upstreams: readonly Upstream[]): PoolView {
  const views = upstreams.map(upstreamView);
  let available = 0;
  let inFlight = 0;
  let rps = 0;
  for (const view of views) {
    if (view.available) available++;
    inFlight += view.inFlight;
    rps += view.rps;
  }
  return {
    name,
    strategy,
    totals: { upstreams: views.length, available, inFlight, rps: Math.round(rps * 10) / 10 },
    upstreams: views,
  };
}

/** `GET /api/status`. */
export interface StatusView {
  version: string;
  /** When Sluice started, ISO 8601. */
  startedAt: string;
  uptimeSeconds: number;
  /** The strategy; with several pools, each distinct one, comma-separated (see `/api/pools`). */
  strategy: string;
  /** Readiness, as `/readyz` answers it. */
  ready: boolean;
  shuttingDown: boolean;
  /** Upstreams of every pool. */
  upstreams: { total: number; available: number };
  totals: {
    /** Requests received since start. */
    requests: number;
    /** Requests answered with a 5xx (including Sluice's own 502/503/504) since start. */
    errors: number;
    /** Requests in flight now. */
    inFlight: number;
    /** Extra upstream attempts (retries) since start. */
    retries: number;
  };
  /** The client listener and its connections (counts are 0 with `serve`, which keeps none). */
  clients: {
    listener: string;
    /** Client connections open now. */
    connections: number;
    /** Connections refused at accept (max_client_connections) since start. */
    refused: number;
    /** Upgrade tunnels (WebSocket) open now. */
    tunnels: number;
  };
  /**
   * Expiry (`notAfter`) of the certificate the proxy listener serves, ISO 8601; `null` without
   * TLS.
   */
  tlsCertificateExpiresAt: string | null;
  /** All traffic over the last 10 s (rps) and 60 s (p99, ms). */
  rps: number;
  p99Ms: number | null;
}

/**
 * Server-Sent Events of `GET /api/events` (the `event:` field names the type; `data:` is the
 * JSON below):
 * - `snapshot` (first, on connect): `{ status: StatusView, upstreams: UpstreamView[], pools:
 *   PoolView[], routes: RouteView[] }` (`upstreams`: the pool `default`'s);
 * - `upstream` (on every change): {@linkcode UpstreamEvent};
 * - `stats` (once a second): `{ at: string, status: StatusView, upstreams: UpstreamView[], pools:
 *   PoolView[], routes: RouteView[] }`.
 */
export interface UpstreamEvent {
  /** What changed. */
  type: "added" | "removed" | "health" | "admin" | "weight" | "ejection";
  /** When, ISO 8601. */
  at: string;
  /** The upstream's pool. */
  pool: string;
  upstream: UpstreamView;
  /** Previous value for health/admin/weight changes. */
  from?: string | number;
  /** New value for health/admin/weight changes. */
  to?: string | number;
}

function checkView(check: CheckResult | undefined): CheckView | null {
  if (!check) return null;
  return {
    ok: check.ok,
    latencyMs: Math.round(check.latencyMs * 1000) / 1000,
    at: new Date(check.at).toISOString(),
    detail: check.detail,
  };
}

/**
 * Builds the API view of an upstream.
 * @param upstream the upstream.
 * @returns its JSON view.
 */
export function upstreamView(upstream: Upstream): UpstreamView {
  const stats = upstream.stats.snapshot();
  return {
    id: upstream.id,
    name: upstream.name,
    url: upstream.url,
    weight: upstream.weight,
    health: { state: upstream.health, lastCheck: checkView(upstream.lastCheck) },
    admin: upstream.admin,
    ejectedUntil: upstream.ejectedUntil === null
      ? null
      : new Date(upstream.ejectedUntil).toISOString(),
    available: upstream.available,
    inFlight: upstream.inFlight,
    requestsTotal: upstream.requestsTotal,
    failuresTotal: upstream.failuresTotal,
    rps: stats.rps,
    p50Ms: stats.p50Ms,
    p99Ms: stats.p99Ms,
    errorRate: stats.errorRate,
  };
}
