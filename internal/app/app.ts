/**
 * The application: wires pool, health checks, strategy, proxy, middleware, listener and the
 * admin server from a `Config`, applies reloads, and runs until one AbortSignal asks for a
 * graceful shutdown.
 *
 * @module
 */

import { getLogger } from "@logtape/logtape";
import type { ControlPlane, NewUpstream, ReloadOutcome } from "../admin/control_plane.ts";
import { type AdminServer, startAdminServer, type StaticAsset } from "../admin/server.ts";
import type { RouteView, StatusView } from "../admin/views.ts";
import type { Strategy } from "../balancer/mod.ts";
import { DEFAULT_POOL, type OwnListener, redactConfig, resolveRouting } from "../config/mod.ts";
import type { Config } from "../config/types.ts";
import { createMetrics, registerTlsMetrics, type SluiceMetrics, Traffic } from "../metrics/mod.ts";
import { type AccessLogWriter, type Handler, RateLimiter } from "../middleware/mod.ts";
import type { UpstreamTlsOptions } from "../net/mod.ts";
import { Pool, type Upstream } from "../pool/mod.ts";
import { FetchTransport, Http1Transport, type Transport } from "../proxy/mod.ts";
import {
  compileRoutes,
  describeMatch,
  describeTarget,
  type RouteTable,
  type RoutingTable,
} from "../router/mod.ts";
import { Http1Listener, type Listener, ServeListener, startHttpsRedirect } from "../server/mod.ts";
import { X509Certificate } from "node:crypto";
import { PoolRuntime } from "./pool_runtime.ts";
import { requestChain } from "./request_chain.ts";
import { VERSION } from "./version.ts";

const logger = getLogger(["sluice", "app"]);

/**
 * The transport `config.proxy.transport` names: `http1` with `timeouts.connect` and the
 * `proxy.keepalive*` pool settings, or `fetch`
 * (which keeps the client's Host when `proxy.preserve_host`), with the `upstream_tls` settings.
 * @param config the configuration (its `upstreamTls.pem` read by `loadConfig`).
 * @param options `pooled: false` for health checks: every probe opens (and handshakes) a new
 *   connection, as a new client would.
 * @returns a new transport; close it when done.
 */
export function createTransport(
  config: Config,
  options: { pooled?: boolean; tls?: UpstreamTlsOptions } = {},
): Transport {
  const tls = options.tls ?? upstreamTlsOptions(config);
  const pooled = options.pooled ?? true;
  return config.proxy.transport === "http1"
    ? new Http1Transport({
      connectTimeoutMs: config.timeouts.connectMs,
      maxIdlePerUpstream: config.proxy.keepalive,
      idleTimeoutMs: pooled ? config.proxy.keepaliveTimeoutMs : 0,
      maxRequestsPerConnection: config.proxy.keepaliveRequests,
      tls,
    })
    : new FetchTransport({
      allowHost: config.proxy.preserveHost,
      tls,
      ...(pooled ? {} : { poolMaxIdlePerHost: 0 }),
    });
}

/** The PEM text and SNI name of `upstream_tls`, as the transports and probes take them. */
function upstreamTlsOptions(config: Config): UpstreamTlsOptions {
  const { serverName, pem } = config.upstreamTls;
  return { ca: pem?.ca, serverName, cert: pem?.cert, key: pem?.key };
}

/** After the grace period's hard stop, connections still open this much later are cut, ms. */
const HARD_STOP_CLOSE_MS = 1000;

/** Options of {@linkcode App}: replaceable parts, for the CLI, tests and embedding. */
export interface AppOptions {
  /** Transport to upstreams. @default the one `config.proxy.transport` names */
  transport?: Transport;
  /**
   * Loads the configuration again for a reload (the CLI re-reads flags, environment and file).
   * Without it, reloads are refused.
   */
  reloadConfig?: () => Promise<{ config: Config; file: string | undefined }>;
  /** Applies a changed logging section on reload. @default logging is left as it is */
  reconfigureLogging?: (logging: Config["logging"]) => Promise<void>;
  /**
   * Where the access log writes its JSON lines itself (see `accessLogLines`), asked per entry.
   * @default every entry goes through LogTape's `sluice.access` logger
   */
  accessLogLines?: () => AccessLogWriter | undefined;
  /** Dashboard files served by the admin server. @default none */
  dashboardAssets?: ReadonlyMap<string, StaticAsset>;
}

