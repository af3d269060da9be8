/**
 * A pooled keep-alive HTTP/1.1 client over `Deno.connect`, the proxy's default transport.
 *
 * @module
 */

import { BODY_ARRAYS } from "../../net/body_array_pool.ts";
import { describeNetworkError } from "../../health/network_errors.ts";
import {
  ConnectFailedError,
  connectUpstream,
  UpstreamClosedError,
  type UpstreamTlsOptions,
} from "../../net/mod.ts";
import { type HeaderList, stripHopByHopFields } from "../headers.ts";
import {
  BODILESS_RESPONSES,
  BYTE_BODIES,
  type Transport,
  type UpstreamRequest,
  type UpstreamUpgrade,
} from "../transport.ts";
import { Cancellation } from "../cancellation.ts";
import { followToEnd } from "../follow_body.ts";
import { ContentLengthReader } from "./body_readers.ts";
import { clientResponse } from "./client_response.ts";
import { Http1Connection } from "./connection.ts";
import { ConnectionPool, type ConnectionPoolOptions } from "./connection_pool.ts";
import { MalformedResponseError } from "./errors.ts";
import {
  encodeLatin1Into,
  type RequestFraming,
  serializeRequestHead,
  writeRequestHead,
} from "./request_head.ts";
import type { ResponseHead } from "./response_head.ts";
import { WriteBuffers } from "../../net/mod.ts";
import { bodyReaderFor, ResponseHeadReader } from "./response_reader.ts";

/** Where to connect: an upstream origin. */
export interface ConnectTarget {
  /** Host name or IP address (IPv6 without brackets). */
  hostname: string;
  /** TCP port. */
  port: number;
  /** Whether to speak TLS (an `https:` upstream). */
  tls: boolean;
}

/** Options of {@linkcode Http1Transport}. */
export interface Http1TransportOptions extends ConnectionPoolOptions {
  /** Longest wait for a connection to open, ms (HAProxy `timeout connect`). @default 5000 */
  connectTimeoutMs?: number;
  /** Requests served over one connection before it is closed (nginx `keepalive_requests`). @default 1000 */
  maxRequestsPerConnection?: number;
  /** Response bodies with a Content-Length up to this are read whole before resolving, bytes. @default 65536 */
  wholeBodyMaxBytes?: number;
  /**
   * TLS settings for `https:` upstreams: CA bundle, SNI name, client certificate.
   * @default the system's roots, the URL's host, no client certificate
   */
  tls?: UpstreamTlsOptions;
  /** Opens connections (tests replace it). @default connectUpstream with `tls` */
  connect?: (target: ConnectTarget, signal: AbortSignal) => Promise<Deno.Conn>;
}

interface Origin extends ConnectTarget {
  key: string;
  /** `host[:port]` as in the URL, for the Host header. */
  authority: string;
  /** The key is an origin alone (no path, query or trailing `/`): a request's own is usable. */
  pathless: boolean;
}

/** How far one exchange got, for classifying its failure. */
interface ExchangeState {
  requestSent: boolean;
  responseStarted: boolean;
  bodyTouched: boolean;
  pumpDone: boolean;
  /** The pump stopped, done or not (or there was none). */
  pumpEnded: boolean;
  /** Set while a complete response waits for the pump: called with whether it finished. */
  afterPump: ((ok: boolean) => void) | undefined;
  sourceFailed: boolean;
  sourceError: unknown;
}

/** Thrown inside the transport: a reused connection turned out closed; try a fresh one. */
const STALE = Symbol("stale keep-alive connection");

/** Methods Go's net/http replays after a reused connection failed (plus a replayable body). */
const REPLAYABLE_METHODS: ReadonlySet<string> = new Set(["GET", "HEAD", "OPTIONS", "TRACE"]);

/** Bodies this small are sent in the same write as the head, bytes. */
const INLINE_BODY_BYTES = 16 * 1024;

