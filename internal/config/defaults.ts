/**
 * The value of every setting the configuration leaves out.
 *
 * @module
 */

import type {
  AdminConfig,
  HashKey,
  HealthConfig,
  LoggingConfig,
  ProxyConfig,
  StrategyName,
  TimeoutsConfig,
} from "./types.ts";

/** Every `Config` setting that has a fixed default, in the runtime shape. */
export interface ConfigDefaults {
  /** Listen address, `0.0.0.0`. */
  readonly host: string;
  /** Listen port, 8080. */
  readonly port: number;
  /** Load-balancing strategy, `round_robin`. */
  readonly strategy: StrategyName;
  /** What `consistent_hash` hashes: the client IP. */
  readonly hashKey: Readonly<HashKey>;
  /** Active health checks: every 10 s, 2 s timeout, rise 2, fall 3. */
  readonly health: Readonly<Omit<HealthConfig, "path">>;
  /** Upstream and shutdown timeouts, 30 s each. */
  readonly timeouts: Readonly<TimeoutsConfig>;
  /** Keep the client's Host, 1 retry, 64 KiB retry buffer. */
  readonly proxy: Readonly<ProxyConfig>;
  /** Log level `info`. */
  readonly logging: Readonly<Pick<LoggingConfig, "level">>;
  /** Admin listener on `127.0.0.1:8090`; `token` defaults to none. */
  readonly admin: Readonly<Omit<AdminConfig, "token">>;
}

/**
 * Defaults in the runtime shape (camelCase, milliseconds, bytes), frozen. Not listed here:
 * `backends` defaults to none and `health.path` to a TCP check; `logging.format` is `json` when
 * stdout is not a terminal and `pretty` when it is (see `LoadConfigOptions.defaultLogFormat`);
 * `health.timeoutMs` is capped at `health.intervalMs` when only the interval is configured;
 * `admin.token` defaults to none; `sticky` is off; `trustedProxies` is empty.
 */
export const CONFIG_DEFAULTS: ConfigDefaults = Object.freeze({
  host: "0.0.0.0",
  port: 8080,
  strategy: "round_robin",
  hashKey: Object.freeze({ source: "ip" }),
  health: Object.freeze({
    intervalMs: 10_000,
    timeoutMs: 2_000,
    healthyThreshold: 2,
    unhealthyThreshold: 3,
  }),
  timeouts: Object.freeze({ backendMs: 30_000, shutdownMs: 30_000 }),
  proxy: Object.freeze({ preserveHost: true, retries: 1, retryBufferBytes: 65_536 }),
  logging: Object.freeze({ level: "info" }),
  admin: Object.freeze({ host: "127.0.0.1", port: 8090 }),
});
