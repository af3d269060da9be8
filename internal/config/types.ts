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

/** Transports accepted by `--transport` / `proxy.transport`. */
export const TRANSPORT_NAMES = ["http1", "fetch"] as const;
/** How the proxy talks to upstreams: `http1` (pooled HTTP/1.1 over `Deno.connect`) or `fetch`. */
export type TransportName = typeof TRANSPORT_NAMES[number];

/** Log levels accepted by `--log-level`. */
export const LOG_LEVELS = ["debug", "info", "warn", "error"] as const;
/** A log level, lowest first. */
export type LogLevel = typeof LOG_LEVELS[number];

/** Log output formats accepted by `--log-format`. */
export const LOG_FORMATS = ["json", "pretty"] as const;

/**
 * Client listeners: `http1`, Sluice's own HTTP/1.1 server over `Deno.listen` (client timeouts,
 * connection cap, WebSocket tunnels); `serve`, `Deno.serve` (hyper; TLS with HTTP/2 later).
 */
export const LISTENER_NAMES = ["serve", "http1"] as const;
/** A client listener name (`--listener`). */
export type ListenerName = typeof LISTENER_NAMES[number];
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
  /**
   * Longest wait for an upstream's response headers, ms, per try (each retry gets the whole
   * time again); a streaming body is not cut by it. @default 30000
   */
  backendMs: number;
  /**
   * Longest wait for a connection to an upstream to open, ms (file key `timeouts.connect`;
   * HAProxy `timeout connect`). Applies to the `http1` transport. @default 5000
   */
  connectMs: number;
  /**
   * Longest gap between two chunks of a response body, ms (file key `timeouts.idle`); a stalled
   * upstream is cut off after it. 0 turns it off. @default 60000
   */
  idleMs: number;
  /** Longest wait for in-flight requests on graceful shutdown before they are aborted, ms. @default 30000 */
  shutdownMs: number;
  /**
   * The whole request head must arrive within this, ms, or the client gets 408 and the
   * connection closes (file key `timeouts.client_header`; nginx `client_header_timeout`).
   * `listener: http1` only. @default 10000
   */
  clientHeaderMs: number;
  /**
   * Longest wait for the next bytes of a request body, ms, then 408 (file key
   * `timeouts.client_body`; nginx `client_body_timeout`). `listener: http1` only. @default 60000
   */
  clientBodyMs: number;
  /**
   * An idle keep-alive client connection is closed after this, ms (file key
   * `timeouts.client_idle`; nginx `keepalive_timeout`). `listener: http1` only. @default 60000
   */
  clientIdleMs: number;
  /**
   * A write of a response to the client that makes no progress for this long closes the
   * connection, ms; the request is logged as 499, a client abort (file key
   * `timeouts.client_send`; nginx `send_timeout`, HAProxy `timeout client`). `listener: http1`
   * only. @default 60000
   */
  clientSendMs: number;
  /**
   * An upgrade tunnel (WebSocket) with no bytes either way for this long is closed, ms (file
   * key `timeouts.tunnel`; HAProxy `timeout tunnel`). `listener: http1` only. @default 3600000
   */
  tunnelMs: number;
}

