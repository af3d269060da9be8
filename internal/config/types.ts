/**
 * The validated, normalised configuration every other area reads.
 *
 * Durations are whole milliseconds, sizes whole bytes. The file shape uses snake_case keys
 * (`healthy_threshold`); this runtime shape uses camelCase.
 *
 * @module
 */

/**
 * The part of a request that consistent hashing maps to an upstream.
 *
 * - `ip`: the client IP (`SelectContext.clientIp`, which honours trusted proxies).
 * - `path`: the URL path without the query string, as sent (not percent-decoded), so
 *   cache-busting or tracking parameters do not scatter one resource over upstreams.
 * - `header`: the value of a request header; `name` is lower case.
 * - `cookie`: the value of a cookie from the `Cookie` header; `name` is case-sensitive.
 */
export type HashKey =
  | { source: "ip" }
  | { source: "path" }
  | { source: "header"; name: string }
  | { source: "cookie"; name: string };

/** Names accepted by `--strategy` / `"strategy"`. */
export const STRATEGY_NAMES = [
  "round_robin",
  "random",
  "weighted_round_robin",
  "least_connections",
  "power_of_two_choices",
  "least_time",
  "ip_hash",
  "consistent_hash",
] as const;
/** A load-balancing strategy name, e.g. `"round_robin"`. */
export type StrategyName = typeof STRATEGY_NAMES[number];

/** Log levels accepted by `--log-level`. */
export const LOG_LEVELS = ["debug", "info", "warn", "error"] as const;
/** A log level, lowest first. */
export type LogLevel = typeof LOG_LEVELS[number];

/** Log output formats accepted by `--log-format`. */
export const LOG_FORMATS = ["json", "pretty"] as const;
/** `json`: one JSON object per line; `pretty`: coloured human-readable lines. */
export type LogFormat = typeof LOG_FORMATS[number];

/** One upstream (backend server) as configured. */
export interface UpstreamConfig {
  /** Origin of the upstream, `http://host:port` or `https://host:port`, no path, no trailing slash. */
  url: string;
  /** Display name; defaults to the URL's `host:port`. */
  name: string;
  /** Relative share of traffic for weighted strategies, integer >= 1. @default 1 */
  weight: number;
}

/** Active health check settings (see `internal/health`). */
export interface HealthConfig {
  /** HTTP path probed with GET (2xx-3xx is healthy); `undefined` means a TCP connect check. */
  path: string | undefined;
  /** Time between probes of one upstream, ms (jittered by ±10%). @default 10000 */
  intervalMs: number;
  /** Time a probe may take before it counts as failed, ms. @default 2000 */
  timeoutMs: number;
  /** Consecutive successful probes to mark a down upstream up ("rise"). @default 2 */
  healthyThreshold: number;
  /** Consecutive failed probes to mark an up upstream down ("fall"). @default 3 */
  unhealthyThreshold: number;
}

/** Timeouts of the data plane and of shutdown. */
export interface TimeoutsConfig {
  /** Longest wait for an upstream's response headers, ms; a streaming body is not cut. @default 30000 */
  backendMs: number;
  /** Longest wait for in-flight requests on graceful shutdown before they are aborted, ms. @default 30000 */
  shutdownMs: number;
}

/** Reverse-proxy behaviour. */
export interface ProxyConfig {
  /** Send the client's `Host` header upstream (true) or the upstream URL's host (false). @default true */
  preserveHost: boolean;
  /** Extra attempts on another upstream after a connect failure. @default 1 */
  retries: number;
  /** Largest request body prefix kept in memory so a never-sent request can be replayed, bytes. @default 65536 */
  retryBufferBytes: number;
}

/** Logging output. */
export interface LoggingConfig {
  /** Lowest level written. @default "info" */
  level: LogLevel;
  /** Output format. @default "json" when stdout is not a TTY, else "pretty" */
  format: LogFormat;
}

/**
 * The admin listener: the admin API, Prometheus metrics, Kubernetes probes and the dashboard
 * (see `internal/admin`).
 */
export interface AdminConfig {
  /** Address the admin server listens on; a non-loopback one requires `token`. @default "127.0.0.1" */
  host: string;
  /** TCP port the admin server listens on; 0 disables the admin server. @default 8090 */
  port: number;
  /**
   * Bearer token the admin API requires, at least 16 visible ASCII characters; `undefined` when
   * none is set, which only a loopback `host` allows. @default undefined
   */
  token: string | undefined;
}

/** Sticky sessions: a signed cookie pins each client to the upstream that first served it. */
export interface StickyConfig {
  /** Name of the cookie, an RFC 6265 token. */
  cookie: string;
  /**
   * HMAC-SHA256 key of the cookie values, at least 16 characters; from `SLUICE_STICKY_SECRET`
   * or `sticky.secret`, never from argv.
   */
  secret: string;
  /**
   * True when no secret was configured and `secret` is random for this process: a restart then
   * invalidates every cookie, so clients are balanced afresh.
   */
  secretGenerated: boolean;
}

/** The whole validated configuration. */
export interface Config {
  /** Address the proxy listens on. @default "0.0.0.0" */
  host: string;
  /** TCP port the proxy listens on, 0 picks a free one. @default 8080 */
  port: number;
  /** Upstreams to balance across; may be empty (every request then gets 503). */
  backends: UpstreamConfig[];
  /** Load-balancing strategy. @default "round_robin" */
  strategy: StrategyName;
  /** What `consistent_hash` hashes (file key `hash_key`). @default { source: "ip" } */
  hashKey: HashKey;
  /** Sticky sessions over any strategy; `undefined` (off) unless a cookie name is set. */
  sticky: StickyConfig | undefined;
  /**
   * Proxies whose X-Forwarded-For names the client (file key `trusted_proxies`): CIDR blocks in
   * canonical form, a single address as `/32` or `/128`, e.g. `["10.0.0.0/8", "::1/128"]`.
   * @default []
   */
  trustedProxies: string[];
  /** Active health checks (file section `health`). */
  health: HealthConfig;
  /** Data-plane and shutdown timeouts (file section `timeouts`). */
  timeouts: TimeoutsConfig;
  /** Reverse-proxy behaviour (file section `proxy`). */
  proxy: ProxyConfig;
  /** Log level and format (file section `logging`). */
  logging: LoggingConfig;
  /** Admin API, metrics and dashboard listener (file section `admin`). */
  admin: AdminConfig;
}
