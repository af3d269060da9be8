/**
 * Upstream servers for the chaos suite that fail the way real servers do: slowly, by hanging,
 * by closing the connection in the middle of a response or after reading a request without
 * answering, by answering 500, by dying with connections open and coming back on the same port,
 * and by flapping between the two.
 *
 * They speak a minimal HTTP/1.1 (keep-alive, Content-Length and chunked request bodies,
 * Content-Length responses) over raw `Deno.listen` TCP, because `Deno.serve` cannot cut a
 * response short or drop a connection without answering. Every server counts the requests it
 * read and the _receipts_ — requests read whole, body included — by `X-Request-Id`, which Sluice
 * forwards, so a test can tell whether a request reached an upstream and how often.
 *
 * @module
 */

import { writeAll } from "../_bytes.ts";

/**
 * How a {@linkcode ChaosUpstream} answers, switchable at run time:
 *
 * | mode | answer |
 * | --- | --- |
 * | `ok` | `200` at once, body: the server's name |
 * | `slow` | `200` after `slowMs` |
 * | `hang` | nothing, until {@linkcode ChaosUpstream.release} (then `200`) or the connection closes |
 * | `reset-mid-body` | `200` headers with `Content-Length: 1024` and 100 bytes of body, then the connection is closed |
 * | `reset-after-body` | reads the whole request (a receipt), then closes the connection without a response |
 * | `error500` | `500` at once |
 *
 * The "resets" close the socket (a FIN, as a crashing process gives; Deno has no `SO_LINGER`
 * for a RST): to the client it is the same "connection closed before the message completed".
 */
export type ChaosMode =
  | "ok"
  | "slow"
  | "hang"
  | "reset-mid-body"
  | "reset-after-body"
  | "error500";

/** Options of {@linkcode startChaosUpstream}. */
export interface ChaosUpstreamOptions {
  /** Name answered in the body and the `X-Upstream` header. @default "upstream" */
  name?: string;
  /** Initial mode. @default "ok" */
  mode?: ChaosMode;
  /** Delay of the `slow` mode, ms. @default 100 */
  slowMs?: number;
  /** Port on 127.0.0.1; 0 picks a free one. @default 0 */
  port?: number;
}

/** A running {@linkcode ChaosUpstream.flap}: stop it to leave the upstream alive. */
export interface Flapping extends AsyncDisposable {
  /** Deaths and restarts so far. */
  readonly transitions: number;
  /** Stops flapping and restarts the upstream if it is dead. Idempotent. */
  stop(): Promise<void>;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const CRLF_CRLF = [13, 10, 13, 10] as const;

/**
 * A controllable HTTP/1.1 upstream on 127.0.0.1. Create it with
 * {@linkcode startChaosUpstream}.
 */
export class ChaosUpstream implements AsyncDisposable {
  /** Name answered in bodies and `X-Upstream`. */
  readonly name: string;
  /** Delay of the `slow` mode, ms. */
  slowMs: number;
  /** Requests whose head was read, in any mode. */
  requests = 0;
  /** Responses written in full. */
  responses = 0;
  /** Requests read whole (head and body), per `X-Request-Id` (requests without one are not counted). */
  readonly receipts: Map<string, number> = new Map();
  readonly #port: number;
  #mode: ChaosMode;
  #listener: Deno.TcpListener | undefined;
  #accepting: Promise<void> = Promise.resolve();
  readonly #connections = new Set<Deno.TcpConn>();
  readonly #handlers = new Set<Promise<void>>();
  readonly #waiters = new Set<() => void>();
  /** Resolved by release(): hanging requests answer. */
  #released = Promise.withResolvers<void>();
  #hanging = 0;
  #inFlight = 0;
  /** Aborted by kill(): ends `slow` delays at once. */
  #lifetime = new AbortController();
  #closed = false;

  /** @param options name, mode, slow delay and port. */
  constructor(options: ChaosUpstreamOptions = {}) {
    this.name = options.name ?? "upstream";
    this.#mode = options.mode ?? "ok";
    this.slowMs = options.slowMs ?? 100;
    this.#listen(options.port ?? 0);
    this.#port = this.#listener!.addr.port;
  }

  /** Port on 127.0.0.1, the same across restarts. */
  get port(): number {
    return this.#port;
  }

  /** Origin, e.g. `http://127.0.0.1:41234`. */
  get url(): string {
    return `http://127.0.0.1:${this.#port}`;
  }

