/**
 * Upstreams and the pool that holds them: membership, health, admin and ejection state, slow
 * start, and the cached snapshot of available upstreams.
 *
 * @module
 */
export { PeakEwma, type PeakEwmaOptions } from "./peak_ewma.ts";
export { Pool, type PoolEvent, type PoolListener, type PoolOptions } from "./pool.ts";
export {
  type AdminState,
  type CheckResult,
  type HealthState,
  SLOW_START_MIN_SHARE,
  Upstream,
  type UpstreamSpec,
} from "./upstream.ts";
export {
  RATE_SECONDS,
  type StatsSnapshot,
  UpstreamStats,
  type UpstreamStatsOptions,
} from "./upstream_stats.ts";