/**
 * A running Sluice. Construct from a validated config, `start(signal)`, and await `finished`.
 *
 * Shutdown (when `signal` aborts): readiness goes false, health checks stop, the listener stops
 * accepting and in-flight requests finish; those still running after
 * `config.timeouts.shutdownMs` are aborted. The admin server closes last, so `/readyz` answers
 * 503 during the drain. Then `finished` resolves.
 *
 * @example
 * ```ts
 * const controller = new AbortController();
 * const app = new App(config);
 * app.start(controller.signal);
 * Deno.addSignalListener("SIGTERM", () => controller.abort());
 * await app.finished;
 * ```
 */
export class App implements ControlPlane {
  /** Whole-proxy totals and recent traffic. */
  readonly traffic: Traffic = new Traffic();
  readonly #options: AppOptions;
  readonly #transport: Transport;
  /** Sends HTTP health checks: the proxy's transport kind and TLS settings, never pooled. */
  readonly #probeTransport: Transport;
  readonly #metrics: SluiceMetrics;
  readonly #hardStop = new AbortController();
  readonly #finished = Promise.withResolvers<void>();
  readonly #startedAt = Date.now();
  #config: Config;
  /** Running pools by name; a reload adds, reconfigures and removes them. */
  #pools = new Map<string, PoolRuntime>();
  /** Routes and pool handlers, swapped whole on reload (see `RoutingTable`). */
  #routing: RoutingTable;
  #handler: Handler;
  #server: Listener | undefined;
  #admin: AdminServer | undefined;
  /** The plain-HTTP listener of `tls.redirect_http_port`. */
  #redirect: { shutdown(): Promise<void> } | undefined;
  /** Expiry of the certificate the proxy listener serves, ms since the epoch. */
  #certificateNotAfter: number | undefined;
  #shuttingDown = false;
  #reloading: Promise<void> = Promise.resolve();
  #rateLimiter: { rate: number; burst: number; limiter: RateLimiter } | undefined;
  /** The sticky secret generated for this process, kept across reloads. */
  #generatedSecret: string | undefined;