/**
 * A pooled keep-alive HTTP/1.1 transport (RFC 9112) over `Deno.connect` (`Deno.connectTls`
 * for `https:` upstreams).
 *
 * - Requests go as given: method, the request target byte for byte, the headers of the list in
 *   order (nothing added but `Host` when absent, the body's framing, and `Connection: close`
 *   when the connection will carry no other request: no pool, or the last of
 *   `maxRequestsPerConnection`, RFC 9112 §9.6). Bodies: bytes with
 *   `Content-Length`; streams chunked, or raw when the list has a `Content-Length`; with
 *   backpressure (a chunk is read from the client only after the last was written).
 * - Responses are framed per RFC 9112 §6.3 (see {@linkcode parseResponseHead} for what is
 *   refused): HEAD, 204 and 304 without body; Content-Length; chunked (trailers dropped);
 *   close-delimited; 205 with an empty framed body (passed on without one, content refused).
 *   1xx interim responses are read and dropped (100 Continue, 103 Early Hints:
 *   `Deno.serve` cannot relay them); 101 is refused unless the request was an `upgrade`.
 *   Bodies with a Content-Length up to `wholeBodyMaxBytes` are read before resolving; others
 *   stream, one socket read per pull. Hop-by-hop fields (RFC 9110 §7.6.1) are removed from
 *   every response but a 101 (`clientReadyResponses`).
 * - Connections return to the pool only after a complete response whose framing ended where it
 *   said, with the request body fully sent, keep-alive (HTTP/1.1 without `Connection: close`,
 *   or HTTP/1.0 with `keep-alive`) and nothing buffered beyond it; never after an abort or an
 *   error. A request that fails on a reused connection before any response byte is retried once
 *   on a new connection when it is safe (Go net/http's rule: nothing of the body consumed and
 *   the method GET, HEAD, OPTIONS or TRACE, or an `Idempotency-Key`).
 * - Aborting `request.signal` closes the connection, before or during the body.
 *
 * Failures: {@linkcode ConnectFailedError} (not sent), {@linkcode UpstreamClosedError} (closed
 * or reset before a complete response), {@linkcode MalformedResponseError}, the request body's
 * own error when reading the client's body failed, or `signal.reason` after an abort.
 */
export class Http1Transport implements Transport {
  readonly #pool: ConnectionPool;
  readonly #connectTimeoutMs: number;
  readonly #maxRequests: number;
  readonly #wholeBodyMax: number;
  readonly #connect: (target: ConnectTarget, signal: AbortSignal) => Promise<Deno.Conn>;
  readonly #origins = new Map<string, Origin>();
  /** Connections busy with an exchange, closed by {@linkcode close}. */
  readonly #busy = new Set<Http1Connection>();
  /** Buffers the request heads are written from, reused once a write settled. */
  readonly #writeBuffers = new WriteBuffers();
  /** Each response is new, its headers editable, hop-by-hop fields removed. */
  readonly clientReadyResponses = true;
  /**
   * `parseResponseHead` refuses Content-Length with Transfer-Encoding, `ResponseHeadReader` a 101
   * to a request without an upgrade (MalformedResponseError, the connection closed).
   */
  readonly refusesInvalidResponses = true;

  /** @param options timeouts and pool limits. */
  constructor(options: Http1TransportOptions = {}) {
    this.#pool = new ConnectionPool(options);
    this.#connectTimeoutMs = options.connectTimeoutMs ?? 5000;
    this.#maxRequests = options.maxRequestsPerConnection ?? 1000;
    this.#wholeBodyMax = options.wholeBodyMaxBytes ?? 64 * 1024;
    const tls = options.tls ?? {};
    this.#connect = options.connect ??
      ((target, signal) => connectUpstream(target, tls, signal));
  }

  /** Idle pooled connections, all upstreams. */
  get idleConnections(): number {
    return this.#pool.idle;
  }

  /**
   * @inheritdoc
   * @throws {ConnectFailedError} the connection did not open.
   * @throws {UpstreamClosedError} closed or reset before the response head was complete.
   * @throws {MalformedResponseError} the response is not valid HTTP/1.1.
   */
  send(request: UpstreamRequest): Promise<Response> {
    // The exchange's own promise: no async wrapper, no outcome object to unwrap.
    return this.#exchange(request, false) as Promise<Response>;
  }

  /** @inheritdoc */
  upgrade(request: UpstreamRequest): Promise<UpstreamUpgrade> {
    return this.#exchange(request, true) as Promise<UpstreamUpgrade>;
  }

