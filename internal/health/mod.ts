/**
 * Active health checking (HTTP or TCP probes with rise/fall thresholds).
 *
 * @module
 */
export { ActiveHealthChecker, type ActiveHealthCheckerOptions } from "./active_health_checker.ts";
export {
  describeProbeError,
  httpProbe,
  type Probe,
  type ProbeOutcome,
  tcpProbe,
} from "./probes.ts";