/** Reverse-proxy behaviour. */
export interface ProxyConfig {
  /**
   * How requests reach upstreams: `http1`, Sluice's pooled keep-alive HTTP/1.1 client, or
   * `fetch`, Deno's fetch (see the README for its traits). @default "http1"
   */
  transport: TransportName;
  /** Send the client's `Host` header upstream (true) or the upstream URL's host (false). @default true */
  preserveHost: boolean;
  /**
   * Extra attempts, each on another upstream, after a failed try, 0..10. A request that may
   * have reached an upstream is retried only when its method is idempotent (RFC 9110 §9.2.2),
   * unless `retryNonIdempotent`. @default 1
   */
  retries: number;
  /**
   * Also retry non-idempotent requests (POST, PATCH, …) that may have reached an upstream, which
   * may then act on them twice (file key `retry_non_idempotent`). @default false
   */
  retryNonIdempotent: boolean;
  /**
   * Put the failure's details (upstream, transport error) in 502/503/504 bodies too, not only in
   * the log (file key `verbose_errors`). For debugging: they tell clients about the network
   * behind Sluice. @default false
   */
  verboseErrors: boolean;
  /**
   * Retry budget: retries in flight may be at most this percentage of requests in flight,
   * 0..100, fractions allowed (file key `retry_budget_percent`; Envoy `budget_percent`).
   * @default 20
   */
  retryBudgetPercent: number;
  /**
   * Retries in flight always allowed, whatever the budget, integer >= 0 (file key
   * `retry_budget_min`; Envoy `min_retry_concurrency`). @default 3
   */
  retryBudgetMin: number;
  /** Largest request body prefix kept in memory so a never-sent request can be replayed, bytes. @default 65536 */
  retryBufferBytes: number;
  /**
   * Idle keep-alive connections kept per upstream, integer 0..65536 (file key `keepalive`;
   * nginx upstream `keepalive`). 0 turns keep-alive to upstreams off: every request opens a new
   * connection, closed after its response. http1 transport only. @default 256
   */
  keepalive: number;
  /**
   * Longest idle time of a pooled upstream connection before Sluice closes it, ms, > 0 (file key
   * `keepalive_timeout`; nginx upstream `keepalive_timeout`, HAProxy `pool-purge-delay`). Keep
   * it under the upstreams' own keep-alive timeout so Sluice closes first. http1 transport
   * only. @default 4000
   */
  keepaliveTimeoutMs: number;
  /**
   * Requests sent over one upstream connection before it is closed, integer >= 1 (file key
   * `keepalive_requests`; nginx `keepalive_requests`). http1 transport only. @default 1000
   */
  keepaliveRequests: number;
}

/**
 * Passive health checks (outlier detection): upstreams that fail real requests are ejected
 * for a while (file section `passive`; Envoy outlier detection).
 */
export interface PassiveHealthConfig {
  /** Consecutive failed requests that eject an upstream, integer >= 0; 0 turns it off. @default 5 */
  failures: number;
  /**
   * Base ejection time, ms (file key `ejection_time`): how long an upstream ejected once sits
   * out; repeated ejections make it longer, up to `maxEjectionTimeMs` (Envoy
   * `base_ejection_time`). @default 30000
   */
  ejectionTimeMs: number;
  /**
   * Longest ejection, ms, >= `ejectionTimeMs` (file key `max_ejection_time`). @default 300000,
   * or `ejectionTimeMs` when that is longer and this is not set
   */
  maxEjectionTimeMs: number;
  /**
   * Most upstreams ejected at once, as a percentage of the pool, integer 0..100 (file key
   * `max_ejection_percent`). As in Envoy, at least one upstream may always be ejected.
   * @default 10
   */
  maxEjectionPercent: number;
}

/** Limits on concurrency, queueing, request rate and request size (file section `limits`). */
export interface LimitsConfig {
  /**
   * Requests in flight to one upstream at most, integer >= 0 (file key
   * `max_connections_per_upstream`); 0 is unlimited. @default 0
   */
  maxConnectionsPerUpstream: number;
  /**
   * Requests that may wait when every upstream is at `maxConnectionsPerUpstream`, integer >= 0
   * (file key `queue_size`); 0 rejects them at once. @default 100
   */
  queueSize: number;
  /** Longest wait in that queue, ms (file key `queue_timeout`). @default 5000 */
  queueTimeoutMs: number;
  /**
   * Slow start, ms (file key `slow_start`): a new or recovered upstream's share of traffic ramps
   * up over this window. 0 turns it off. @default 0
   */
  slowStartMs: number;
  /** Largest request body accepted, bytes (file key `max_body_size`); 0 is unlimited. @default 0 */
  maxBodyBytes: number;
  /**
   * Requests per second allowed per client IP, a number >= 0, fractions allowed (e.g. 0.5)
   * (file key `rate_limit`); 0 turns rate limiting off. @default 0
   */
  rateLimitRps: number;
  /**
   * Requests a client IP may send at once, the token bucket's size, integer >= 1 (file key
   * `rate_burst`). @default max(1, ceil(rateLimitRps))
   */
  rateBurst: number;
  /** Longest request target (path and query), bytes (file key `max_url_length`). @default 8192 */
  maxUrlBytes: number;
  /** Largest total size of the request headers, bytes (file key `max_header_size`). @default 32768 */
  maxHeaderBytes: number;
  /**
   * Client connections open at once (file key `limits.max_client_connections`); past it new
   * connections get a 503 and are closed. `listener: http1` only. @default 10000
   */
  maxClientConnections: number;
}

