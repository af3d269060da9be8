/**
 * `Deno.serve` that survives failures to accept connections (EMFILE) instead of crashing.
 *
 * @module
 */

import { getLogger } from "@logtape/logtape";

const logger = getLogger(["sluice", "server"]);

/** Options of {@linkcode serveResiliently}. */
export interface ResilientServeOptions {
  /** Address to bind, e.g. `"0.0.0.0"` or `"127.0.0.1"`. */
  hostname: string;
  /** TCP port, 0 for any free one. */
  port: number;
  /** What the server is, for logs, e.g. `"proxy"`, `"admin"`. */
  name: string;
  /** `Deno.serve`'s handler of errors thrown by the handler. @default Deno's (500) */
  onError?: (error: unknown) => Response | Promise<Response>;
  /**
   * Called each time accepting a connection failed (EMFILE "Too many open files", ENFILE…);
   * the server accepts again after a back-off. Must not throw.
   */
  onAcceptError?: (error: unknown) => void;
  /**
   * Longest pause before accepting again after a failure, ms (it starts at a tenth of it and
   * doubles). @default 1000
   */
  maxAcceptBackoffMs?: number;
  /** Shortest time between two error logs of accept failures, ms. @default 10000 */
  acceptErrorLogIntervalMs?: number;
  /**
   * Certificate chain and key (PEM): HTTPS, with HTTP/2 and HTTP/1.1 by ALPN. The socket is
   * then bound with `reusePort` (Linux), so that {@linkcode ResilientServer.replaceCertificate}
   * can listen anew on the same port before the old listener closes. @default plain HTTP
   */
  tls?: { cert: string; key: string };
}

/** A running {@linkcode serveResiliently}. */
export interface ResilientServer {
  /** The bound address (the port stays the same across accept restarts). */
  readonly addr: Deno.NetAddr;
  /**
   * Stops accepting and resolves when the requests in flight have finished (graceful).
   * Idempotent.
   */
  shutdown(): Promise<void>;
  /** Resolves once `shutdown` has completed. */
  readonly finished: Promise<void>;
  /**
   * Serves new connections with another certificate: a new `Deno.serve` listens on the same
   * port (`reusePort`), then the old ones shut down gracefully (requests in flight finish,
   * idle connections close). For a server started with `tls` only.
   * @param tls the new certificate chain and key (PEM), already checked to match.
   * @throws what `Deno.serve` throws; the old certificate is then still served.
   */
  replaceCertificate(tls: { cert: string; key: string }): void;
}

/**
 * `Deno.serve(options, handler)` that never takes the process down when a connection cannot be
 * accepted. `Deno.serve` (Deno 2.9.6) ends its accept loop at the first failure to accept — EMFILE
 * when the process is out of file descriptors — and rejects its `finished` with it, which
 * crashes the process as an unhandled rejection ("Uncaught (in promise) Http: Error: Too many
 * open files (os error 24)"); the connections it already holds keep being served. Here the
 * failure is counted (`onAcceptError`), logged at error level at most once per
 * `acceptErrorLogIntervalMs` (with the number of failures in between), and after a back-off
 * (100 ms doubling to 1 s, like hyper's `sleep_on_errors`) a new `Deno.serve` listens on the
 * same address; the old one is kept, for the connections it still serves, until shutdown.
 *
 * @param options address, name and the accept-failure hooks.
 * @param handler the request handler.
 * @returns the running server.
 * @throws {Deno.errors.AddrInUse} when the port is taken.
 * @throws {Deno.errors.NotCapable} when `--allow-net` does not cover the address.
 */
export function serveResiliently(
  options: ResilientServeOptions,
  handler: Deno.ServeHandler<Deno.NetAddr>,
): ResilientServer {
  return new Resilient(options, handler);
}