  /** Whether it listens (not killed). */
  get alive(): boolean {
    return this.#listener !== undefined;
  }

  /** Connections open now, idle keep-alive ones included. */
  get connections(): number {
    return this.#connections.size;
  }

  /** How requests are answered from now on. */
  get mode(): ChaosMode {
    return this.#mode;
  }

  /** A change applies to requests read from then on; requests hanging keep hanging. */
  set mode(mode: ChaosMode) {
    this.#mode = mode;
  }

  /**
   * Requests hanging now: read, unanswered, their connection still open. Once the client (Sluice)
   * has given up on them, it must have closed the connection, so a count that stays above 0
   * is a socket the client leaked.
   */
  get hanging(): number {
    return this.#hanging;
  }

  /** Requests read and not yet answered in full or given up on (slow, hanging, being read). */
  get inFlight(): number {
    return this.#inFlight;
  }

  /** Answers every request hanging now with `200`. */
  release(): void {
    this.#released.resolve();
    this.#released = Promise.withResolvers<void>();
  }

  /** Total receipts over every request id. */
  get receiptsTotal(): number {
    let total = 0;
    for (const count of this.receipts.values()) total += count;
    return total;
  }

  /**
   * Resolves once `predicate` holds, checked at every change of the counters (a request read,
   * answered or given up; a hang beginning or ending); rejects after `timeoutMs`.
   * @param predicate the condition, e.g. `() => upstream.hanging === 0`.
   * @param timeoutMs bound on the wait, ms.
   * @param what description for the timeout error.
   */
  waitUntil(predicate: () => boolean, timeoutMs: number, what: string): Promise<void> {
    if (predicate()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const check = () => {
        if (!predicate()) return;
        clearTimeout(timer);
        this.#waiters.delete(check);
        resolve();
      };
      const timer = setTimeout(() => {
        this.#waiters.delete(check);
        reject(
          new Error(
            `upstream ${this.name}: not ${what} within ${timeoutMs}ms (${this.requests} ` +
              `requests, ${this.#inFlight} in flight, ${this.#hanging} hanging)`,
          ),
        );
      }, timeoutMs);
      this.#waiters.add(check);
    });
  }

  #changed(): void {
    for (const check of this.#waiters) check();
  }

