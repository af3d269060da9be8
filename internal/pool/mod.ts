/**
 * Upstreams and the pool that holds them: membership, health and admin state, and the cached
 * snapshot of available upstreams.
 *
 * @module
 */
export { PeakEwma, type PeakEwmaOptions } from "./peak_ewma.ts";
export { Pool, type PoolEvent, type PoolListener } from "./pool.ts";
export {
  type AdminState,
  type CheckResult,
  type HealthState,
  Upstream,
  type UpstreamSpec,
} from "./upstream.ts";
export {
  RATE_SECONDS,
  type StatsSnapshot,
  UpstreamStats,
  type UpstreamStatsOptions,
} from "./upstream_stats.ts";
