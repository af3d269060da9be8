/**
 * The running configuration as it may be shown to an operator, without its secrets.
 *
 * @module
 */

import { formatHashKey } from "./hash_key.ts";
import { formatDuration } from "./duration.ts";
import type { Config, HeaderRules, PoolConfig, RouteConfig } from "./types.ts";

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
    listener: config.listener,
    strategy: config.strategy,
    hash_key: formatHashKey(config.hashKey),
    sticky: redactSticky(sticky),
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
      client_header: formatDuration(timeouts.clientHeaderMs),
      client_body: formatDuration(timeouts.clientBodyMs),
      client_idle: formatDuration(timeouts.clientIdleMs),
      client_send: formatDuration(timeouts.clientSendMs),
      tunnel: formatDuration(timeouts.tunnelMs),
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
      keepalive: proxy.keepalive,
      keepalive_timeout: formatDuration(proxy.keepaliveTimeoutMs),
      keepalive_requests: proxy.keepaliveRequests,
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
      max_client_connections: limits.maxClientConnections,
    },
    logging: { level: logging.level, format: logging.format, access_log: logging.accessLog },
    admin: {
      host: admin.host,
      port: admin.port,
      token: admin.token === undefined ? null : REDACTED,
      allowed_hosts: [...admin.allowedHosts],
    },
    pools: Object.fromEntries(config.pools.map((pool) => [pool.name, redactPool(pool)])),
    routes: config.routes.map(showRoute),
    // File paths only: the key's contents never leave the process.
    tls: config.tls === undefined ? null : {
      cert: config.tls.certFile,
      key: config.tls.keyFile,
      redirect_http_port: config.tls.redirectHttpPort ?? null,
    },
    compression: {
      enabled: config.compression.enabled,
      types: [...config.compression.types],
      min_size: config.compression.minSizeBytes,
      algorithms: [...config.compression.algorithms],
    },
    discovery: {
      min_interval: formatDuration(config.discovery.minIntervalMs),
      max_interval: formatDuration(config.discovery.maxIntervalMs),
      name_server: config.discovery.nameServer === undefined
        ? null
        : `${
          config.discovery.nameServer.ipAddr.includes(":")
            ? `[${config.discovery.nameServer.ipAddr}]`
            : config.discovery.nameServer.ipAddr
        }:${config.discovery.nameServer.port}`,
    },
    upstream_tls: {
      ca: config.upstreamTls.caFile ?? null,
      server_name: config.upstreamTls.serverName ?? null,
      cert: config.upstreamTls.certFile ?? null,
      key: config.upstreamTls.keyFile ?? null,
    },
  };
}

function redactSticky(sticky: Config["sticky"]): Record<string, unknown> | null {
  return sticky === undefined
    ? null
    : { cookie: sticky.cookie, secret: sticky.secretGenerated ? null : REDACTED };
}

function redactPool(pool: PoolConfig): Record<string, unknown> {
  const { health, passive, limits, proxy } = pool;
  return {
    // File paths only, as at the top level.
    upstream_tls: {
      ca: pool.upstreamTls.caFile ?? null,
      server_name: pool.upstreamTls.serverName ?? null,
      cert: pool.upstreamTls.certFile ?? null,
      key: pool.upstreamTls.keyFile ?? null,
    },
    backends: pool.backends.map(({ url, name, weight }) => ({ url, name, weight })),
    strategy: pool.strategy,
    hash_key: formatHashKey(pool.hashKey),
    sticky: redactSticky(pool.sticky),
    health: {
      path: health.path ?? null,
      interval: formatDuration(health.intervalMs),
      timeout: formatDuration(health.timeoutMs),
      healthy_threshold: health.healthyThreshold,
      unhealthy_threshold: health.unhealthyThreshold,
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
    },
    proxy: {
      retries: proxy.retries,
      retry_non_idempotent: proxy.retryNonIdempotent,
      retry_budget_percent: proxy.retryBudgetPercent,
      retry_budget_min: proxy.retryBudgetMin,
    },
  };
}

function showHeaderRules(rules: HeaderRules): Record<string, unknown> {
  return { set: Object.fromEntries(rules.set), remove: [...rules.remove] };
}

/**
 * A route in the file shape, only the keys it sets, so it reads back as the same route (routes
 * hold no secrets; header values are shown as configured).
 */
function showRoute(route: RouteConfig): Record<string, unknown> {
  const { match } = route;
  const shown: Record<string, unknown> = { name: route.name };
  const matchShown: Record<string, unknown> = {};
  if (match.host !== undefined) matchShown.host = match.host;
  if (match.pathPrefix !== undefined) matchShown.path_prefix = match.pathPrefix;
  if (match.path !== undefined) matchShown.path = match.path;
  if (match.methods !== undefined) matchShown.methods = [...match.methods];
  if (match.headers.length > 0) matchShown.headers = Object.fromEntries(match.headers);
  if (Object.keys(matchShown).length > 0) shown.match = matchShown;
  if (route.pool !== undefined) shown.pool = route.pool;
  if (route.stripPrefix) shown.strip_prefix = true;
  if (hasRules(route.requestHeaders)) shown.request_headers = showHeaderRules(route.requestHeaders);
  if (hasRules(route.responseHeaders)) {
    shown.response_headers = showHeaderRules(route.responseHeaders);
  }
  if (route.redirect) shown.redirect = { ...route.redirect };
  if (route.respond) shown.respond = { ...route.respond };
  return shown;
}

function hasRules(rules: HeaderRules): boolean {
  return rules.set.length > 0 || rules.remove.length > 0;
}