  /** @inheritdoc */
  close(): void {
    this.#pool.close();
    for (const conn of this.#busy) conn.close();
    this.#busy.clear();
  }

  /** One exchange: the response alone for `send`, an {@linkcode UpstreamUpgrade} for `upgrade`. */
  async #exchange(
    request: UpstreamRequest,
    upgrade: boolean,
  ): Promise<Response | UpstreamUpgrade> {
    const signal = request.signal;
    if (signal.aborted) throw signal.reason;
    const cancel = signal instanceof Cancellation ? signal : Cancellation.following(signal);
    // The caller's origin and target as given (forward's): no split of the URL it just joined,
    // no new key string to hash. A URL alone, or an "origin" with a path, is split here.
    const given = request.origin;
    let target = request.target;
    let origin = given === undefined
      ? undefined
      : this.#origins.get(given) ?? this.#addOrigin(given);
    if (origin === undefined || !origin.pathless || target === undefined) {
      const url = request.url;
      const schemeEnd = url.indexOf("://");
      const slash = url.indexOf("/", schemeEnd + 3);
      const key = slash < 0 ? url : url.slice(0, slash);
      target = slash < 0 ? "/" : url.slice(slash);
      origin = this.#origins.get(key) ?? this.#addOrigin(key);
    }
    const pooled = this.#pool.take(origin.key);
    if (pooled !== undefined) {
      try {
        return await this.#roundTrip(pooled, origin, target, request, cancel, upgrade, true);
      } catch (error) {
        if (error !== STALE) throw error;
      }
    }
    const fresh = await this.#open(origin, cancel);
    return await this.#roundTrip(fresh, origin, target, request, cancel, upgrade, false);
  }

