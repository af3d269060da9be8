/**
 * The proxy's own HTTP/1.1 listener over `Deno.listen`: Sluice owns the client sockets, so it
 * can bound the time a client takes (header, body, idle timeouts), cap the connections, and
 * survive running out of file descriptors.
 *
 * @module
 */

import { getLogger } from "@logtape/logtape";
import { trace, type Tracer } from "@opentelemetry/api";
import type { Handler } from "../middleware/mod.ts";
import { Http1Connection } from "./http1/connection.ts";
import { plainResponse } from "./http1/write_response.ts";
import type { Listener, ListenerStats } from "./listener.ts";

const logger = getLogger(["sluice", "server"]);

/** Options of {@linkcode Http1Listener}. */
export interface Http1ListenerOptions {
  /** Address to bind, e.g. `"0.0.0.0"` or `"127.0.0.1"`. */
  hostname: string;
  /** TCP port, 0 for any free one. */
  port: number;
  /** The whole request head must arrive within this, ms, else 408 and close. @default 10000 */
  headerTimeoutMs?: number;
  /** Longest wait for the next bytes of a request body, ms, else 408. @default 60000 */
  bodyTimeoutMs?: number;
  /** An idle keep-alive connection is closed after this, ms. @default 60000 */
  idleTimeoutMs?: number;
  /**
   * A write to the client that makes no progress for this long closes the connection, ms (the
   * request is a client abort, 499; nginx `send_timeout`, HAProxy `timeout client`); 0: never.
   * @default 60000
   */
  sendTimeoutMs?: number;
  /** Client connections open at once; past it new ones get a 503 and are closed. @default 10000 */
  maxConnections?: number;
  /** Largest request head, bytes (request line and fields): past it 414 or 431. @default 65536 */
  maxHeadBytes?: number;
  /** An upgrade tunnel idle in both directions this long is closed, ms. @default 3600000 */
  tunnelTimeoutMs?: number;
  /** Called each time accepting a connection failed (EMFILE…); must not throw. */
  onAcceptError?: (error: unknown) => void;
  /**
   * Certificate chain and key (PEM): HTTPS over `Deno.listenTls`, HTTP/1.1 only (ALPN
   * `http/1.1`). @default plain HTTP
   */
  tls?: { cert: string; key: string } | undefined;
}

/** Wait after an accept failed for lack of file descriptors, first and longest, ms. */
const ACCEPT_BACKOFF_MS = [10, 1000] as const;
/** At most one EMFILE error line in the log per this interval, ms. */
const ACCEPT_LOG_INTERVAL_MS = 10_000;

/**
 * A {@linkcode Listener} that parses HTTP/1.1 itself (see `http1/parse_head.ts` for the
 * strictness) over `Deno.listen` (`Deno.listenTls` gives a `Deno.Listener` of `Deno.TlsConn`
 * that fits the same accept loop). Keep-alive per RFC 9112 §9.3, pipelined requests answered
 * in order, `Expect: 100-continue` answered when the handler first reads the body, chunked
 * request bodies with trailers dropped.
 *
 * Timeouts are enforced by one coarse sweep over the connections (a tenth of the shortest
 * timeout, between 10 ms and 1 s), not a timer per read or write: nginx `client_header_timeout`,
 * `client_body_timeout`, `keepalive_timeout`, `send_timeout`; HAProxy `timeout http-request`,
 * `timeout client`, `maxconn`.
 */
export class Http1Listener implements Listener {
  #listener: Deno.Listener<Deno.TcpConn | Deno.TlsConn, Deno.NetAddr>;
  /** What {@linkcode replaceCertificate} needs to listen again (TLS only). */
  #relisten: ((tls: { cert: string; key: string }) => Deno.TlsListener) | undefined;
  #settings: ConstructorParameters<typeof Http1Connection>[1];
  readonly #connections = new Set<Http1Connection>();
  readonly #finished = Promise.withResolvers<void>();
  readonly #maxConnections: number;
  readonly #onAcceptError: ((error: unknown) => void) | undefined;
  readonly #sweep: ReturnType<typeof setInterval>;
  /**
   * The timeouts' clock, ms (`settings.now()`, read by connections): each sweep advances it by
   * the time since the previous sweep, but by at most two sweep intervals, so a stall of the
   * event loop or of the whole process (a loaded machine, a long pause) counts at most that much
   * against a client's deadlines: time the proxy could not serve is not time the client wasted.
   */
  #now = performance.now();
  /** `performance.now()` of the last sweep. */
  #swept = this.#now;
  /** Interval of the deadline sweep, ms. */
  #tick = 0;
  #refused = 0;
  #tunnels = 0;
  #acceptErrors = 0;
  #lastAcceptLog = -Infinity;
  #shuttingDown = false;
  #acceptDone: Promise<void>;
  #drained: PromiseWithResolvers<void> | undefined;

