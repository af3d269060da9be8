/**
 * The application: wires pool, health checks, strategy, proxy, middleware and listener from a
 * `Config`, and runs them until one AbortSignal asks for a graceful shutdown.
 *
 * @module
 */

import { getLogger } from "@logtape/logtape";
import { createStrategy, type Strategy } from "../balancer/mod.ts";
import type { Config } from "../config/types.ts";
import { ActiveHealthChecker, httpProbe, tcpProbe } from "../health/mod.ts";
import { accessLog, compose, recover, requestId } from "../middleware/mod.ts";
import { Pool } from "../pool/mod.ts";
import { createDirector, FetchTransport, type Transport } from "../proxy/mod.ts";
import { listen } from "../server/mod.ts";

const logger = getLogger(["sluice", "app"]);

/** Options of {@linkcode App}: replaceable parts, for tests and embedding. */
export interface AppOptions {
  /** Transport to upstreams. @default new FetchTransport({ allowHost: config.proxy.preserveHost }) */
  transport?: Transport;
}

/**
 * A running Sluice. Construct from a validated config, `start(signal)`, and await `finished`.
 *
 * Shutdown (when `signal` aborts): readiness goes false, health checks stop, the listener stops
 * accepting and in-flight requests finish; those still running after
 * `config.timeouts.shutdownMs` are aborted. Then `finished` resolves.
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
export class App {
  /** The upstream pool (read it, or change it at run time). */
  readonly pool: Pool;
  /** The strategy choosing among available upstreams. */
  readonly strategy: Strategy;
  readonly #config: Config;
  readonly #transport: Transport;
  readonly #checker: ActiveHealthChecker;
  readonly #hardStop = new AbortController();
  readonly #finished = Promise.withResolvers<void>();
  #server: Deno.HttpServer<Deno.NetAddr> | undefined;
  #shuttingDown = false;

  /**
   * @param config a validated configuration.
   * @param options replaceable parts.
   */
  constructor(config: Config, options: AppOptions = {}) {
    this.#config = config;
    this.pool = new Pool(
      config.backends.map((b, i) => ({
        id: `u${i + 1}`,
        name: b.name,
        url: b.url,
        weight: b.weight,
      })),
    );
    this.strategy = createStrategy(config.strategy);
    this.#transport = options.transport ??
      new FetchTransport({ allowHost: config.proxy.preserveHost });
    const health = config.health;
    this.#checker = new ActiveHealthChecker(this.pool, {
      probe: health.path === undefined ? tcpProbe() : httpProbe(health.path),
      intervalMs: health.intervalMs,
      timeoutMs: health.timeoutMs,
      healthyThreshold: health.healthyThreshold,
      unhealthyThreshold: health.unhealthyThreshold,
    });
  }

  /** Resolves when the shutdown has completed (never rejects). */
  get finished(): Promise<void> {
    return this.#finished.promise;
  }

  /** Address the proxy listens on. @throws {Error} before `start` resolved. */
  get addr(): Deno.NetAddr {
    if (!this.#server) throw new Error("App is not started");
    return this.#server.addr;
  }

  /** Readiness: listening, not shutting down, and at least one upstream available. */
  get ready(): boolean {
    return this.#server !== undefined && !this.#shuttingDown && this.pool.available().length > 0;
  }

  /**
   * Starts health checks and binds the listener; requests are served from the return on.
   * @param signal aborting it starts the graceful shutdown.
   * @throws {Deno.errors.AddrInUse} when the port is taken (health checks are stopped again).
   * @throws {Error} when called twice.
   */
  start(signal: AbortSignal): void {
    if (this.#server) throw new Error("App is already started");
    const config = this.#config;
    const handler = compose(
      [
        requestId(),
        accessLog(),
        recover({ retryAfterSeconds: Math.max(1, Math.ceil(config.health.intervalMs / 1000)) }),
      ],
      createDirector({
        pool: this.pool,
        strategy: this.strategy,
        transport: this.#transport,
        timeoutMs: config.timeouts.backendMs,
        preserveHost: config.proxy.preserveHost,
        shutdownSignal: this.#hardStop.signal,
        retries: config.proxy.retries,
        retryBufferBytes: config.proxy.retryBufferBytes,
      }),
    );
    this.#checker.start();
    try {
      this.#server = listen(handler, { hostname: config.host, port: config.port });
    } catch (error) {
      void this.#checker.stop();
      this.#transport.close();
      throw error;
    }
    const { hostname, port } = this.#server.addr;
    logger.info("Sluice listening on http://{address}:{port} ({count} upstream(s), {strategy})", {
      address: hostname,
      port,
      count: this.pool.size,
      strategy: this.strategy.name,
    });
    if (signal.aborted) void this.#shutdown();
    else signal.addEventListener("abort", () => void this.#shutdown(), { once: true });
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
      logger.info("Shutdown complete");
    } catch (error) {
      logger.error("Error during shutdown: {error}", { error });
    } finally {
      this.#transport.close();
      this.#finished.resolve();
    }
  }
}