  #addOrigin(key: string): Origin {
    const url = new URL(key);
    const tls = url.protocol === "https:";
    const hostname = url.hostname.startsWith("[") ? url.hostname.slice(1, -1) : url.hostname;
    const origin: Origin = {
      key,
      pathless: url.pathname === "/" && !key.endsWith("/") && url.search === "",
      hostname,
      port: url.port === "" ? (tls ? 443 : 80) : Number(url.port),
      tls,
      authority: url.host,
    };
    this.#origins.set(key, origin);
    return origin;
  }

  async #open(origin: Origin, cancel: Cancellation): Promise<Http1Connection> {
    const controller = new AbortController();
    cancel.closeOnCancel({ close: () => controller.abort() });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, this.#connectTimeoutMs);
    try {
      const conn = await this.#connect(origin, controller.signal);
      if (cancel.aborted) {
        conn.close();
        throw cancel.reason;
      }
      return new Http1Connection(conn, origin.key);
    } catch (error) {
      if (cancel.aborted) throw cancel.reason;
      const authority = `${origin.hostname}:${origin.port}`;
      if (timedOut) {
        throw new ConnectFailedError(
          authority,
          `connect timed out after ${this.#connectTimeoutMs}ms`,
          { cause: error },
        );
      }
      throw new ConnectFailedError(authority, describeNetworkError(error), { cause: error });
    } finally {
      clearTimeout(timer);
      cancel.closeOnCancel(undefined);
    }
  }

  async #roundTrip(
    conn: Http1Connection,
    origin: Origin,
    target: string,
    request: UpstreamRequest,
    cancel: Cancellation,
    upgrade: boolean,
    reused: boolean,
  ): Promise<Response | UpstreamUpgrade> {
    const { body, method } = request;
    const whole = body === null || body instanceof Uint8Array;
    const state: ExchangeState = {
      requestSent: false,
      responseStarted: false,
      bodyTouched: false,
      pumpDone: whole,
      pumpEnded: whole,
      afterPump: undefined,
      sourceFailed: false,
      sourceError: undefined,
    };
    conn.requests++;
    // A connection that will not carry another request says so (RFC 9112 §9.6), as nginx does
    // upstream without `keepalive`: no pool, or the last of `maxRequestsPerConnection`.
    const last = !upgrade && (!this.#pool.keeps || conn.requests >= this.#maxRequests);
    const sent = last ? withClose(request.headers) : request.headers;
    this.#busy.add(conn);
    cancel.closeOnCancel(conn);
    let head: ResponseHead;
    try {
      let framing: RequestFraming;
      if (body === null) framing = NO_BODY;
      else if (body instanceof Uint8Array) framing = { kind: "length", length: body.byteLength };
      else framing = hasContentLength(request.headers) ? DECLARED : CHUNKED;
      const inline = body instanceof Uint8Array && body.byteLength <= INLINE_BODY_BYTES;
      let buffer = this.#writeBuffers.take(0);
      try {
        let length = writeRequestHead(
          buffer,
          method,
          target,
          origin.authority,
          sent,
          framing,
        );
        if (length < 0) {
          // A head over the pooled buffer's size: through a string, into an array of its own.
          const text = serializeRequestHead(
            method,
            target,
            origin.authority,
            sent,
            framing,
          );
          this.#writeBuffers.give(buffer);
          buffer = this.#writeBuffers.take(text.length);
          length = encodeLatin1Into(text, buffer);
        }
        if (inline) {
          if (length + body.byteLength > buffer.length) {
            const larger = new Uint8Array(length + body.byteLength);
            larger.set(buffer.subarray(0, length));
            this.#writeBuffers.give(buffer);
            buffer = larger;
          }
          buffer.set(body, length);
          length += body.byteLength;
        }
        // The socket's write awaited itself: one promise, not another around it (Http1Connection's
        // write loops only for the rest of a partial write).
        const written = await conn.conn.write(buffer.subarray(0, length));
        if (written < length) await conn.write(buffer.subarray(written, length));
      } finally {
        this.#writeBuffers.give(buffer);
      }
      if (body instanceof Uint8Array && !inline) await conn.write(body);
      state.requestSent = true;
      if (body !== null && !(body instanceof Uint8Array)) {
        void pump(conn, body, framing.kind === "chunked", contentLength(request.headers), state);
      }
      // The head read here, not in an async function of its own: one promise fewer.
      const heads = new ResponseHeadReader(conn, upgrade, state);
      let next: ResponseHead | null;
      while ((next = heads.next()) === null) heads.readDone(await conn.read());
      head = next;
    } catch (error) {
      this.#done(conn, cancel, false);
      throw this.#failure(error, request, cancel, state, reused);
    }

    if (head.status === 101) {
      // The caller owns the socket now: out of the pool, not closed by close().
      cancel.closeOnCancel(undefined);
      this.#busy.delete(conn);
      const rest = conn.buf.slice(conn.start, conn.end);
      const response = clientResponse(null, 101, head.statusText, head.headers);
      return { response, socket: conn.conn, head: rest };
    }
    // Hop-by-hop fields go here, on the list, rather than from the Response's Headers later
    // (clientReadyResponses).
    const status = head.status;
    const statusText = head.statusText;
    // The parser's own list: edited in place, no copy.
    const fields = head.headers;
    stripHopByHopFields(fields);
    const keepAlive = head.keepAlive && !last && conn.requests < this.#maxRequests;
    const reader = bodyReaderFor(conn, head, method);
    if (reader === null) {
      this.#settle(conn, cancel, keepAlive, state, body);
      return answer(bodiless(status, statusText, fields), upgrade);
    }
    if (head.status === 205) {
      // 205 Reset Content has no content (RFC 9110 §15.3.6) but may frame an empty one
      // (Content-Length: 0, a last chunk): read it and pass none (Response refuses a body).
      try {
        if (await reader.next() !== null) {
          throw new MalformedResponseError("205 Reset Content with content");
        }
      } catch (error) {
        this.#done(conn, cancel, false);
        throw this.#failure(error, request, cancel, state, false);
      }
      this.#settle(conn, cancel, keepAlive && reader.reusable, state, body);
      return answer(bodiless(status, statusText, fields), upgrade);
    }
    if (reader instanceof ContentLengthReader && head.contentLength <= this.#wholeBodyMax) {
      // Already buffered (read with the head) as a rule: no promise then.
      let bytes = reader.allBuffered();
      if (bytes === null) {
        try {
          bytes = await reader.all();
        } catch (error) {
          this.#done(conn, cancel, false);
          throw this.#failure(error, request, cancel, state, false);
        }
      }
      this.#settle(conn, cancel, keepAlive, state, body);
      const response = clientResponse(bytes, status, statusText, fields);
      BYTE_BODIES.set(response, bytes);
      return answer(response, upgrade);
    }

    let finished = false;
    const finish = (reusable: boolean) => {
      if (finished) return;
      finished = true;
      this.#settle(conn, cancel, reusable, state, body);
    };
    const stream = new ReadableStream<Uint8Array>({
      pull: async (controller) => {
        let chunk: Uint8Array<ArrayBuffer> | null;
        try {
          chunk = await reader.next();
        } catch (error) {
          finish(false);
          controller.error(this.#failure(error, request, cancel, state, false));
          return;
        }
        if (chunk === null) {
          finish(keepAlive && reader.reusable);
          controller.close();
          return;
        }
        controller.enqueue(chunk);
      },
      cancel: () => finish(false),
    }, { highWaterMark: 0 });
    const response = clientResponse(stream, status, statusText, fields);
    return answer(response, upgrade);
  }

  /**
   * Ends an exchange whose response is over: as {@linkcode #done} with `reusable` only once the
   * request body went out too. When the upstream answered before it had all of a streamed body
   * (nginx's `return`, an early 200 or 413) on a connection it keeps, the body is still sent
   * (the upstream reads and drops it: HAProxy does the same) when the body's producer takes
   * the promise to wait for it (`followToEnd`), and the connection is pooled after it.
   */
  #settle(
    conn: Http1Connection,
    cancel: Cancellation,
    reusable: boolean,
    state: ExchangeState,
    body: UpstreamRequest["body"],
  ): void {
    if (
      reusable && !state.pumpEnded && !conn.closed && body instanceof ReadableStream &&
      followToEnd(body)
    ) {
      state.afterPump = (ok) => this.#done(conn, cancel, ok);
      return;
    }
    this.#done(conn, cancel, reusable && state.pumpDone);
  }

  /** Ends an exchange: pools the connection when `reusable`, else closes it. */
  #done(conn: Http1Connection, cancel: Cancellation, reusable: boolean): void {
    cancel.closeOnCancel(undefined);
    this.#busy.delete(conn);
    if (reusable && !cancel.aborted && conn.buffered === 0 && !conn.closed) this.#pool.put(conn);
    else conn.close();
  }

  /** What an exchange's failure is thrown as (see the class's doc); STALE to retry. */
  #failure(
    error: unknown,
    request: UpstreamRequest,
    cancel: Cancellation,
    state: ExchangeState,
    reused: boolean,
  ): unknown {
    if (cancel.aborted) return cancel.reason;
    if (state.sourceFailed) return state.sourceError;
    if (error instanceof MalformedResponseError) return error;
    if (
      reused && !state.responseStarted && !state.bodyTouched &&
      (!state.requestSent || isReplayable(request))
    ) return STALE;
    if (error instanceof UpstreamClosedError) return error;
    const detail = state.responseStarted
      ? "reset inside the response"
      : state.requestSent
      ? "reset before the response head"
      : "reset while sending the request";
    return new UpstreamClosedError(detail, state, { cause: error });
  }
}