class Resilient implements ResilientServer {
  readonly #handler: Deno.ServeHandler<Deno.NetAddr>;
  readonly #options: ResilientServeOptions;
  readonly #maxBackoffMs: number;
  readonly #logIntervalMs: number;
  readonly #servers = new Set<Deno.HttpServer<Deno.NetAddr>>();
  readonly #finished = Promise.withResolvers<void>();
  readonly addr: Deno.NetAddr;
  #stopping: Promise<void> | undefined;
  #retry: ReturnType<typeof setTimeout> | undefined;
  #backoffMs = 0;
  #lastLogAt = -Infinity;
  #unlogged = 0;
  #tls: { cert: string; key: string } | undefined;

  constructor(options: ResilientServeOptions, handler: Deno.ServeHandler<Deno.NetAddr>) {
    this.#handler = handler;
    this.#options = options;
    this.#maxBackoffMs = options.maxAcceptBackoffMs ?? 1000;
    this.#logIntervalMs = options.acceptErrorLogIntervalMs ?? 10_000;
    this.#tls = options.tls;
    const server = this.#serve(options.port);
    this.addr = server.addr;
  }

  get finished(): Promise<void> {
    return this.#finished.promise;
  }

  shutdown(): Promise<void> {
    return this.#stopping ??= (async () => {
      clearTimeout(this.#retry);
      // A server whose accept loop failed has settled `finished`; its shutdown still drains
      // the connections it holds.
      await Promise.all([...this.#servers].map((s) => s.shutdown().catch(() => {})));
      this.#finished.resolve();
    })();
  }

  replaceCertificate(tls: { cert: string; key: string }): void {
    if (this.#tls === undefined) throw new Error(`the ${this.#options.name} server has no TLS`);
    if (this.#stopping) return;
    const old = [...this.#servers];
    const previous = this.#tls;
    this.#tls = tls;
    try {
      this.#serve(this.addr.port);
    } catch (error) {
      this.#tls = previous;
      throw error;
    }
    for (const server of old) void server.shutdown().catch(() => {});
  }

  #serve(port: number): Deno.HttpServer<Deno.NetAddr> {
    const onError = this.#options.onError;
    const tls = this.#tls;
    const server = Deno.serve({
      hostname: this.#options.hostname,
      port,
      onListen() {},
      ...(onError ? { onError } : {}),
      ...(tls ? { cert: tls.cert, key: tls.key, reusePort: true } : {}),
    }, this.#handler);
    this.#servers.add(server);
    server.finished.then(
      () => this.#servers.delete(server),
      (error) => this.#acceptFailed(error),
    );
    return server;
  }

  #acceptFailed(error: unknown): void {
    if (this.#stopping) return;
    this.#options.onAcceptError?.(error);
    this.#log(error);
    this.#backoffMs = Math.min(
      this.#maxBackoffMs,
      this.#backoffMs === 0 ? this.#maxBackoffMs / 10 : this.#backoffMs * 2,
    );
    this.#retry = setTimeout(() => this.#listenAgain(), this.#backoffMs);
  }

  #listenAgain(): void {
    this.#retry = undefined;
    if (this.#stopping) return;
    try {
      this.#serve(this.addr.port);
      this.#backoffMs = 0;
      logger.info("The {name} server accepts connections again on {address}:{port}", {
        name: this.#options.name,
        address: this.addr.hostname,
        port: this.addr.port,
      });
    } catch (error) {
      // Still out of descriptors (the socket itself could not be made), or the port was taken.
      this.#acceptFailed(error);
    }
  }

  #log(error: unknown): void {
    const now = performance.now();
    if (now - this.#lastLogAt < this.#logIntervalMs) {
      this.#unlogged++;
      return;
    }
    logger.error(
      "The {name} server cannot accept connections: {error} ({suppressed} more failure(s) since " +
        "the last report); " +
        "serving the open connections, accepting again in {backoffMs}ms. Raise the open files " +
        "limit (ulimit -n, docker --ulimit nofile=…)",
      {
        name: this.#options.name,
        error: String(error),
        suppressed: this.#unlogged,
        backoffMs: this.#backoffMs,
      },
    );
    this.#lastLogAt = now;
    this.#unlogged = 0;
  }
}
