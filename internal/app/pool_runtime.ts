/**
 * One running pool: its upstreams, strategy, health checks (active and passive), slow start,
 * connection limit, retries and retry budget, and the handler that sends a request to it.
 *
 * @module
 */

import { getLogger } from "@logtape/logtape";
import type { NewUpstream } from "../admin/control_plane.ts";
import { createStrategy, type Strategy } from "../balancer/mod.ts";
import {
  type Config,
  DEFAULT_POOL,
  formatHashKey,
  localInterfaceAddresses,
  normalizeUpstreamUrl,
  type OwnListener,
  ownListenerMessage,
  ownListenerReached,
  parseDiscoveryUrl,
  type PoolConfig,
} from "../config/mod.ts";
import {
  ActiveHealthChecker,
  httpProbe,
  type ObservedOutcome,
  PassiveHealthTracker,
  tcpProbe,
} from "../health/mod.ts";
import { createDnsLookup, DnsDiscovery } from "../discovery/mod.ts";
import type { SluiceMetrics } from "../metrics/mod.ts";
import { compose, type Handler, requestField, sticky } from "../middleware/mod.ts";
import type { UpstreamTlsOptions } from "../net/mod.ts";
import { Pool, type Upstream } from "../pool/mod.ts";
import {
  ConnectionLimiter,
  createDirector,
  createUpgradeHandler,
  isUpgradeRequest,
  RetryBudget,
  type Transport,
} from "../proxy/mod.ts";

const logger = getLogger(["sluice", "discovery"]);

/** What every pool shares: the transport, metrics, the hard stop and the listener's settings. */
export interface PoolRuntimeDeps {
  /** Transport to upstreams. */
  transport: Transport;
  /** Sends HTTP health checks: the proxy's transport kind and TLS settings, never pooled. */
  probeTransport: Transport;
  /** TLS settings of `https://` upstreams, for the TCP check's handshake. */
  upstreamTls: UpstreamTlsOptions;
  /**
   * Makes a pool's own transports when its `upstream_tls` differs from the top level's.
   * @default none: every pool uses `transport` and `probeTransport`
   */
  createTransports?: (
    tls: UpstreamTlsOptions,
  ) => { transport: Transport; probeTransport: Transport };
  /** Metrics (health check results). */
  metrics: SluiceMetrics;
  /** Aborted when the shutdown grace period ends. */
  shutdownSignal: AbortSignal;
  /**
   * Sluice's own listeners (as bound once started): an upstream reaching one is refused.
   * @default none
   */
  ownListeners?: () => readonly OwnListener[];
}

/** What a reload changed in a pool, one line each; `restartRequired` for what it could not. */
export interface PoolChanges {
  /** Applied changes, e.g. `"added upstream 127.0.0.1:9004"`. */
  applied: string[];
  /** Changes that need a restart. */
  restartRequired: string[];
}

/**
 * A pool and everything that works on it. Construct, `start()` its health checks, send
 * requests through `handler`; `reconfigure()` applies a reloaded configuration in place, so
 * upstreams kept keep their health state and in-flight counts; `stop()` when done.
 */
export class PoolRuntime {
  /** The pool's name. */
  readonly name: string;
  /** Its upstreams. */
  readonly pool: Pool;
  readonly #deps: PoolRuntimeDeps;
  #config: PoolConfig;
  #global: Config;
  #strategy: Strategy;
  #checker: ActiveHealthChecker;
  #passive: PassiveHealthTracker;
  #handler: Handler;
  #nextId: number;
  #started = false;
  /** Upstreams draining for removal (DELETE or a reload that dropped them). */
  readonly #removing = new Set<string>();
  /** DNS sources (`dns://`, `dns+srv://` backends) by canonical URL, with the URLs they added. */
  readonly #discoveries = new Map<string, { discovery: DnsDiscovery; owned: Set<string> }>();
  /** The pool's own transports and TLS settings, when its `upstream_tls` is its own. */
  readonly #own:
    | { transport: Transport; probeTransport: Transport; upstreamTls: UpstreamTlsOptions }
    | undefined;