  /**
   * Dies like a killed process: stops listening (new connections are refused) and closes every
   * open connection, in whatever state its request is.
   * @returns once every connection handler has ended.
   */
  async kill(): Promise<void> {
    const listener = this.#listener;
    if (listener === undefined) return;
    this.#listener = undefined;
    listener.close();
    this.#lifetime.abort();
    for (const conn of this.#connections) closeQuietly(conn);
    await this.#accepting;
    await Promise.all(this.#handlers);
  }

  /**
   * Comes back on the same port after {@linkcode kill}; does nothing when alive.
   * @throws {Error} after {@linkcode close}.
   */
  restart(): void {
    if (this.#closed) throw new Error(`upstream ${this.name} is closed`);
    if (this.#listener !== undefined) return;
    this.#lifetime = new AbortController();
    this.#listen(this.#port);
  }

  /**
   * Alternates {@linkcode kill} and {@linkcode restart} every `periodMs`, starting with a kill
   * one period from now.
   * @param periodMs time between transitions, ms.
   * @param onTransition told after each transition whether the upstream is now alive.
   * @returns the running flap; stop it (or dispose of it) to end with the upstream alive.
   */
  flap(periodMs: number, onTransition?: (alive: boolean) => void): Flapping {
    let transitions = 0;
    let chain = Promise.resolve();
    let stopped = false;
    const timer = setInterval(() => {
      chain = chain.then(async () => {
        if (stopped) return;
        if (this.alive) await this.kill();
        else this.restart();
        transitions++;
        onTransition?.(this.alive);
      });
    }, periodMs);
    const stop = async () => {
      stopped = true;
      clearInterval(timer);
      await chain;
      if (!this.#closed) this.restart();
    };
    return {
      get transitions() {
        return transitions;
      },
      stop,
      [Symbol.asyncDispose]: stop,
    };
  }

  /** Stops for good (as {@linkcode kill}, and releases hanging requests). Idempotent. */
  async close(): Promise<void> {
    this.#closed = true;
    await this.kill();
  }

  /** Closes the upstream. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  #listen(port: number): void {
    const listener = Deno.listen({ hostname: "127.0.0.1", port });
    this.#listener = listener;
    this.#accepting = this.#accept(listener);
  }

  async #accept(listener: Deno.TcpListener): Promise<void> {
    try {
      for await (const conn of listener) {
        if (this.#listener !== listener) {
          closeQuietly(conn);
          break;
        }
        this.#connections.add(conn);
        const handler = this.#serve(conn).finally(() => {
          this.#connections.delete(conn);
          this.#handlers.delete(handler);
          closeQuietly(conn);
        });
        this.#handlers.add(handler);
      }
    } catch {
      // The listener was closed by kill().
    }
  }

  async #serve(conn: Deno.TcpConn): Promise<void> {
    const reader = new ConnReader(conn);
    try {
      for (;;) {
        const head = await reader.readHead();
        if (head === null) return;
        this.requests++;
        this.#inFlight++;
        this.#changed();
        let keepOpen: boolean;
        try {
          keepOpen = await this.#answer(conn, reader, parseHead(head));
        } finally {
          this.#inFlight--;
          this.#changed();
        }
        if (!keepOpen) return;
      }
    } catch {
      // Connection closed by the peer or by kill(): nothing to answer.
    }
  }

  /** Reads the body and answers as the mode says; false to close the connection. */
  async #answer(conn: Deno.TcpConn, reader: ConnReader, request: RequestHead): Promise<boolean> {
    await reader.readBody(request);
    if (request.requestId !== undefined) {
      this.receipts.set(request.requestId, (this.receipts.get(request.requestId) ?? 0) + 1);
    }
    let mode = this.#mode;
    if (mode === "hang") {
      // Answer nothing until released; the client closing the connection ends the wait.
      this.#hanging++;
      this.#changed();
      const released = this.#released.promise.then(() => true);
      const answer = await Promise.race([released, reader.closed()]).finally(() => {
        this.#hanging--;
        this.#changed();
      });
      if (!answer) return false;
      mode = "ok";
    }
    switch (mode) {
      case "reset-after-body":
        return false;
      case "reset-mid-body":
        await writeAll(conn, response(200, this.name, "x".repeat(100), 1024));
        return false;
      case "slow":
        if (!await delay(this.slowMs, this.#lifetime.signal)) return false;
        break;
      default:
        break;
    }
    const status = mode === "error500" ? 500 : 200;
    const body = status === 200 ? this.name : `error from ${this.name}`;
    await writeAll(conn, response(status, this.name, body));
    this.responses++;
    return !request.close;
  }
}

/**
 * Starts a {@linkcode ChaosUpstream} on 127.0.0.1.
 * @param options name, mode, slow delay and port.
 * @returns the running upstream; dispose of it (or `close()`) to stop it.
 * @throws {Deno.errors.AddrInUse} when `options.port` is taken.
 * @example
 * ```ts
 * await using upstream = startChaosUpstream({ name: "b" });
 * upstream.mode = "hang";
 * await upstream.kill();
 * upstream.restart();
 * ```
 */
export function startChaosUpstream(options: ChaosUpstreamOptions = {}): ChaosUpstream {
  return new ChaosUpstream(options);
}

/**
 * Starts `count` upstreams named `a`, `b`, `c`, … in mode `ok`, disposed of together.
 * @param count how many.
 * @param options applied to each (a name is ignored).
 * @returns the upstreams as an array that is also `AsyncDisposable`.
 */
export function startChaosUpstreams(
  count: number,
  options: Omit<ChaosUpstreamOptions, "name" | "port"> = {},
): ChaosUpstream[] & AsyncDisposable {
  const upstreams: ChaosUpstream[] = [];
  for (let i = 0; i < count; i++) {
    upstreams.push(startChaosUpstream({ ...options, name: String.fromCharCode(97 + i) }));
  }
  return Object.assign(upstreams, {
    async [Symbol.asyncDispose]() {
      await Promise.all(upstreams.map((upstream) => upstream.close()));
    },
  });
}

interface RequestHead {
  contentLength: number;
  chunked: boolean;
  requestId: string | undefined;
  /** `Connection: close` was asked for. */
  close: boolean;
}

function parseHead(head: string): RequestHead {
  const result: RequestHead = {
    contentLength: 0,
    chunked: false,
    requestId: undefined,
    close: false,
  };
  const lines = head.split("\r\n");
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!;
    const colon = line.indexOf(":");
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    if (name === "content-length") result.contentLength = Number(value);
    else if (name === "transfer-encoding") result.chunked = /chunked/i.test(value);
    else if (name === "x-request-id") result.requestId = value;
    else if (name === "connection") result.close = /close/i.test(value);
  }
  return result;
}

function response(status: number, name: string, body: string, contentLength?: number): Uint8Array {
  const bytes = encoder.encode(body);
  const reason = status === 200 ? "OK" : "Internal Server Error";
  const head = `HTTP/1.1 ${status} ${reason}\r\ncontent-type: text/plain\r\n` +
    `content-length: ${contentLength ?? bytes.length}\r\nx-upstream: ${name}\r\n\r\n`;
  const headBytes = encoder.encode(head);
  const out = new Uint8Array(headBytes.length + bytes.length);
  out.set(headBytes);
  out.set(bytes, headBytes.length);
  return out;
}

/** Buffered reads from one connection, with at most one read outstanding. */
class ConnReader {
  readonly #conn: Deno.TcpConn;
  #data = new Uint8Array(0);
  #offset = 0;
  #pending: Promise<boolean> | undefined;

  constructor(conn: Deno.TcpConn) {
    this.#conn = conn;
  }

  /** The head up to (without) its blank line, or `null` at a clean end of the connection. */
  async readHead(): Promise<string | null> {
    for (;;) {
      const end = indexOf(this.#data, CRLF_CRLF, this.#offset);
      if (end >= 0) {
        const head = decoder.decode(this.#data.subarray(this.#offset, end));
        this.#offset = end + 4;
        return head;
      }
      if (!await this.#fill()) {
        if (this.#offset === this.#data.length) return null;
        throw new Error("connection closed in a request head");
      }
    }
  }

  /** Reads and discards the body the head announces. */
  async readBody(head: RequestHead): Promise<void> {
    if (!head.chunked) {
      await this.#skip(head.contentLength);
      return;
    }
    for (;;) {
      const line = await this.#readLine();
      const size = parseInt(line.split(";")[0]!, 16);
      if (!Number.isFinite(size)) throw new Error(`bad chunk size line ${JSON.stringify(line)}`);
      if (size === 0) {
        while (await this.#readLine() !== "") { /* trailers */ }
        return;
      }
      await this.#skip(size);
      await this.#readLine();
    }
  }

  /**
   * Resolves `false` once the peer has closed the connection (or it failed). Data that arrives
   * in the meantime is kept for the next read.
   */
  async closed(): Promise<false> {
    try {
      while (await this.#fill()) { /* keep what arrives */ }
    } catch { /* closed under us */ }
    return false;
  }

  async #readLine(): Promise<string> {
    for (;;) {
      const end = indexOf(this.#data, [13, 10], this.#offset);
      if (end >= 0) {
        const line = decoder.decode(this.#data.subarray(this.#offset, end));
        this.#offset = end + 2;
        return line;
      }
      if (!await this.#fill()) throw new Error("connection closed in a chunked body");
    }
  }

  async #skip(bytes: number): Promise<void> {
    while (this.#data.length - this.#offset < bytes) {
      if (!await this.#fill()) throw new Error("connection closed in a request body");
    }
    this.#offset += bytes;
  }

  /** One read into the buffer; false at the end of the connection. */
  #fill(): Promise<boolean> {
    return this.#pending ??= this.#read().finally(() => this.#pending = undefined);
  }

  async #read(): Promise<boolean> {
    const chunk = new Uint8Array(16 * 1024);
    const n = await this.#conn.read(chunk);
    if (n === null) return false;
    const rest = this.#data.subarray(this.#offset);
    const data = new Uint8Array(rest.length + n);
    data.set(rest);
    data.set(chunk.subarray(0, n), rest.length);
    this.#data = data;
    this.#offset = 0;
    return true;
  }
}

function indexOf(haystack: Uint8Array, needle: readonly number[], from: number): number {
  outer: for (let i = from; i + needle.length <= haystack.length; i++) {
    for (let j = 0; j < needle.length; j++) {
      if (haystack[i + j] !== needle[j]) continue outer;
    }
    return i;
  }
  return -1;
}

/** Resolves true after `ms`, or false as soon as `signal` aborts; the timer is always cleared. */
function delay(ms: number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const onAbort = () => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve(true);
    }, ms);
    signal.addEventListener("abort", onAbort, { once: true });
  });
}

function closeQuietly(conn: Deno.Conn): void {
  try {
    conn.close();
  } catch {
    // Already closed.
  }
}
