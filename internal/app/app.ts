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
import type { StatusView } from "../admin/views.ts";
import { createStrategy, type Strategy } from "../balancer/mod.ts";
import { formatHashKey, normalizeUpstreamUrl, redactConfig } from "../config/mod.ts";
import type { Config } from "../config/types.ts";
import {
  ActiveHealthChecker,
  httpProbe,
  type ObservedOutcome,
  PassiveHealthTracker,
  tcpProbe,
} from "../health/mod.ts";
import { createMetrics, type SluiceMetrics, Traffic } from "../metrics/mod.ts";
import {
  accessLog,
  bodyLimit,
  clientIp,
  compose,
  type Handler,
  metrics as metricsMiddleware,
  rateLimit,
  RateLimiter,
  recover,
  requestChecks,
  requestId,
  requestLimits,
  sticky,
} from "../middleware/mod.ts";
import { Pool, type Upstream } from "../pool/mod.ts";
import {
  ConnectionLimiter,
  createDirector,
  FetchTransport,
  Http1Transport,
  RetryBudget,
  type Transport,
} from "../proxy/mod.ts";
import { type Listener, ServeListener } from "../server/mod.ts";
import { VERSION } from "./version.ts";

const logger = getLogger(["sluice", "app"]);

/**
 * The transport `config.proxy.transport` names: `http1` with `timeouts.connect`, or `fetch`
 * (which keeps the client's Host when `proxy.preserve_host`).
 * @param config the configuration.
 * @returns a new transport; close it when done.
 */