  /**
   * @param config the pool's settings.
   * @param global the whole configuration (timeouts, transport settings).
   * @param deps what every pool shares.
   */
  constructor(config: PoolConfig, global: Config, deps: PoolRuntimeDeps) {
    this.name = config.name;
    this.#config = config;
    this.#global = global;
    this.#deps = deps;
    const tls = poolTlsOptions(config);
    if (deps.createTransports && JSON.stringify(tls) !== JSON.stringify(deps.upstreamTls)) {
      this.#own = { ...deps.createTransports(tls), upstreamTls: tls };
    }
    const fixed = config.backends.filter((b) => parseDiscoveryUrl(b.url) === undefined);
    this.pool = new Pool(
      fixed.map((b, i) => ({
        id: this.#idOf(i + 1),
        name: b.name,
        url: b.url,
        weight: b.weight,
      })),
      { slowStartMs: config.limits.slowStartMs },
    );
    this.#nextId = fixed.length + 1;
    for (const backend of config.backends) this.#addDiscovery(backend);
    this.#strategy = createStrategy(config.strategy, { hashKey: config.hashKey });
    this.#checker = this.#createChecker(config.health);
    this.#passive = new PassiveHealthTracker(this.pool, config.passive);
    this.#handler = this.#createHandler();
  }

  /** The pool's settings in force. */
  get config(): Readonly<PoolConfig> {
    return this.#config;
  }

  /** The strategy choosing among available upstreams. */
  get strategy(): Strategy {
    return this.#strategy;
  }

  /**
   * Sends a request to this pool (sticky sessions, then the director). A reload that changes
   * the pool's settings replaces it: requests in flight keep the one they started with.
   */
  get handler(): Handler {
    return this.#handler;
  }