/** Logging output. */
export interface LoggingConfig {
  /** Lowest level written. @default "info" */
  level: LogLevel;
  /** Output format. @default "json" when stdout is not a TTY, else "pretty" */
  format: LogFormat;
  /**
   * Where the access log goes (file key `access_log`): `"stdout"` (with the other logs),
   * `"off"`, or a file path, appended to and reopened on SIGUSR1 (logrotate). @default "stdout"
   */
  accessLog: string;
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
  /**
   * `Host` values the admin server accepts from requests without the token, besides
   * `localhost`, `127.0.0.1` and `[::1]` with its port (file key `allowed_hosts`): `name`
   * (any port) or `name:port`, lower case. Guards against DNS rebinding. @default []
   */
  allowedHosts: string[];
}

/**
 * TLS towards `https://` upstreams (file section `upstream_tls`; nginx `proxy_ssl_*`, Caddy
 * `transport http { tls_* }`). Top level for now: one setting for every upstream. Files are
 * PEM; their contents are read by `loadConfig` into `pem`.
 */
export interface UpstreamTlsConfig {
  /** PEM bundle of CA certificates trusted besides the system's roots (file key `ca`). */
  caFile: string | undefined;
  /**
   * Name sent in SNI and checked against the upstream's certificate instead of the URL's host
   * (file key `server_name`); `http1` transport only, and not with a client certificate.
   */
  serverName: string | undefined;
  /** Client certificate chain for mutual TLS, PEM (file key `cert`); set with `keyFile`. */
  certFile: string | undefined;
  /** Private key of `certFile`, PEM (file key `key`). */
  keyFile: string | undefined;
  /**
   * The files' contents, filled by `loadConfig` after checking them (certificates parse, the
   * key matches the certificate); `undefined` from `validateConfig` alone.
   */
  pem: UpstreamTlsPem | undefined;
}

/**
 * TLS termination on the proxy listener (file section `tls`): HTTPS with HTTP/2 and HTTP/1.1
 * by ALPN. PEM files; their contents are read by `loadConfig` into `pem`.
 */
export interface TlsConfig {
  /** Certificate chain, leaf first, PEM (file key `cert`). */
  certFile: string;
  /** Private key of the certificate, PEM (file key `key`). */
  keyFile: string;
  /**
   * A plain-HTTP port that answers every request with 308 to the same URL on HTTPS (file key
   * `redirect_http_port`); `undefined` for none.
   */
  redirectHttpPort: number | undefined;
  /** The files' contents, checked (the key matches); `undefined` from `validateConfig` alone. */
  pem: { cert: string; key: string } | undefined;
}

/** Compression of responses to clients (file section `compression`; Caddy `encode`). */
export interface CompressionConfig {
  /** Compress at all (file key `enabled`, `--compression`). @default false */
  enabled: boolean;
  /** Media types compressed, lower case; `text/*` matches a whole type. */
  types: string[];
  /** Bodies with a known length below this are not compressed, bytes (file key `min_size`). @default 1024 */
  minSizeBytes: number;
  /** Codings offered, preferred first: `br`, `gzip`. @default ["br", "gzip"] */
  algorithms: ("br" | "gzip")[];
}

/**
 * DNS service discovery of `dns://` and `dns+srv://` backends (file section `discovery`).
 */
export interface DiscoveryConfig {
  /** Shortest time between two lookups of a name, ms (file key `min_interval`). @default 5000 */
  minIntervalMs: number;
  /** Longest time between two lookups of a name, ms (file key `max_interval`). @default 300000 */
  maxIntervalMs: number;
  /**
   * The DNS server asked, `{ ipAddr, port }` (file key `name_server`, `"10.0.0.2:53"`);
   * `undefined` uses the system's resolver configuration.
   */
  nameServer: { ipAddr: string; port: number } | undefined;
}

/** PEM text of the `upstream_tls` files. */
export interface UpstreamTlsPem {
  /** CA certificates, one PEM bundle. */
  ca: string | undefined;
  /** Client certificate chain. */
  cert: string | undefined;
  /** Client private key. */
  key: string | undefined;
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
  /** The client listener (file key `listener`). @default "http1" */
  listener: ListenerName;
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
  /** Reverse-proxy behaviour and retries (file section `proxy`). */
  proxy: ProxyConfig;
  /** Passive health checks, i.e. outlier detection (file section `passive`). */
  passive: PassiveHealthConfig;
  /** Concurrency, queue, rate and size limits (file section `limits`). */
  limits: LimitsConfig;
  /** Log level and format (file section `logging`). */
  logging: LoggingConfig;
  /** Admin API, metrics and dashboard listener (file section `admin`). */
  admin: AdminConfig;
  /**
   * Pools declared in the file's `pools` section, each with its settings resolved (a setting a
   * pool leaves out is the top-level one). The top-level `backends` are the pool `default`,
   * which is not listed here (see `resolveRouting`). @default []
   */
  pools: PoolConfig[];
  /** Routes of the file's `routes` section, first match wins. @default [] (one catch-all to `default`) */
  routes: RouteConfig[];
  /** TLS towards `https://` upstreams (file section `upstream_tls`). */
  upstreamTls: UpstreamTlsConfig;
  /** TLS termination on the proxy listener (file section `tls`); `undefined`: plain HTTP. */
  tls: TlsConfig | undefined;
  /** Compression of responses to clients (file section `compression`). */
  compression: CompressionConfig;
  /** DNS service discovery of `dns://` and `dns+srv://` backends (file section `discovery`). */
  discovery: DiscoveryConfig;
}