  /**
   * @param config a validated configuration.
   * @param options replaceable parts.
   */
  constructor(config: Config, options: AppOptions = {}) {
    config = this.#withProcessSecret(config);
    this.#config = config;
    this.#options = options;
    this.#metrics = createMetrics({
      pools: () => this.#pools.values(),
      traffic: this.traffic,
      clientConnections: () => this.#server?.stats(),
    });
    registerTlsMetrics(this.#metrics.registry, () => this.#certificateNotAfter);
    this.#transport = options.transport ?? createTransport(config);
    this.#probeTransport = createTransport(config, { pooled: false });
    const { pools, routes } = resolveRouting(config);
    for (const poolConfig of pools) {
      this.#pools.set(poolConfig.name, new PoolRuntime(poolConfig, config, this.#poolDeps));
    }
    const compiled = compileRoutes(routes, { pools: pools.map((p) => p.name) });
    for (const warning of compiled.warnings) logger.warn("Configuration: {warning}", { warning });
    this.#routing = this.#routingTable(compiled.table);
    this.#handler = this.#createHandler(config);
  }

  get #poolDeps() {
    return {
      transport: this.#transport,
      probeTransport: this.#probeTransport,
      upstreamTls: upstreamTlsOptions(this.#config),
      createTransports: (tls: UpstreamTlsOptions) => ({
        transport: createTransport(this.#config, { tls }),
        probeTransport: createTransport(this.#config, { tls, pooled: false }),
      }),
      metrics: this.#metrics,
      shutdownSignal: this.#hardStop.signal,
      ownListeners: () => this.#ownListeners(),
    };
  }

  /** The proxy and admin listeners, as bound once started, else as configured. */
  #ownListeners(): OwnListener[] {
    const config = this.#config;
    return [
      {
        what: "the proxy",
        host: this.#server?.addr.hostname ?? config.host,
        port: this.#server?.addr.port ?? config.port,
      },
      {
        what: "the admin server",
        host: this.#admin?.addr.hostname ?? config.admin.host,
        port: this.#admin?.addr.port ?? config.admin.port,
      },
    ];
  }

  #routingTable(routes: RouteTable): RoutingTable {
    const handlers = new Map<string, Handler>();
    for (const [name, runtime] of this.#pools) handlers.set(name, runtime.handler);
    return Object.freeze({ routes, pools: handlers });
  }

  /**
   * The pool `default` (the top-level backends, `--backends`): what `/api/upstreams` and the
   * single-pool views show. An empty pool when the configuration has no pool `default`.
   */
  get pool(): Pool {
    return this.#pools.get(DEFAULT_POOL)?.pool ?? NO_POOL;
  }

  /** Every running pool, by name, in configuration order. */
  get pools(): ReadonlyMap<string, PoolRuntime> {
    return this.#pools;
  }

  /** The route table in force (with hit counts). */
  get routes(): RouteTable {
    return this.#routing.routes;
  }

  /** @inheritdoc */
  routeViews(): RouteView[] {
    return this.#routing.routes.routes.map((route) => ({
      name: route.name,
      match: describeMatch(route.config),
      target: describeTarget(route.config),
      pool: route.pool ?? null,
      hits: route.hits,
    }));
  }

  /** Resolves when the shutdown has completed (never rejects). */
  get finished(): Promise<void> {
    return this.#finished.promise;
  }

  /** Address the proxy listens on. @throws {Error} before `start`. */
  get addr(): Deno.NetAddr {
    if (!this.#server) throw new Error("App is not started");
    return this.#server.addr;
  }

  /** Address of the admin server, `undefined` when it is disabled (port 0) or not started. */
  get adminAddr(): Deno.NetAddr | undefined {
    return this.#admin?.addr;
  }

  /** The strategy of the pool `default` (the first pool's when there is none). */
  get strategy(): Strategy {
    const runtime = this.#pools.get(DEFAULT_POOL) ?? this.#pools.values().next().value;
    return runtime?.strategy ?? NO_STRATEGY;
  }

  /** The running configuration. */
  get config(): Readonly<Config> {
    return this.#config;
  }

  /**
   * Starts health checks, the proxy listener and the admin server; requests are served from the
   * return on.
   * @param signal aborting it starts the graceful shutdown.
   * @throws {Deno.errors.AddrInUse} when a port is taken (everything started is stopped again).
   * @throws {Error} when called twice.
   */
  start(signal: AbortSignal): void {
    if (this.#server) throw new Error("App is already started");
    const config = this.#config;
    for (const runtime of this.#pools.values()) runtime.start();
    try {
      const handler: Handler = (ctx) => this.#handler(ctx);
      const tls = listenerTls(config);
      this.#server = config.listener === "http1"
        ? new Http1Listener(handler, {
          hostname: config.host,
          port: config.port,
          headerTimeoutMs: config.timeouts.clientHeaderMs,
          bodyTimeoutMs: config.timeouts.clientBodyMs,
          idleTimeoutMs: config.timeouts.clientIdleMs,
          sendTimeoutMs: config.timeouts.clientSendMs,
          tunnelTimeoutMs: config.timeouts.tunnelMs,
          maxConnections: config.limits.maxClientConnections,
          onAcceptError: this.#metrics.observeAcceptError,
          tls,
        })
        : new ServeListener(handler, {
          hostname: config.host,
          port: config.port,
          onAcceptError: this.#metrics.observeAcceptError,
          tls,
        });
      this.#certificateNotAfter = tls && certificateNotAfter(tls.cert);
      const redirectPort = config.tls?.redirectHttpPort;
      if (redirectPort !== undefined) {
        this.#redirect = startHttpsRedirect({
          hostname: config.host,
          port: redirectPort,
          httpsPort: this.#server.addr.port,
        });
      }
      if (config.admin.port !== 0) {
        this.#admin = startAdminServer(this, {
          hostname: config.admin.host,
          port: config.admin.port,
          token: config.admin.token,
          allowedHosts: config.admin.allowedHosts,
          ...(this.#options.dashboardAssets ? { assets: this.#options.dashboardAssets } : {}),
        });
      }
    } catch (error) {
      for (const runtime of this.#pools.values()) void runtime.stop();
      void this.#server?.shutdown();
      void this.#redirect?.shutdown();
      this.#transport.close();
      this.#probeTransport.close();
      throw error;
    }
    const { hostname, port } = this.#server.addr;
    logger.info(
      "Sluice listening on {scheme}://{address}:{port} ({count} upstream(s), {strategy}; {pools} pool(s), {routes} route(s))",
      {
        scheme: config.tls ? "https" : "http",
        address: hostname,
        port,
        count: this.pool.size,
        strategy: this.strategy.name,
        pools: this.#pools.size,
        routes: this.#routing.routes.routes.length,
      },
    );
    if ([...this.#pools.values()].every((runtime) => runtime.pool.size === 0)) {
      logger.warn(
        "No upstream is configured: every request gets 503 and /readyz says not ready until " +
          "upstreams are given with --backends URL[,URL...] (SLUICE_BACKENDS, backends in the " +
          "config file) or added with POST /api/upstreams",
      );
    }
    if (signal.aborted) void this.#shutdown();
    else signal.addEventListener("abort", () => void this.#shutdown(), { once: true });
  }

  /**
   * Readiness: started, not shutting down, and every pool that a route sends requests to has
   * an available upstream (a configuration without routes: the pool `default`). Redirects and
   * fixed responses need no pool.
   */
  ready(): boolean {
    if (this.#server === undefined || this.#shuttingDown) return false;
    const { routes, pools } = this.#routing;
    for (const route of routes.routes) {
      if (route.pool === undefined || !pools.has(route.pool)) continue;
      if (this.#pools.get(route.pool)!.pool.available().length === 0) return false;
    }
    return true;
  }

  /** @inheritdoc */
  status(): StatusView {
    const traffic = this.traffic;
    const recent = traffic.stats.snapshot();
    const listenerStats = this.#server?.stats();
    return {
      version: VERSION,
      startedAt: new Date(this.#startedAt).toISOString(),
      uptimeSeconds: Math.floor((Date.now() - this.#startedAt) / 1000),
      strategy: [...new Set([...this.#pools.values()].map((p) => p.strategy.name))].join(", ") ||
        this.strategy.name,
      ready: this.ready(),
      shuttingDown: this.#shuttingDown,
      // Over every pool; `/api/pools` has them pool by pool.
      upstreams: this.#upstreamTotals(),
      totals: {
        requests: traffic.requests,
        errors: traffic.errors,
        inFlight: traffic.inFlight,
        retries: traffic.retries,
      },
      clients: {
        listener: this.#config.listener,
        connections: listenerStats?.connections ?? 0,
        refused: listenerStats?.refused ?? 0,
        tunnels: listenerStats?.tunnels ?? 0,
      },
      tlsCertificateExpiresAt: this.#certificateNotAfter === undefined
        ? null
        : new Date(this.#certificateNotAfter).toISOString(),
      rps: recent.rps,
      p99Ms: recent.p99Ms,
    };
  }

  #upstreamTotals(): { total: number; available: number } {
    let total = 0;
    let available = 0;
    for (const runtime of this.#pools.values()) {
      total += runtime.pool.size;
      available += runtime.pool.available().length;
    }
    return { total, available };
  }

  /** @inheritdoc */
  redactedConfig(): Record<string, unknown> {
    return redactConfig(this.#config);
  }

  /**
   * Adds an upstream to the pool `default`.
   * @throws {TypeError} when the URL is not an http(s) origin or the weight is invalid.
   * @throws {RangeError} when an upstream with this URL exists, or there is no pool `default`.
   */
  addUpstream(input: NewUpstream): Upstream {
    return this.addUpstreamTo(DEFAULT_POOL, input);
  }

  /**
   * Adds an upstream to a pool; it takes traffic after its first passing health check.
   * @param pool the pool's name.
   * @param input URL, name and weight.
   * @throws {TypeError} when the URL is not an http(s) origin or the weight is invalid.
   * @throws {RangeError} when the pool does not exist or has an upstream with this URL.
   */
  addUpstreamTo(pool: string, input: NewUpstream): Upstream {
    const runtime = this.#pools.get(pool);
    if (!runtime) throw new RangeError(`there is no pool ${pool}`);
    return runtime.addUpstream(input);
  }

  /** Drains and removes an upstream of the pool `default`; false when the id is unknown. */
  removeUpstream(id: string): boolean {
    return this.removeUpstreamFrom(DEFAULT_POOL, id);
  }

  /**
   * Starts draining an upstream of a pool; it is removed once its requests have finished.
   * @returns false when the pool or the id is unknown.
   */
  removeUpstreamFrom(pool: string, id: string): boolean {
    return this.#pools.get(pool)?.removeUpstream(id) ?? false;
  }

  /** @inheritdoc */
  async metrics(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.#metrics.contentType, body: await this.#metrics.render() };
  }

  /** @inheritdoc */
  reload(): Promise<ReloadOutcome> {
    // One reload at a time: each waits for the one before it, and shutdown waits for the last.
    const run = this.#reloading.then(() => this.#reload(), () => this.#reload());
    this.#reloading = run.then(() => {}, () => {});
    return run;
  }

  async #reload(): Promise<ReloadOutcome> {
    if (!this.#options.reloadConfig) throw new Error("this Sluice cannot reload its configuration");
    if (this.#shuttingDown) throw new Error("Sluice is shutting down");
    const { config: loaded, file } = await this.#options.reloadConfig();
    const next = this.#withProcessSecret(loaded);
    if (this.#shuttingDown) throw new Error("Sluice is shutting down");
    if (file === undefined) {
      throw new Error("Sluice was started without --config: there is no file to reload");
    }
    const outcome: ReloadOutcome = { file, applied: [], restartRequired: [] };
    const previous = this.#config;
    const changed = (key: keyof Config) =>
      JSON.stringify(previous[key]) !== JSON.stringify(next[key]);
    for (const key of ["host", "port", "listener"] as const) {
      if (previous[key] !== next[key]) outcome.restartRequired.push(key);
    }
    // The listener reads its timeouts and connection cap when it starts.
    const { timeouts: was, limits: wasLimits } = previous;
    for (
      const [key, changedNow] of [
        ["timeouts.client_header", was.clientHeaderMs !== next.timeouts.clientHeaderMs],
        ["timeouts.client_body", was.clientBodyMs !== next.timeouts.clientBodyMs],
        ["timeouts.client_idle", was.clientIdleMs !== next.timeouts.clientIdleMs],
        ["timeouts.client_send", was.clientSendMs !== next.timeouts.clientSendMs],
        ["timeouts.tunnel", was.tunnelMs !== next.timeouts.tunnelMs],
        // One transport, built at start, serves every pool: its kind, connect timeout and
        // keep-alive pool stay as they were.
        ["proxy.transport", previous.proxy.transport !== next.proxy.transport],
        ["timeouts.connect", was.connectMs !== next.timeouts.connectMs],
        ["proxy.keepalive", previous.proxy.keepalive !== next.proxy.keepalive],
        [
          "proxy.keepalive_timeout",
          previous.proxy.keepaliveTimeoutMs !== next.proxy.keepaliveTimeoutMs,
        ],
        [
          "proxy.keepalive_requests",
          previous.proxy.keepaliveRequests !== next.proxy.keepaliveRequests,
        ],
        [
          "limits.max_client_connections",
          wasLimits.maxClientConnections !== next.limits.maxClientConnections,
        ],
      ] as const
    ) if (changedNow) outcome.restartRequired.push(key);
    if (changed("admin")) {
      outcome.restartRequired.push("admin");
    }
    if (changed("upstreamTls")) {
      outcome.restartRequired.push("upstream_tls");
    }
    this.#reloadTls(previous, next, outcome);
    await this.#reloadRouting(next, outcome);
    const trustChanged = changed("trustedProxies");
    if (trustChanged) {
      outcome.applied.push(`trusted proxies: ${next.trustedProxies.join(", ") || "none"}`);
    }
    if (changed("compression")) outcome.applied.push("compression settings applied");
    if (trustChanged || changed("limits") || changed("health") || changed("compression")) {
      // Requests in flight keep the chain they started with; new ones get the new one.
      this.#handler = this.#createHandler(next);
      outcome.applied.push("proxy settings applied to new requests");
    }
    if (changed("logging")) {
      await this.#options.reconfigureLogging?.(next.logging);
      outcome.applied.push("logging settings applied");
    }
    outcome.applied = [...new Set(outcome.applied)];
    this.#config = {
      ...next,
      host: previous.host,
      port: previous.port,
      listener: previous.listener,
      admin: previous.admin,
    };
    logger.info("Configuration reloaded from {file}: {applied}", {
      file,
      applied: outcome.applied.join("; ") || "no change",
      restartRequired: outcome.restartRequired,
    });
    return outcome;
  }

  /**
   * A new certificate and key (same files rewritten, or other files) are served to new
   * connections at once; turning TLS on or off, or another redirect port, needs a restart.
   * The pair was checked by `loadConfig`: a bad one refused the whole reload.
   */
  #reloadTls(previous: Config, next: Config, outcome: ReloadOutcome): void {
    const [before, after] = [previous.tls, next.tls];
    if ((before === undefined) !== (after === undefined)) {
      outcome.restartRequired.push("tls");
      return;
    }
    if (before === undefined || after === undefined) return;
    if (before.redirectHttpPort !== after.redirectHttpPort) {
      outcome.restartRequired.push("tls.redirect_http_port");
    }
    const tls = listenerTls(next);
    const old = listenerTls(previous);
    if (tls === undefined || (old?.cert === tls.cert && old?.key === tls.key)) return;
    if (this.#server?.replaceCertificate === undefined) {
      // A listener that cannot swap its certificate (both of Sluice's can).
      outcome.restartRequired.push("tls certificate (this listener cannot swap it)");
      return;
    }
    this.#server.replaceCertificate(tls);
    this.#certificateNotAfter = certificateNotAfter(tls.cert);
    outcome.applied.push(`TLS certificate reloaded from ${after.certFile}`);
  }

  /**
   * Applies the reloaded pools and routes: kept pools are reconfigured in place (their upstreams
   * keep health state and in-flight counts), new ones start, dropped ones stop once the new
   * table is in force (requests already sent to them finish). The routes and pool handlers are
   * swapped in one assignment.
   */
  async #reloadRouting(next: Config, outcome: ReloadOutcome): Promise<void> {
    const { pools, routes } = resolveRouting(next);
    const runtimes = new Map<string, PoolRuntime>();
    const started: PoolRuntime[] = [];
    for (const poolConfig of pools) {
      const kept = this.#pools.get(poolConfig.name);
      if (kept) {
        const changes = await kept.reconfigure(poolConfig, next);
        outcome.applied.push(...changes.applied);
        outcome.restartRequired.push(...changes.restartRequired);
        runtimes.set(poolConfig.name, kept);
      } else {
        const runtime = new PoolRuntime(poolConfig, next, this.#poolDeps);
        runtimes.set(poolConfig.name, runtime);
        started.push(runtime);
        outcome.applied.push(`added pool ${poolConfig.name}`);
      }
    }
    const dropped = [...this.#pools.values()].filter((runtime) => !runtimes.has(runtime.name));
    const compiled = compileRoutes(routes, {
      previous: this.#routing.routes,
      pools: pools.map((p) => p.name),
    });
    for (const warning of compiled.warnings) logger.warn("Configuration: {warning}", { warning });
    if (
      JSON.stringify(routes) !== JSON.stringify(this.#routing.routes.routes.map((r) => r.config))
    ) {
      outcome.applied.push(`routes: ${routes.map((r) => r.name).join(", ")}`);
    }
    for (const runtime of started) runtime.start();
    this.#pools = runtimes;
    this.#routing = this.#routingTable(compiled.table);
    for (const runtime of dropped) {
      outcome.applied.push(`removed pool ${runtime.name}`);
      void runtime.stop();
    }
  }

  /**
   * `config` with the sticky secret of this process when none is configured: one random secret
   * per process, so a reload keeps every client pinned. Warns the first time it is needed.
   */
  #withProcessSecret(config: Config): Config {
    const generated = [config.sticky, ...config.pools.map((p) => p.sticky)]
      .find((sticky) => sticky?.secretGenerated);
    if (generated === undefined) return config;
    if (this.#generatedSecret === undefined) {
      this.#generatedSecret = generated.secret;
      logger.warn(
        "Sticky sessions use a random secret: a restart unpins every client, and other Sluice " +
          "instances reject this one's cookies (set SLUICE_STICKY_SECRET or sticky.secret)",
      );
    }
    const secret = this.#generatedSecret;
    const withSecret = (sticky: Config["sticky"]): Config["sticky"] =>
      sticky?.secretGenerated ? { ...sticky, secret } : sticky;
    return {
      ...config,
      sticky: withSecret(config.sticky),
      pools: config.pools.map((pool) => ({ ...pool, sticky: withSecret(pool.sticky) })),
    };
  }

  /**
   * The per-client rate limiter, kept across handler rebuilds (reloads) so clients' buckets are
   * not refilled by a reload; a new one only when the rate or burst changed.
   */
  #rateLimiterFor(limits: Config["limits"]): RateLimiter {
    const current = this.#rateLimiter;
    if (current && current.rate === limits.rateLimitRps && current.burst === limits.rateBurst) {
      return current.limiter;
    }
    const limiter = new RateLimiter({ rate: limits.rateLimitRps, burst: limits.rateBurst });
    this.#rateLimiter = { rate: limits.rateLimitRps, burst: limits.rateBurst, limiter };
    return limiter;
  }

  #createHandler(config: Config): Handler {
    const limits = config.limits;
    return requestChain(config, {
      metrics: this.#metrics,
      traffic: this.traffic,
      accessLogLines: this.#options.accessLogLines,
      rateLimiter: limits.rateLimitRps === 0 ? undefined : this.#rateLimiterFor(limits),
      routing: () => this.#routing,
    });
  }

  async #shutdown(): Promise<void> {
    if (this.#shuttingDown) return;
    this.#shuttingDown = true;
    const server = this.#server!;
    const graceMs = this.#config.timeouts.shutdownMs;
    logger.info(
      "Shutting down: no new connections, waiting up to {graceMs}ms for in-flight requests",
      {
        graceMs,
      },
    );
    try {
      await this.#reloading;
      await Promise.all([...this.#pools.values()].map((runtime) => runtime.stop()));
      const drained = Promise.all([server.shutdown(), this.#redirect?.shutdown()])
        .then(() => true);
      let timer: ReturnType<typeof setTimeout> | undefined;
      const expired = new Promise<false>((resolve) =>
        timer = setTimeout(() => resolve(false), graceMs)
      );
      const inTime = await Promise.race([drained, expired]);
      clearTimeout(timer);
      if (!inTime) {
        logger.warn("Grace period of {graceMs}ms ended: aborting requests still in flight", {
          graceMs,
        });
        this.#hardStop.abort();
        if (server.closeAll) {
          // Aborted requests get their 503 first; connections still open a second later (a
          // head or body still trickling in) are cut.
          let cut: ReturnType<typeof setTimeout> | undefined;
          await Promise.race([
            server.finished,
            new Promise((resolve) => cut = setTimeout(resolve, HARD_STOP_CLOSE_MS)),
          ]);
          clearTimeout(cut);
          server.closeAll();
        }
        await server.finished;
      }
      await this.#admin?.shutdown();
      logger.info("Shutdown complete");
    } catch (error) {
      logger.error("Error during shutdown: {error}", { error });
    } finally {
      await Promise.all([...this.#pools.values()].map((runtime) => runtime.close()));
      this.#transport.close();
      this.#probeTransport.close();
      this.#finished.resolve();
    }
  }
}

/** What `App.pool` is when the configuration has no pool `default`. */
const NO_POOL = new Pool();
/** What `App.strategy` is without any pool. */
const NO_STRATEGY: Strategy = { name: "none", select: () => undefined };

/** The listener's certificate and key (PEM), `undefined` without TLS. */
function listenerTls(config: Config): { cert: string; key: string } | undefined {
  const pem = config.tls?.pem;
  if (config.tls !== undefined && pem === undefined) {
    throw new Error(
      "tls is set but its files were not read (load the configuration with loadConfig)",
    );
  }
  return pem;
}

/** `notAfter` of the first certificate of a PEM chain, ms since the epoch. */
function certificateNotAfter(pem: string): number {
  return new X509Certificate(pem).validToDate.getTime();
}