  /** Starts the active health checks. */
  start(): void {
    this.#started = true;
    this.#checker.start();
    for (const { discovery } of this.#discoveries.values()) void discovery.start();
  }

  /** Stops health checks (active and passive). */
  async stop(): Promise<void> {
    this.#started = false;
    this.#passive.stop();
    await Promise.all([
      this.#checker.stop(),
      ...[...this.#discoveries.values()].map(({ discovery }) => discovery.stop()),
    ]);
  }

  /** Stops health checks and the pool's timers (shutdown). */
  async close(): Promise<void> {
    await this.stop();
    this.pool.close();
    this.#own?.transport.close();
    this.#own?.probeTransport.close();
  }

  /**
   * Adds an upstream that takes traffic after its first passing health check.
   * @throws {TypeError} when the URL is not an http(s) origin, reaches one of Sluice's own
   *   listeners, or the weight is invalid.
   * @throws {RangeError} when an upstream with this URL is in the pool.
   */
  addUpstream(input: NewUpstream): Upstream {
    const url = normalizeUpstreamUrl(input.url);
    const own = ownListenerReached(
      url,
      this.#deps.ownListeners?.() ?? [],
      localInterfaceAddresses(),
    );
    if (own !== undefined) throw new TypeError(ownListenerMessage(url, own));
    if (this.pool.list().some((u) => u.url === url)) {
      throw new RangeError(`an upstream with the URL ${url} exists in the pool ${this.name}`);
    }
    const weight = input.weight ?? 1;
    if (!Number.isInteger(weight) || weight < 1) {
      throw new TypeError(`weight must be an integer >= 1: current value is ${weight}`);
    }
    return this.pool.add({
      id: this.#idOf(this.#nextId++),
      name: input.name ?? new URL(url).host,
      url,
      weight,
      servesBeforeCheck: false,
    });
  }

  /**
   * Starts draining an upstream; it is removed once its in-flight requests have finished (or
   * after the shutdown timeout).
   * @returns false when the id is unknown.
   */
  removeUpstream(id: string): boolean {
    if (!this.pool.get(id)) return false;
    if (this.#removing.has(id)) {
      // A removal whose drain was interrupted (state set back) still waits: drain again.
      this.pool.setAdminState(id, "draining");
      return true;
    }
    this.#removing.add(id);
    void this.pool.drainAndRemove(id, this.#global.timeouts.shutdownMs)
      .finally(() => this.#removing.delete(id));
    return true;
  }

  /**
   * Applies reloaded settings in place: membership (upstreams kept keep health and in-flight
   * counts; dropped ones drain), weights, health checks, passive health, slow start, strategy,
   * hash key, sticky sessions, limits and retries.
   * @param next the pool's new settings.
   * @param global the new whole configuration.
   * @returns what changed.
   */
  async reconfigure(next: PoolConfig, global: Config): Promise<PoolChanges> {
    const previous = this.#config;
    const changes: PoolChanges = { applied: [], restartRequired: [] };
    const applied = (line: string) =>
      changes.applied.push(this.name === DEFAULT_POOL ? line : `pool ${this.name}: ${line}`);
    const changed = (key: keyof PoolConfig) =>
      JSON.stringify(previous[key]) !== JSON.stringify(next[key]);
    this.#config = next;
    if (JSON.stringify(previous.upstreamTls) !== JSON.stringify(next.upstreamTls)) {
      changes.restartRequired.push(`pools.${this.name}.upstream_tls`);
    }
    this.#reloadUpstreams(next, changes, applied);
    if (changed("health")) {
      await this.#checker.stop();
      this.#checker = this.#createChecker(next.health);
      if (this.#started) this.#checker.start();
      applied("health checks restarted with the new settings");
    }
    if (changed("passive")) {
      // Upstreams the old tracker ejected come back; the new one starts counting from 0.
      this.#passive.stop();
      this.#passive = new PassiveHealthTracker(this.pool, next.passive);
      applied("passive health checks restarted with the new settings");
    }
    if (previous.limits.slowStartMs !== next.limits.slowStartMs) {
      this.pool.setSlowStart(next.limits.slowStartMs);
      applied(`slow start ${next.limits.slowStartMs}ms`);
    }
    const strategyChanged = previous.strategy !== next.strategy;
    if (strategyChanged) applied(`strategy ${previous.strategy} -> ${next.strategy}`);
    const [hashKeyBefore, hashKeyAfter] = [previous.hashKey, next.hashKey].map(formatHashKey);
    const hashKeyChanged = hashKeyBefore !== hashKeyAfter;
    if (hashKeyChanged) applied(`hash key ${hashKeyBefore} -> ${hashKeyAfter}`);
    if (strategyChanged || hashKeyChanged) {
      this.#strategy = createStrategy(next.strategy, { hashKey: next.hashKey });
    }
    if (changed("sticky")) {
      applied(
        next.sticky
          ? `sticky sessions with the cookie ${next.sticky.cookie}`
          : "sticky sessions off",
      );
    }
    const globalChanged = (["timeouts", "proxy"] as const).some((key) =>
      JSON.stringify(this.#global[key]) !== JSON.stringify(global[key])
    );
    this.#global = global;
    if (
      strategyChanged || hashKeyChanged || changed("sticky") || changed("limits") ||
      changed("proxy") || globalChanged
    ) {
      // Requests in flight keep the handler they started with; new ones get the new one.
      this.#handler = this.#createHandler();
      applied("proxy settings applied to new requests");
    }
    return changes;
  }

  /** Ids: `u1`, `u2`… in the pool `default` (as before pools existed), `<pool>.u1` elsewhere. */
  #idOf(n: number): string {
    return this.name === DEFAULT_POOL ? `u${n}` : `${this.name}.u${n}`;
  }

  #reloadUpstreams(next: PoolConfig, changes: PoolChanges, applied: (line: string) => void) {
    const sources = new Set(
      next.backends.filter((b) => parseDiscoveryUrl(b.url) !== undefined).map((b) => b.url),
    );
    for (const [url, { discovery }] of this.#discoveries) {
      if (sources.has(url)) continue;
      // Its upstreams are not wanted any more: the loop below drains them.
      void discovery.stop();
      this.#discoveries.delete(url);
      applied(`stopped DNS discovery ${url}`);
    }
    for (const backend of next.backends) {
      if (sources.has(backend.url) && !this.#discoveries.has(backend.url)) {
        const discovery = this.#addDiscovery(backend);
        if (this.#started) void discovery?.start();
        applied(`started DNS discovery ${backend.url}`);
      }
    }
    const discovered = new Set<string>();
    for (const { owned } of this.#discoveries.values()) {
      for (const url of owned) discovered.add(url);
    }
    const wanted = new Map(
      next.backends.filter((b) => !sources.has(b.url)).map((b) => [b.url, b]),
    );
    for (const upstream of this.pool.list()) {
      if (discovered.has(upstream.url) && !wanted.has(upstream.url)) continue;
      const backend = wanted.get(upstream.url);
      if (!backend) {
        if (!this.#removing.has(upstream.id) || upstream.admin !== "draining") {
          this.removeUpstream(upstream.id);
          applied(`draining and removing upstream ${upstream.name}`);
        }
        continue;
      }
      if (this.#removing.has(upstream.id)) {
        // Back in the file while it drains for removal: keep it.
        this.pool.setAdminState(upstream.id, "ready");
        applied(`kept upstream ${upstream.name}, its removal cancelled`);
      }
      if (backend.weight !== upstream.weight) {
        applied(`weight of ${upstream.name} ${upstream.weight} -> ${backend.weight}`);
        this.pool.setWeight(upstream.id, backend.weight);
      }
      if (backend.name !== upstream.name) {
        changes.restartRequired.push(`pools.${this.name} name of ${upstream.url}`);
      }
      wanted.delete(upstream.url);
    }
    for (const backend of wanted.values()) {
      this.addUpstream({ url: backend.url, name: backend.name, weight: backend.weight });
      applied(`added upstream ${backend.name}`);
    }
  }

  /** Creates the discovery of a `dns://` or `dns+srv://` backend (not started); else nothing. */
  #addDiscovery(backend: PoolConfig["backends"][number]): DnsDiscovery | undefined {
    const source = parseDiscoveryUrl(backend.url);
    if (source === undefined) return undefined;
    const { minIntervalMs, maxIntervalMs, nameServer } = this.#global.discovery;
    const owned = new Set<string>();
    const discovery = new DnsDiscovery(source, {
      minIntervalMs,
      maxIntervalMs,
      lookup: createDnsLookup(nameServer),
      onChange: (urls) => this.#applyDiscovered(owned, urls, backend.weight),
    });
    this.#discoveries.set(source.url, { discovery, owned });
    return discovery;
  }

  /**
   * A DNS source's new set: new addresses join like upstreams added through the admin API
   * (they take traffic after a first passing health check), addresses gone drain and leave.
   * An address that is also a fixed backend, or another source's, is left to its owner.
   */
  #applyDiscovered(owned: Set<string>, urls: readonly string[], weight: number): void {
    const next = new Set(urls);
    for (const url of owned) {
      if (next.has(url)) continue;
      owned.delete(url);
      const upstream = this.pool.list().find((u) => u.url === url);
      if (upstream) this.removeUpstream(upstream.id);
    }
    for (const url of next) {
      if (owned.has(url)) continue;
      const upstream = this.pool.list().find((u) => u.url === url);
      if (upstream !== undefined) {
        // Back while it drained out after an earlier answer: keep it.
        if (this.#removing.has(upstream.id)) {
          this.pool.setAdminState(upstream.id, "ready");
          owned.add(url);
        }
        continue;
      }
      try {
        this.addUpstream({ url, weight });
        owned.add(url);
      } catch (error) {
        logger.warn("Discovered upstream {url} refused: {error}", {
          url,
          error: error instanceof Error ? error.message : String(error),
        });
      }
    }
  }

  #createChecker(health: PoolConfig["health"]): ActiveHealthChecker {
    const metrics = this.#deps.metrics;
    const { probeTransport, upstreamTls } = this.#own ?? this.#deps;
    return new ActiveHealthChecker(this.pool, {
      probe: health.path === undefined
        ? tcpProbe(upstreamTls)
        : httpProbe(health.path, function sendProbe(url, headers, signal) {
          return probeTransport.send({ url, method: "GET", headers, body: null, signal });
        }),
      intervalMs: health.intervalMs,
      timeoutMs: health.timeoutMs,
      healthyThreshold: health.healthyThreshold,
      unhealthyThreshold: health.unhealthyThreshold,
      onResult: (upstream, result) => metrics.observeHealthCheck(upstream, result, this.name),
    });
  }

  #createHandler(): Handler {
    const config = this.#config;
    const global = this.#global;
    const { limits, proxy } = config;
    const proxyDirector = createDirector({
      pool: this.pool,
      strategy: this.#strategy,
      transport: (this.#own ?? this.#deps).transport,
      timeoutMs: global.timeouts.backendMs,
      preserveHost: global.proxy.preserveHost,
      shutdownSignal: this.#deps.shutdownSignal,
      retries: proxy.retries,
      retryBufferBytes: global.proxy.retryBufferBytes,
      retryNonIdempotent: proxy.retryNonIdempotent,
      // Budget and limiter count requests in flight: new ones on reload start from zero, and
      // requests still running on the old handler keep their own counts.
      retryBudget: new RetryBudget({
        percent: proxy.retryBudgetPercent,
        minConcurrency: proxy.retryBudgetMin,
      }),
      ...(limits.maxConnectionsPerUpstream > 0
        ? {
          limiter: new ConnectionLimiter({
            maxPerUpstream: limits.maxConnectionsPerUpstream,
            queueSize: limits.queueSize,
            queueTimeoutMs: limits.queueTimeoutMs,
          }),
        }
        : {}),
      idleTimeoutMs: global.timeouts.idleMs,
      observe: this.#observe,
    });
    const director = withUpgrades(
      global,
      proxyDirector,
      createUpgradeHandler({
        pool: this.pool,
        strategy: this.#strategy,
        transport: (this.#own ?? this.#deps).transport,
        timeoutMs: global.timeouts.backendMs,
        preserveHost: global.proxy.preserveHost,
        shutdownSignal: this.#deps.shutdownSignal,
      }),
    );
    const stickiness = config.sticky;
    if (stickiness === undefined) return director;
    // Inside recover(): a request that got no upstream's response sets no cookie.
    return compose([
      sticky({
        cookie: stickiness.cookie,
        secret: stickiness.secret,
        lookup: (id) => this.pool.get(id),
      }),
    ], director);
  }

  /** Outcomes of attempts go to the passive health tracker of the moment (reload replaces it). */
  readonly #observe = (upstream: Upstream, outcome: ObservedOutcome): void =>
    this.#passive.observe(upstream, outcome);
}

/**
 * The pool's innermost handler: upgrade requests (WebSocket) to `upgrade` with the HTTP/1.1
 * listener (the only one that can tunnel), everything else to the director.
 */
function withUpgrades(global: Config, director: Handler, upgrade: Handler): Handler {
  if (global.listener !== "http1") return director;
  return function upgradeOrDirector(ctx) {
    // The parsed field first: the request's Headers is made only for an upgrade.
    return requestField(ctx, "upgrade") !== null && isUpgradeRequest(ctx.request.headers)
      ? upgrade(ctx)
      : director(ctx);
  };
}

/** A pool's `upstream_tls` as the transports take it (PEM text read by `loadConfig`). */
function poolTlsOptions(config: PoolConfig): UpstreamTlsOptions {
  const { serverName, pem } = config.upstreamTls;
  return { ca: pem?.ca, serverName, cert: pem?.cert, key: pem?.key };
}