/** The per-pool subset of `limits` (file keys as in `limits`). */
export type PoolLimitsConfig = Pick<
  LimitsConfig,
  "maxConnectionsPerUpstream" | "queueSize" | "queueTimeoutMs" | "slowStartMs"
>;

/** The per-pool subset of `proxy` (file keys as in `proxy`). */
export type PoolProxyConfig = Pick<
  ProxyConfig,
  "retries" | "retryNonIdempotent" | "retryBudgetPercent" | "retryBudgetMin"
>;

/**
 * One pool of upstreams with its own balancing, health checks and limits (file section
 * `pools.<name>`; HAProxy `backend`, Traefik service, nginx `upstream`).
 */
export interface PoolConfig {
  /** The pool's name, `[A-Za-z0-9_.-]+`; `default` is the top-level `backends`. */
  name: string;
  /** Upstreams of the pool; may be empty (its routes then answer 503). */
  backends: UpstreamConfig[];
  /** Load-balancing strategy of this pool. */
  strategy: StrategyName;
  /** What `consistent_hash` hashes in this pool. */
  hashKey: HashKey;
  /** Sticky sessions of this pool, `undefined` when off. */
  sticky: StickyConfig | undefined;
  /** Active health checks of this pool's upstreams. */
  health: HealthConfig;
  /** Passive health checks (outlier detection) of this pool. */
  passive: PassiveHealthConfig;
  /** Connection limit, queue and slow start of this pool. */
  limits: PoolLimitsConfig;
  /** Retries and retry budget of this pool. */
  proxy: PoolProxyConfig;
  /** TLS towards this pool's `https://` upstreams (inherited key by key from the top level). */
  upstreamTls: UpstreamTlsConfig;
}

/** Header edits of a route: `set` replaces (or adds) a header, `remove` deletes it. */
export interface HeaderRules {
  /** Headers to set, names lower case, in file order. */
  set: [name: string, value: string][];
  /** Header names (lower case) to remove. */
  remove: string[];
}

/**
 * What a route matches; every condition given must hold, none given matches every request.
 * Paths are compared as the client sent them (not percent-decoded).
 */
export interface RouteMatch {
  /** Host without port, lower case: `api.example.com`, or `*.example.com` for any subdomain. */
  host: string | undefined;
  /** Path prefix on whole segments (`/api` matches `/api` and `/api/x`, not `/apix`). */
  pathPrefix: string | undefined;
  /** Exact path (the query is not part of it). */
  path: string | undefined;
  /** Request methods, as written (methods are case-sensitive, RFC 9110 §9.1). */
  methods: string[] | undefined;
  /** Request headers that must have exactly these values; names lower case. */
  headers: [name: string, value: string][];
}

/** A route: a match, then one target: a pool, a redirect or a fixed response. */
export interface RouteConfig {
  /** Unique name (metrics label, logs, admin API); `route<N>` (1-based) when not given. */
  name: string;
  /** Conditions. */
  match: RouteMatch;
  /** Pool the request goes to. */
  pool: string | undefined;
  /** Remove `match.pathPrefix` from the path sent upstream (the query is kept, `/` at least). */
  stripPrefix: boolean;
  /** Edits of the headers sent upstream, after Sluice's forwarding headers. */
  requestHeaders: HeaderRules;
  /** Edits of the headers sent to the client. */
  responseHeaders: HeaderRules;
  /** Redirect: `to` with `{path}`, `{query}` (with its `?`, or empty) and `{host}`. */
  redirect: { to: string; status: number } | undefined;
  /** A fixed response. */
  respond: { status: number; body: string } | undefined;
}
