/**
 * The value of every setting the configuration leaves out.
 *
 * @module
 */

import type {
  AdminConfig,
  HashKey,
  HealthConfig,
  LimitsConfig,
  ListenerName,
  LoggingConfig,
  PassiveHealthConfig,
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
  /** Client listener, `http1`. */
  readonly listener: ListenerName;
  /** Load-balancing strategy, `round_robin`. */
  readonly strategy: StrategyName;
  /** What `consistent_hash` hashes: the client IP. */
  readonly hashKey: Readonly<HashKey>;
  /** Active health checks: every 10 s, 2 s timeout, rise 2, fall 3. */
  readonly health: Readonly<Omit<HealthConfig, "path">>;
  /** Upstream and shutdown timeouts, 30 s each; body idle timeout 60 s. */
  readonly timeouts: Readonly<TimeoutsConfig>;
  /** Keep the client's Host, 1 retry (idempotent requests only), 20% budget, 3 always, 64 KiB buffer. */
  readonly proxy: Readonly<ProxyConfig>;
  /** Eject after 5 failures in a row for 30 s, growing to 300 s; at most 10% of the pool. */
  readonly passive: Readonly<PassiveHealthConfig>;
  /**
   * No connection, body or rate limit; a queue of 100 for 5 s; no slow start; 8 KiB URLs and
   * 32 KiB of headers.
   */
  readonly limits: Readonly<Omit<LimitsConfig, "rateBurst">>;
  /** Log level `info`. */
  readonly logging: Readonly<Pick<LoggingConfig, "level" | "accessLog">>;
  /** Admin listener on `127.0.0.1:8090`; `token` defaults to none. */
  readonly admin: Readonly<Omit<AdminConfig, "token" | "allowedHosts">>;
}

/**
 * Defaults in the runtime shape (camelCase, milliseconds, bytes), frozen. Not listed here:
 * `backends` defaults to none and `health.path` to a TCP check; `logging.format` is `json` when
 * stdout is not a terminal and `pretty` when it is (see `LoadConfigOptions.defaultLogFormat`);
 * `health.timeoutMs` is capped at `health.intervalMs` when only the interval is configured;
 * `admin.token` defaults to none, `admin.allowedHosts` to none; `sticky` is off; `trustedProxies` is empty;
 * `passive.maxEjectionTimeMs` is raised to `passive.ejectionTimeMs` when only that is configured
 * longer; `limits.rateBurst` is `max(1, ceil(limits.rateLimitRps))`.
 */
export const CONFIG_DEFAULTS: ConfigDefaults = Object.freeze({
  host: "0.0.0.0",
  port: 8080,
  listener: "http1",
  strategy: "round_robin",
  hashKey: Object.freeze({ source: "ip" }),
  health: Object.freeze({
    intervalMs: 10_000,
    timeoutMs: 2_000,
    healthyThreshold: 2,
    unhealthyThreshold: 3,
  }),
  timeouts: Object.freeze({
    backendMs: 30_000,
    connectMs: 5_000,
    idleMs: 60_000,
    shutdownMs: 30_000,
    clientHeaderMs: 10_000,
    clientBodyMs: 60_000,
    clientIdleMs: 60_000,
    clientSendMs: 60_000,
    tunnelMs: 3_600_000,
  }),
  proxy: Object.freeze({
    transport: "http1",
    preserveHost: true,
    retries: 1,
    retryNonIdempotent: false,
    verboseErrors: false,
    retryBudgetPercent: 20,
    retryBudgetMin: 3,
    retryBufferBytes: 65_536,
    keepalive: 256,
    keepaliveTimeoutMs: 4_000,
    keepaliveRequests: 1_000,
  }),
  passive: Object.freeze({
    failures: 5,
    ejectionTimeMs: 30_000,
    maxEjectionTimeMs: 300_000,
    maxEjectionPercent: 10,
  }),
  limits: Object.freeze({
    maxConnectionsPerUpstream: 0,
    queueSize: 100,
    queueTimeoutMs: 5_000,
    slowStartMs: 0,
    maxBodyBytes: 0,
    rateLimitRps: 0,
    maxUrlBytes: 8_192,
    maxHeaderBytes: 32_768,
    maxClientConnections: 10_000,
  }),
  logging: Object.freeze({ level: "info", accessLog: "stdout" }),
  admin: Object.freeze({ host: "127.0.0.1", port: 8090 }),
});
