/**
 * Active health checking (HTTP or TCP probes with rise/fall thresholds), passive health
 * checking (outlier detection from real traffic), and the reading of network errors that probes
 * and the proxy share.
 *
 * @module
 */
export { ActiveHealthChecker, type ActiveHealthCheckerOptions } from "./active_health_checker.ts";
export { describeNetworkError, isConnectFailure, isConnectionLost } from "./network_errors.ts";
export {
  type ObservedOutcome,
  PassiveHealthTracker,
  type PassiveHealthTrackerOptions,
} from "./passive_health_tracker.ts";
export { httpProbe, type Probe, type ProbeOutcome, tcpProbe } from "./probes.ts";