export function createTransport(config: Config): Transport {
  return config.proxy.transport === "http1"
    ? new Http1Transport({ connectTimeoutMs: config.timeouts.connectMs })
    : new FetchTransport({ allowHost: config.proxy.preserveHost });
}

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
  /** The upstream pool (read it, or change it at run time). */
  readonly pool: Pool;
  /** Whole-proxy totals and recent traffic. */
  readonly traffic: Traffic = new Traffic();
  readonly #options: AppOptions;
  readonly #transport: Transport;
  readonly #metrics: SluiceMetrics;
  readonly #hardStop = new AbortController();
  readonly #finished = Promise.withResolvers<void>();
  readonly #startedAt = Date.now();
  #config: Config;
  #strategy: Strategy;
  #checker: ActiveHealthChecker;
  #passive: PassiveHealthTracker;
  #handler: Handler;
  #nextId: number;
  /** Upstreams draining for removal (DELETE or a reload that dropped them). */
  readonly #removing = new Set<string>();
  #server: Listener | undefined;
  #admin: AdminServer | undefined;
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
    this.pool = new Pool(
      config.backends.map((b, i) => ({
        id: `u${i + 1}`,
        name: b.name,
        url: b.url,
        weight: b.weight,
      })),
      { slowStartMs: config.limits.slowStartMs },
    );
    this.#nextId = config.backends.length + 1;
    this.#metrics = createMetrics({ pool: this.pool, traffic: this.traffic });
    this.#strategy = createStrategy(config.strategy, { hashKey: config.hashKey });
    this.#transport = options.transport ?? createTransport(config);
    this.#checker = this.#createChecker(config.health);
    this.#passive = new PassiveHealthTracker(this.pool, config.passive);
    this.#handler = this.#createHandler(config, this.#strategy);
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

  /** The strategy choosing among available upstreams. */
  get strategy(): Strategy {
    return this.#strategy;
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
    this.#checker.start();
    try {
      this.#server = new ServeListener((ctx) => this.#handler(ctx), {
        hostname: config.host,
        port: config.port,
        onAcceptError: this.#metrics.observeAcceptError,
      });
      if (config.admin.port !== 0) {
        this.#admin = startAdminServer(this, {
          hostname: config.admin.host,
          port: config.admin.port,
          token: config.admin.token,
          ...(this.#options.dashboardAssets ? { assets: this.#options.dashboardAssets } : {}),
        });
      }
    } catch (error) {
      void this.#checker.stop();
      void this.#server?.shutdown();
      this.#transport.close();
      throw error;
    }
    const { hostname, port } = this.#server.addr;
    logger.info("Sluice listening on http://{address}:{port} ({count} upstream(s), {strategy})", {
      address: hostname,
      port,
      count: this.pool.size,
      strategy: this.#strategy.name,
    });
    if (this.pool.size === 0) {
      logger.warn(
        "No upstream is configured: every request gets 503 and /readyz says not ready until " +
          "upstreams are given with --backends URL[,URL...] (SLUICE_BACKENDS, backends in the " +
          "config file) or added with POST /api/upstreams",
      );
    }
    if (signal.aborted) void this.#shutdown();
    else signal.addEventListener("abort", () => void this.#shutdown(), { once: true });
  }

  /** @inheritdoc */
  ready(): boolean {
    return this.#server !== undefined && !this.#shuttingDown && this.pool.available().length > 0;
  }

  /** @inheritdoc */
  status(): StatusView {
    const traffic = this.traffic;
    const recent = traffic.stats.snapshot();
    return {
      version: VERSION,
      startedAt: new Date(this.#startedAt).toISOString(),
      uptimeSeconds: Math.floor((Date.now() - this.#startedAt) / 1000),
      strategy: this.#strategy.name,
      ready: this.ready(),
      shuttingDown: this.#shuttingDown,
      upstreams: { total: this.pool.size, available: this.pool.available().length },
      totals: {
        requests: traffic.requests,
        errors: traffic.errors,
        inFlight: traffic.inFlight,
        retries: traffic.retries,
      },
      rps: recent.rps,
      p99Ms: recent.p99Ms,
    };
  }

  /** @inheritdoc */
  redactedConfig(): Record<string, unknown> {
    return redactConfig(this.#config);
  }

  /** @inheritdoc */
  addUpstream(input: NewUpstream): Upstream {
    const url = normalizeUpstreamUrl(input.url);
    if (this.pool.list().some((u) => u.url === url)) {
      throw new RangeError(`an upstream with the URL ${url} exists`);
    }
    const weight = input.weight ?? 1;
    if (!Number.isInteger(weight) || weight < 1) {
      throw new TypeError(`weight must be an integer >= 1: current value is ${weight}`);
    }
    return this.pool.add({
      id: `u${this.#nextId++}`,
      name: input.name ?? new URL(url).host,
      url,
      weight,
      servesBeforeCheck: false,
    });
  }

  /** @inheritdoc */
  removeUpstream(id: string): boolean {
    if (!this.pool.get(id)) return false;
    if (this.#removing.has(id)) {
      // A removal whose drain was interrupted (state set back) still waits: drain again.
      this.pool.setAdminState(id, "draining");
      return true;
    }
    this.#removing.add(id);
    void this.pool.drainAndRemove(id, this.#config.timeouts.shutdownMs)
      .finally(() => this.#removing.delete(id));
    return true;
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
    this.#reloadUpstreams(next, outcome);
    for (const key of ["host", "port"] as const) {
      if (previous[key] !== next[key]) outcome.restartRequired.push(key);
    }
    if (changed("admin")) {
      outcome.restartRequired.push("admin");
    }
    if (changed("health")) {
      await this.#checker.stop();
      this.#checker = this.#createChecker(next.health);
      this.#checker.start();
      outcome.applied.push("health checks restarted with the new settings");
    }
    if (changed("passive")) {
      // Upstreams the old tracker ejected come back; the new one starts counting from 0.
      this.#passive.stop();
      this.#passive = new PassiveHealthTracker(this.pool, next.passive);
      outcome.applied.push("passive health checks restarted with the new settings");
    }
    if (previous.limits.slowStartMs !== next.limits.slowStartMs) {
      this.pool.setSlowStart(next.limits.slowStartMs);
      outcome.applied.push(`slow start ${next.limits.slowStartMs}ms`);
    }
    const strategyChanged = previous.strategy !== next.strategy;
    if (strategyChanged) outcome.applied.push(`strategy ${previous.strategy} -> ${next.strategy}`);
    const [hashKeyBefore, hashKeyAfter] = [previous.hashKey, next.hashKey].map(formatHashKey);
    const hashKeyChanged = hashKeyBefore !== hashKeyAfter;
    if (hashKeyChanged) outcome.applied.push(`hash key ${hashKeyBefore} -> ${hashKeyAfter}`);
    if (strategyChanged || hashKeyChanged) {
      this.#strategy = createStrategy(next.strategy, { hashKey: next.hashKey });
    }
    const stickyChanged = changed("sticky");
    if (stickyChanged) {
      outcome.applied.push(
        next.sticky
          ? `sticky sessions with the cookie ${next.sticky.cookie}`
          : "sticky sessions off",
      );
    }
    const trustChanged = changed("trustedProxies");
    if (trustChanged) {
      outcome.applied.push(`trusted proxies: ${next.trustedProxies.join(", ") || "none"}`);
    }
    if (
      strategyChanged || hashKeyChanged || stickyChanged || trustChanged ||
      changed("timeouts") ||
      changed("proxy") ||
      changed("limits")
    ) {
      // Requests in flight keep the handler they started with; new ones get the new one.
      this.#handler = this.#createHandler(next, this.#strategy);
      outcome.applied.push("proxy settings applied to new requests");
    }
    if (changed("logging")) {
      await this.#options.reconfigureLogging?.(next.logging);
      outcome.applied.push("logging settings applied");
    }
    this.#config = { ...next, host: previous.host, port: previous.port, admin: previous.admin };
    logger.info("Configuration reloaded from {file}: {applied}", {
      file,
      applied: outcome.applied.join("; ") || "no change",
      restartRequired: outcome.restartRequired,
    });
    return outcome;
  }

  #reloadUpstreams(next: Config, outcome: ReloadOutcome): void {
    const wanted = new Map(next.backends.map((b) => [b.url, b]));
    for (const upstream of this.pool.list()) {
      const backend = wanted.get(upstream.url);
      if (!backend) {
        if (!this.#removing.has(upstream.id) || upstream.admin !== "draining") {
          this.removeUpstream(upstream.id);
          outcome.applied.push(`draining and removing upstream ${upstream.name}`);
        }
        continue;
      }
      if (this.#removing.has(upstream.id)) {
        // Back in the file while it drains for removal: keep it.
        this.pool.setAdminState(upstream.id, "ready");
        outcome.applied.push(`kept upstream ${upstream.name}, its removal cancelled`);
      }
      if (backend.weight !== upstream.weight) {
        outcome.applied.push(`weight of ${upstream.name} ${upstream.weight} -> ${backend.weight}`);
        this.pool.setWeight(upstream.id, backend.weight);
      }
      if (backend.name !== upstream.name) {
        outcome.restartRequired.push(`backends name of ${upstream.url}`);
      }
      wanted.delete(upstream.url);
    }
    for (const backend of wanted.values()) {
      this.addUpstream({ url: backend.url, name: backend.name, weight: backend.weight });
      outcome.applied.push(`added upstream ${backend.name}`);
    }
  }

  #createChecker(health: Config["health"]): ActiveHealthChecker {
    return new ActiveHealthChecker(this.pool, {
      probe: health.path === undefined ? tcpProbe() : httpProbe(health.path),
      intervalMs: health.intervalMs,
      timeoutMs: health.timeoutMs,
      healthyThreshold: health.healthyThreshold,
      unhealthyThreshold: health.unhealthyThreshold,
      onResult: (upstream, result) => this.#metrics.observeHealthCheck(upstream, result),
    });
  }

  /**
   * `config` with the sticky secret of this process when none is configured: one random secret
   * per process, so a reload keeps every client pinned. Warns the first time it is needed.
   */
  #withProcessSecret(config: Config): Config {
    if (!config.sticky?.secretGenerated) return config;
    if (this.#generatedSecret === undefined) {
      this.#generatedSecret = config.sticky.secret;
      logger.warn(
        "Sticky sessions use a random secret: a restart unpins every client, and other Sluice " +
          "instances reject this one's cookies (set SLUICE_STICKY_SECRET or sticky.secret)",
      );
    }
    return { ...config, sticky: { ...config.sticky, secret: this.#generatedSecret } };
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

  #createHandler(config: Config, strategy: Strategy): Handler {
    const { sticky: stickiness, trustedProxies, limits } = config;
    return compose(
      [
        requestId(),
        ...(trustedProxies.length > 0 ? [clientIp({ trustedProxies })] : []),
        metricsMiddleware({ metrics: this.#metrics, traffic: this.traffic }),
        accessLog(),
        recover({
          retryAfterSeconds: Math.max(1, Math.ceil(config.health.intervalMs / 1000)),
          verbose: config.proxy.verboseErrors,
        }),
        // Client limits: inside recover(), which answers their errors, and inside metrics and
        // the access log, which record the refusals; after clientIp(), whose address the rate
        // limit keys on; cheapest first, all before a body is read or an upstream chosen.
        requestChecks(),
        requestLimits({ maxUrlBytes: limits.maxUrlBytes, maxHeaderBytes: limits.maxHeaderBytes }),
        ...(limits.rateLimitRps === 0 ? [] : [
          rateLimit(this.#rateLimiterFor(limits)),
        ]),
        ...(limits.maxBodyBytes === 0 ? [] : [bodyLimit({ maxBytes: limits.maxBodyBytes })]),
        // Inside recover(): a request that got no upstream's response sets no cookie.
        ...(stickiness === undefined ? [] : [
          sticky({
            cookie: stickiness.cookie,
            secret: stickiness.secret,
            lookup: (id) => this.pool.get(id),
          }),
        ]),
      ],
      createDirector({
        pool: this.pool,
        strategy,
        transport: this.#transport,
        timeoutMs: config.timeouts.backendMs,
        preserveHost: config.proxy.preserveHost,
        shutdownSignal: this.#hardStop.signal,
        retries: config.proxy.retries,
        retryBufferBytes: config.proxy.retryBufferBytes,
        retryNonIdempotent: config.proxy.retryNonIdempotent,
        // Budget and limiter count requests in flight: new ones on reload start from zero, and
        // requests still running on the old handler keep their own counts.
        retryBudget: new RetryBudget({
          percent: config.proxy.retryBudgetPercent,
          minConcurrency: config.proxy.retryBudgetMin,
        }),
        ...(config.limits.maxConnectionsPerUpstream > 0
          ? {
            limiter: new ConnectionLimiter({
              maxPerUpstream: config.limits.maxConnectionsPerUpstream,
              queueSize: config.limits.queueSize,
              queueTimeoutMs: config.limits.queueTimeoutMs,
            }),
          }
          : {}),
        idleTimeoutMs: config.timeouts.idleMs,
        observe: this.#observe,
      }),
    );
  }

  /** Outcomes of attempts go to the passive health tracker of the moment (reload replaces it). */
  readonly #observe = (upstream: Upstream, outcome: ObservedOutcome): void =>
    this.#passive.observe(upstream, outcome);

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
      await this.#checker.stop();
      const drained = server.shutdown().then(() => true);
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
        await server.finished;
      }
      await this.#admin?.shutdown();
      logger.info("Shutdown complete");
    } catch (error) {
      logger.error("Error during shutdown: {error}", { error });
    } finally {
      this.#passive.stop();
      this.pool.close();
      this.#transport.close();
      this.#finished.resolve();
    }
  }
}
