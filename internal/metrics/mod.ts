/**
 * Metrics: Sluice's Prometheus registry and metric definitions, process metrics that need no
 * permission, and the whole-proxy traffic totals of the admin status.
 *
 * @module
 */
export { parseExposition, type Sample } from "./parse_exposition.ts";
export { registerProcessMetrics } from "./process_metrics.ts";
export {
  CODE_CLASSES,
  type CodeClass,
  codeClass,
  createMetrics,
  HEALTH_CHECK_DURATION_BUCKETS,
  METHOD_LABELS,
  type MethodLabel,
  methodLabel,
  type NamedPool,
  NO_POOL,
  NO_ROUTE,
  NO_UPSTREAM,
  type RecordedRequest,
  REQUEST_DURATION_BUCKETS,
  SluiceMetrics,
  type SluiceMetricsOptions,
} from "./sluice_metrics.ts";
export { Traffic, type TrafficOptions, type TrafficTotals } from "./traffic.ts";
export { registerTlsMetrics } from "./tls_metrics.ts";