const EMPTY = new Uint8Array(0);
const NO_BODY: RequestFraming = { kind: "none" };
const DECLARED: RequestFraming = { kind: "declared" };
const CHUNKED: RequestFraming = { kind: "chunked" };

function hasContentLength(headers: UpstreamRequest["headers"]): boolean {
  for (let i = 0; i < headers.length; i++) if (headers[i]![0] === "content-length") return true;
  return false;
}

function contentLength(headers: UpstreamRequest["headers"]): number {
  for (let i = 0; i < headers.length; i++) {
    if (headers[i]![0] === "content-length") return Number(headers[i]![1]);
  }
  return -1;
}

/** Go net/http's `isReplayable`: no body or a whole one, and a safe method or an idempotency key. */
function isReplayable(request: UpstreamRequest): boolean {
  if (request.body !== null && !(request.body instanceof Uint8Array)) return false;
  if (REPLAYABLE_METHODS.has(request.method)) return true;
  return request.headers.some(([name]) =>
    name === "idempotency-key" || name === "x-idempotency-key"
  );
}

const CRLF = new Uint8Array([13, 10]);
const LAST_CHUNK = new Uint8Array([48, 13, 10, 13, 10]);
const encoder = new TextEncoder();

/**
 * Sends a streamed request body: chunked, or raw with the declared length checked. A chunk is
 * read from the client only after the previous one was written (backpressure). A failing
 * client body closes the connection and is recorded in `state` (the exchange then fails with
 * it), at once even while a write waits for the upstream; a failing write stops quietly (the
 * response read reports the upstream's side). Ends with `state.afterPump`, when set.
 */
