/**
 * The running configuration as it may be shown to an operator, without its secrets.
 *
 * @module
 */

import { formatHashKey } from "./hash_key.ts";
import { formatDuration } from "./duration.ts";
import type { Config } from "./types.ts";

/** What `redactConfig` puts in place of a secret that is set. */
const REDACTED = "[redacted]";

/**
 * Turns a runtime `Config` back into the config file shape (snake_case keys, durations such as
 * `"10s"`, sizes in bytes) with every secret replaced, for `GET /api/config` and logs.
 *
 * `admin.token` and `sticky.secret` become `"[redacted]"` when set; settings that are unset
 * (`admin.token`, `health.path`, `sticky`, a `sticky.secret` generated for the process) are
 * `null` rather than left out, so a reader sees every key, as is `limits.rate_burst` while rate
 * limiting is off. The result is a fresh object that
 * shares nothing with `config`.
 *
 * @example
 * ```ts
 * const config = validateConfig({ admin: { token: "0123456789abcdef" } });
 * redactConfig(config).admin; // { host: "127.0.0.1", port: 8090, token: "[redacted]" }
 * ```
 *
 * @param config A validated configuration, e.g. from `loadConfig`.
 * @returns A JSON-serialisable object in the file shape, safe to show.
 */
export function redactConfig(config: Config): Record<string, unknown> {
  const { health, timeouts, proxy, passive, limits, logging, admin, sticky } = config;
  return {
    host: config.host,
    port: config.port,
    strategy: config.strategy,
    hash_key: formatHashKey(config.hashKey),
    sticky: sticky === undefined
      ? null
      : { cookie: sticky.cookie, secret: sticky.secretGenerated ? null : REDACTED },
    trusted_proxies: [...config.trustedProxies],
    backends: config.backends.map(({ url, name, weight }) => ({ url, name, weight })),
    health: {
      path: health.path ?? null,
      interval: formatDuration(health.intervalMs),
      timeout: formatDuration(health.timeoutMs),
      healthy_threshold: health.healthyThreshold,
      unhealthy_threshold: health.unhealthyThreshold,
    },
    timeouts: {
      backend: formatDuration(timeouts.backendMs),
      connect: formatDuration(timeouts.connectMs),
      idle: formatDuration(timeouts.idleMs),
      shutdown: formatDuration(timeouts.shutdownMs),
    },
    proxy: {
      transport: proxy.transport,
      preserve_host: proxy.preserveHost,
      retries: proxy.retries,
      retry_non_idempotent: proxy.retryNonIdempotent,
      verbose_errors: proxy.verboseErrors,
      retry_budget_percent: proxy.retryBudgetPercent,
      retry_budget_min: proxy.retryBudgetMin,
      retry_buffer: proxy.retryBufferBytes,
    },
    passive: {
      failures: passive.failures,
      ejection_time: formatDuration(passive.ejectionTimeMs),
      max_ejection_time: formatDuration(passive.maxEjectionTimeMs),
      max_ejection_percent: passive.maxEjectionPercent,
    },
    limits: {
      max_connections_per_upstream: limits.maxConnectionsPerUpstream,
      queue_size: limits.queueSize,
      queue_timeout: formatDuration(limits.queueTimeoutMs),
      slow_start: formatDuration(limits.slowStartMs),
      max_body_size: limits.maxBodyBytes,
      rate_limit: limits.rateLimitRps,
      // The burst means nothing without a rate, and the file may not set one alone.
      rate_burst: limits.rateLimitRps === 0 ? null : limits.rateBurst,
      max_url_length: limits.maxUrlBytes,
      max_header_size: limits.maxHeaderBytes,
    },
    logging: { level: logging.level, format: logging.format },
    admin: {
      host: admin.host,
      port: admin.port,
      token: admin.token === undefined ? null : REDACTED,
    },
  };
}