  /**
   * Binds and starts accepting.
   * @param handler the composed middleware chain.
   * @param options address, port, timeouts and limits.
   * @throws {Deno.errors.AddrInUse} when the port is taken.
   * @throws {Deno.errors.NotCapable} when `--allow-net` does not cover the address.
   * @throws {RangeError} when a timeout or limit is negative.
   */
  constructor(handler: Handler, options: Http1ListenerOptions) {
    const headerTimeoutMs = options.headerTimeoutMs ?? 10_000;
    const bodyTimeoutMs = options.bodyTimeoutMs ?? 60_000;
    const idleTimeoutMs = options.idleTimeoutMs ?? 60_000;
    const sendTimeoutMs = options.sendTimeoutMs ?? 60_000;
    const timeouts = { headerTimeoutMs, bodyTimeoutMs, idleTimeoutMs, sendTimeoutMs };
    for (const [name, value] of Object.entries(timeouts)) {
      if (!(value >= 0)) throw new RangeError(`${name} must be >= 0: current value is ${value}`);
    }
    this.#maxConnections = options.maxConnections ?? 10_000;
    this.#onAcceptError = options.onAcceptError;
    const tls = options.tls;
    // With TLS the socket is bound with reusePort, so that replaceCertificate() can listen anew
    // on the same port before closing this one (unstable net API, enabled in deno.json).
    const listenTls = (pair: { cert: string; key: string }, port: number) =>
      Deno.listenTls({
        hostname: options.hostname,
        port,
        cert: pair.cert,
        key: pair.key,
        alpnProtocols: ["http/1.1"],
        reusePort: true,
      });
    this.#listener = tls
      ? listenTls(tls, options.port)
      : Deno.listen({ hostname: options.hostname, port: options.port });
    if (tls) this.#relisten = (pair) => listenTls(pair, this.#listener.addr.port);
    const fallbackAuthority = `localhost:${this.#listener.addr.port}`;
    const settings = {
      handler,
      fallbackAuthority,
      protocol: tls ? "https" as const : "http" as const,
      headerTimeoutMs,
      bodyTimeoutMs,
      idleTimeoutMs,
      sendTimeoutMs,
      maxHeadBytes: options.maxHeadBytes ?? 64 * 1024,
      tunnelTimeoutMs: options.tunnelTimeoutMs ?? 3_600_000,
      tracer: platformTracer(),
      onTunnel: (delta: 1 | -1) => {
        this.#tunnels += delta;
      },
      now: () => this.#now,
      onClose: (connection: Http1Connection) => {
        this.#connections.delete(connection);
        if (this.#drained && this.#connections.size === 0) this.#drained.resolve();
      },
    };
    const shortest = Math.min(
      ...Object.values(timeouts).filter((ms) => ms > 0),
      10_000,
    );
    const tick = Math.min(1000, Math.max(10, Math.floor(shortest / 10)));
    this.#tick = tick;
    this.#sweep = setInterval(() => this.#expire(), tick);
    this.#settings = settings;
    this.#acceptDone = this.#acceptLoop(settings, this.#listener);
  }

  /**
   * Serves new connections with another certificate: a new `Deno.listenTls` on the same port
   * (`reusePort`) takes over accepting, then the old listener closes; connections open keep
   * theirs.
   * @param tls the new certificate chain and key (PEM), already checked to match.
   * @throws {Error} when the listener has no TLS; what `Deno.listenTls` throws (the old
   *   certificate is then still served).
   */
  replaceCertificate(tls: { cert: string; key: string }): void {
    if (this.#relisten === undefined) throw new Error("the http1 listener has no TLS");
    if (this.#shuttingDown) return;
    const next = this.#relisten(tls);
    const old = this.#listener;
    this.#listener = next;
    const loops = [this.#acceptDone, this.#acceptLoop(this.#settings, next)];
    this.#acceptDone = Promise.all(loops).then(() => {});
    try {
      old.close();
    } catch { /* already closed */ }
  }

  /** @inheritdoc */
  get addr(): Deno.NetAddr {
    return this.#listener.addr;
  }

  /** @inheritdoc */
  get finished(): Promise<void> {
    return this.#finished.promise;
  }

  /** @inheritdoc */
  stats(): ListenerStats {
    return {
      connections: this.#connections.size,
      refused: this.#refused,
      acceptErrors: this.#acceptErrors,
      tunnels: this.#tunnels,
    };
  }

  /** @inheritdoc */
  async shutdown(): Promise<void> {
    if (!this.#shuttingDown) {
      this.#shuttingDown = true;
      try {
        this.#listener.close();
      } catch { /* already closed */ }
      await this.#acceptDone;
      this.#drained = Promise.withResolvers<void>();
      if (this.#connections.size === 0) this.#drained.resolve();
      for (const connection of [...this.#connections]) connection.drain();
      void this.#drained.promise.then(() => {
        clearInterval(this.#sweep);
        this.#finished.resolve();
      });
    }
    await this.#finished.promise;
  }

  /**
   * Closes every connection now, whatever it is doing (after the shutdown grace period).
   */
  closeAll(): void {
    for (const connection of [...this.#connections]) connection.destroy();
  }

  #expire(): void {
    const real = performance.now();
    const now = this.#now += Math.min(real - this.#swept, 2 * this.#tick);
    this.#swept = real;
    for (const connection of this.#connections) {
      if (now >= connection.deadline || now >= connection.sendDeadline) connection.expire(now);
    }
  }

  async #acceptLoop(
    settings: ConstructorParameters<typeof Http1Connection>[1],
    listener: Deno.Listener<Deno.TcpConn | Deno.TlsConn, Deno.NetAddr>,
  ): Promise<void> {
    let backoff: number = ACCEPT_BACKOFF_MS[0];
    for (;;) {
      let conn: Deno.TcpConn | Deno.TlsConn;
      try {
        conn = await listener.accept();
      } catch (error) {
        if (this.#shuttingDown || error instanceof Deno.errors.BadResource) return;
        if (!isOutOfDescriptors(error)) {
          logger.error("Accepting a client connection failed: {error}", { error });
          if (error instanceof Deno.errors.Interrupted) continue;
        }
        this.#acceptErrors++;
        this.#onAcceptError?.(error);
        const now = performance.now();
        if (now - this.#lastAcceptLog >= ACCEPT_LOG_INTERVAL_MS) {
          this.#lastAcceptLog = now;
          logger.error(
            "Out of file descriptors accepting client connections ({count} so far): retrying; " +
              "raise the open files limit (ulimit -n) or lower limits.max_client_connections",
            { count: this.#acceptErrors, error, connections: this.#connections.size },
          );
        }
        await new Promise((resolve) => setTimeout(resolve, backoff));
        backoff = Math.min(ACCEPT_BACKOFF_MS[1], backoff * 2);
        continue;
      }
      backoff = ACCEPT_BACKOFF_MS[0];
      if (this.#connections.size >= this.#maxConnections) {
        this.#refused++;
        void refuse(conn);
        continue;
      }
      try {
        if ("setNoDelay" in conn) conn.setNoDelay(true);
      } catch { /* closed already */ }
      const connection = new Http1Connection(conn, settings);
      this.#connections.add(connection);
      void connection.serve();
    }
  }
}

const REFUSED = plainResponse(503, "too many client connections");

/** Answers a connection past the cap with a 503 (a client that already wrote its request reads it) and closes it. */
async function refuse(conn: Deno.Conn): Promise<void> {
  try {
    await conn.write(REFUSED);
  } catch { /* gone */ }
  try {
    conn.close();
  } catch { /* gone */ }
}

/** EMFILE/ENFILE: the process or the system is out of file descriptors. */
function isOutOfDescriptors(error: unknown): boolean {
  return error instanceof Error && /os error 2[34]\b|too many open files/i.test(error.message);
}

/**
 * The tracer for server spans when Deno's OpenTelemetry records spans (`OTEL_DENO=true`), else
 * `undefined` (no span work per request).
 */
function platformTracer(): Tracer | undefined {
  const tracer = trace.getTracer("sluice");
  // Never ended, so never exported: it only asks whether spans are recorded at all.
  const recording = tracer.startSpan("sluice.listener.probe").isRecording();
  return recording ? tracer : undefined;
}