async function pump(
  conn: Http1Connection,
  body: ReadableStream<Uint8Array>,
  chunked: boolean,
  declared: number,
  state: ExchangeState,
): Promise<void> {
  const reader = body.getReader();
  reader.closed.catch((error) => {
    if (state.pumpEnded) return;
    state.sourceFailed = true;
    state.sourceError = error;
    conn.close();
  });
  try {
    await send(conn, reader, chunked, declared, state);
  } finally {
    state.pumpEnded = true;
    state.afterPump?.(state.pumpDone);
  }
}

async function send(
  conn: Http1Connection,
  reader: ReadableStreamDefaultReader<Uint8Array>,
  chunked: boolean,
  declared: number,
  state: ExchangeState,
): Promise<void> {
  let sent = 0;
  try {
    for (;;) {
      let result: ReadableStreamReadResult<Uint8Array>;
      state.bodyTouched = true;
      try {
        result = await reader.read();
      } catch (error) {
        state.sourceFailed = true;
        state.sourceError = error;
        conn.close();
        return;
      }
      if (result.done) break;
      const chunk = result.value;
      if (chunk.byteLength === 0) continue;
      if (chunked) {
        const size = encoder.encode(chunk.byteLength.toString(16) + "\r\n");
        const frame = new Uint8Array(size.byteLength + chunk.byteLength + 2);
        frame.set(size);
        frame.set(chunk, size.byteLength);
        frame.set(CRLF, size.byteLength + chunk.byteLength);
        await conn.write(frame);
      } else {
        sent += chunk.byteLength;
        if (sent > declared) {
          throw bodyLengthError(state, conn, "longer");
        }
        await conn.write(chunk);
      }
      // Written: the final consumer gives a lent array back to the body pool (a no-op for any
      // chunk not lent by it, or kept for a retry; see BODY_ARRAYS for the ownership rule).
      BODY_ARRAYS.release(chunk);
    }
    if (chunked) await conn.write(LAST_CHUNK);
    else if (sent !== declared) throw bodyLengthError(state, conn, "shorter");
    state.pumpDone = true;
  } catch {
    // The write failed (the upstream closed or reset): the response read reports it.
    await reader.cancel().catch(() => {});
  }
}

function bodyLengthError(state: ExchangeState, conn: Http1Connection, how: string): Error {
  state.sourceFailed = true;
  state.sourceError = new RangeError(`request body is ${how} than its Content-Length`);
  conn.close();
  return state.sourceError as Error;
}

/** A response without a body, marked in {@linkcode BODILESS_RESPONSES}. */
const CONNECTION_CLOSE: [string, string] = ["connection", "close"];

/** A copy of the request's fields with `Connection: close` replacing any `connection` field. */
function withClose(headers: HeaderList): HeaderList {
  const out: HeaderList = [];
  for (let i = 0; i < headers.length; i++) {
    if (headers[i]![0] !== "connection") out.push(headers[i]!);
  }
  out.push(CONNECTION_CLOSE);
  return out;
}

function bodiless(status: number, statusText: string, fields: HeaderList): Response {
  const response = clientResponse(null, status, statusText, fields);
  BODILESS_RESPONSES.add(response);
  return response;
}

/** A response as `send` returns it, or as `upgrade` does (no tunnel: the answer was not 101). */
function answer(response: Response, upgrade: boolean): Response | UpstreamUpgrade {
  return upgrade ? { response, socket: null, head: EMPTY } : response;
}
