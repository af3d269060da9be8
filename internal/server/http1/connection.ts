/**
 * One client connection of the HTTP/1.1 listener: reads request heads into a bounded buffer,
 * parses them strictly, streams request bodies (Content-Length or chunked), runs the handler
 * and writes responses in order (pipelined requests wait in the buffer), with keep-alive per
 * RFC 9112 §9.3 and the client timeouts enforced by the listener's sweep through
 * {@linkcode Http1Connection.expire}.
 *
 * @module
 */

import { getLogger } from "@logtape/logtape";
import {
  context,
  propagation,
  SpanKind,
  type TextMapGetter,
  type Tracer,
} from "@opentelemetry/api";
import { contextOf, type Handler, type RequestContext } from "../../middleware/mod.ts";
import { BODY_ARRAYS } from "../../net/body_array_pool.ts";
import {
  BODILESS_RESPONSES,
  BYTE_BODIES,
  encodeLatin1Into,
  onFollow,
  RequestTimeoutError,
  takeTunnel,
  type TunnelEnd,
} from "../../proxy/mod.ts";
import { type FieldLines, fieldValue } from "../../net/mod.ts";
import { ChunkedDecoder } from "./chunked_decoder.ts";
import { buildRequest, type ClientRequest } from "./client_request.ts";
import { findHeadEnd, parseHead, type RequestHead } from "./parse_head.ts";
import { plainResponse, releaseBuffer, responseHead } from "./write_response.ts";

const logger = getLogger(["sluice", "server"]);

/** What a connection is waiting for; the sweep acts on `deadline` by phase. */
export type Phase = "busy" | "head" | "body" | "idle" | "linger" | "tunnel";

/** Settings shared by every connection of a listener. */
export interface ConnectionSettings {
  /** The middleware chain. */
  handler: Handler;
  /** Authority used in `Request.url` when a request has no Host (`localhost:<port>`). */
  fallbackAuthority: string;
  /** How clients reach the listener (`https` over `Deno.listenTls`). @default "http" */
  protocol?: "http" | "https";
  /** Whole request head within this, ms (408). */
  headerTimeoutMs: number;
  /** Longest wait for the next bytes of a request body, ms (408). */
  bodyTimeoutMs: number;
  /** Longest idle time between keep-alive requests, ms (then closed silently). */
  idleTimeoutMs: number;
  /**
   * A write to the client that makes no progress for this long closes the connection, ms
   * (a client abort; nginx `send_timeout`); 0: never.
   */
  sendTimeoutMs: number;
  /** Largest request head, bytes: past it 414 (request line) or 431 (fields). */
  maxHeadBytes: number;
  /** An upgrade tunnel idle in both directions this long is closed, ms (0: never). */
  tunnelTimeoutMs: number;
  /** Called with +1 when a tunnel opens and -1 when it closes. */
  onTunnel(delta: 1 | -1): void;
  /**
   * With Deno's OpenTelemetry on (`OTEL_DENO=true`), the tracer of the server span opened per
   * request, as `Deno.serve` opens one; `undefined` when telemetry is off.
   */
  tracer: Tracer | undefined;
  /**
   * The listener's clock at its last sweep, ms: cheap and coarse; a stall of the process counts
   * at most two sweep intervals on it. Every deadline below is on this clock.
   */
  now(): number;
  /** Called once when the connection has closed. */
  onClose(connection: Http1Connection): void;
}

const INITIAL_BUFFER = 4096;
const BODY_READ_BYTES = 64 * 1024;
/**
 * Largest read of a request body into a chunk of its own, bytes. 256 KiB against 64 KiB, 1 MiB
 * uploads at 50 connections: 1.63 -> 1.12 ms CPU per MiB (a quarter of the upstream writes,
 * each of which also pays the upstream's wake-up on loopback).
 */
const REQUEST_BODY_READ_BYTES = 256 * 1024;
/**
 * Response chunks up to this are copied into one write with their framing (and the head before
 * the first); larger ones are written as they are, their framing in a write of its own, bytes.
 */
const INLINE_CHUNK_BYTES = 16 * 1024;
/** Bytes of an unread request body read and thrown away to keep the connection. */
const MAX_DISCARD_BYTES = 256 * 1024;
/** A lingering close reads for at most this long, ms, so the client sees the response. */
const LINGER_MS = 2000;
const CONTINUE = new TextEncoder().encode("HTTP/1.1 100 Continue\r\n\r\n");
const LAST_CHUNK = new TextEncoder().encode("0\r\n\r\n");
const CRLF = new TextEncoder().encode("\r\n");
const encoder = new TextEncoder();

/** Thrown into a request body stream when the client left. */
class ClientGoneError extends Error {
  constructor() {
    super("the client closed the connection before sending the whole body");
    this.name = "ClientGoneError";
  }
}

/** The request being served and its body state. */
interface Exchange {
  head: RequestHead;
  /** The handler's request, once built: told when the client leaves. */
  request: ClientRequest | undefined;
  /** Bytes of a Content-Length body still to read; -1 chunked; 0 once complete. */
  remaining: number;
  chunked: ChunkedDecoder | undefined;
  /** The body was fully read. */
  bodyDone: boolean;
  /** The body stream failed (malformed, timeout, client gone): the connection cannot go on. */
  bodyFailed: boolean;
  /** The stream handed to the handler, errored on a body timeout. */
  bodyController: ReadableByteStreamController | ReadableStreamDefaultController | undefined;
  continueSent: boolean;
  /** A body read is in flight. */
  reading: boolean;
  /** The response went out: the stream handed to the handler ends, the listener reads on. */
  detached: boolean;
  /** The reader of the response body being written, cancelled when the client leaves. */
  reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
  /** The body's reader promised to read it to its end after the response (`followToEnd`). */
  followed: boolean;
  /** Wakes {@linkcode Http1Connection.#followBody}: a body read ended, failed or was cancelled. */
  wake: (() => void) | undefined;
}

/**
 * Serves one accepted connection until it closes. Not constructed by users: see
 * `Http1Listener`.
 */
export class Http1Connection {
  /** Time on `settings.now()`'s clock after which the sweep acts, by `phase`. */
  deadline = Infinity;
  /** What the connection waits for. */
  phase: Phase = "head";
  /**
   * Time on `settings.now()`'s clock after which a write to the client still in flight closes the
   * connection (whatever the phase: a request body may be read while the response is written);
   * `-Infinity` while a write waits unstamped: the next sweep stamps it (see {@linkcode expire}).
   */
  sendDeadline = Infinity;
  readonly #conn: Deno.Conn;
  readonly #settings: ConnectionSettings;
  readonly #remote: string;
  #buffer = new Uint8Array(INITIAL_BUFFER);
  #start = 0;
  #end = 0;
  #reading: Promise<number | null> | undefined;
  #eof = false;
  #closed = false;
  #draining = false;
  #exchange: Exchange | undefined;
  #tunnelSocket: Deno.Conn | undefined;
  /** Writes to the client in flight (a 100 Continue may overlap a response). */
  #writes = 0;

  /**
   * @param conn the accepted TCP connection (a `Deno.TlsConn` fits the same code).
   * @param settings the listener's settings.
   */
  constructor(conn: Deno.Conn, settings: ConnectionSettings) {
    this.#conn = conn;
    this.#settings = settings;
    this.#remote = (conn.remoteAddr as Deno.NetAddr).hostname;
    this.deadline = settings.now() + settings.headerTimeoutMs;
  }

  /** True while no request is being read or served (an idle keep-alive connection). */
  get idle(): boolean {
    return this.phase === "idle";
  }

  /**
   * Serves requests until the connection closes; never rejects.
   * @returns resolves once the socket is closed.
   */
  async serve(): Promise<void> {
    try {
      while (!this.#closed) {
        const keep = await this.#serveOne();
        if (!keep) break;
      }
    } catch (error) {
      logger.debug("Client connection failed: {error}", { error });
    } finally {
      this.#close();
    }
  }

  /**
   * Stops taking requests: closes the connection now when idle, else after the response in
   * flight (sent with `Connection: close`).
   */
  drain(): void {
    this.#draining = true;
    const phase = this.phase;
    if (phase === "idle" || phase === "linger" || (phase === "head" && this.#end === this.#start)) {
      this.#close();
    }
  }

  /** Closes the socket now, cutting whatever is in flight. */
  destroy(): void {
    this.#close();
  }

  /**
   * Acts on a passed deadline (called by the listener's sweep): 408 and close for a head or
   * body that did not arrive in time, close for an idle keep-alive connection, close for a
   * write to the client that made no progress within the send timeout (the response being
   * written is then cancelled as a client abort, see {@linkcode clientGone}). A write's send
   * timeout starts at the first sweep that sees it waiting, so it is never cut early and at
   * most one sweep late.
   * @param now the listener's clock (see `ConnectionSettings.now`).
   */
  expire(now: number): void {
    if (this.#closed) return;
    if (this.sendDeadline === -Infinity) {
      // The first sweep to see a write waiting starts its send timeout, so never before the
      // write began (the coarse clock is as old as the previous sweep, which a busy event loop
      // delays: a deadline from it came early and cut steady readers).
      this.sendDeadline = now + this.#settings.sendTimeoutMs;
    } else if (now >= this.sendDeadline) {
      logger.debug("Client {client} read nothing of its response for {ms}ms", {
        client: this.#remote,
        ms: this.#settings.sendTimeoutMs,
      });
      this.#close();
      return;
    }
    if (now < this.deadline) return;
    const phase = this.phase;
    this.deadline = Infinity;
    if (phase === "idle" || phase === "linger" || phase === "tunnel") {
      this.#close();
    } else if (phase === "head") {
      logger.debug("Client {client} did not send a request head within {ms}ms", {
        client: this.#remote,
        ms: this.#settings.headerTimeoutMs,
      });
      void this.#writeAndClose(plainResponse(408, "the request head was not received in time"));
    } else if (phase === "body") {
      const exchange = this.#exchange;
      if (exchange && !exchange.bodyDone) {
        exchange.bodyFailed = true;
        try {
          exchange.bodyController?.error(new RequestTimeoutError(this.#settings.bodyTimeoutMs));
        } catch { /* already closed */ }
        exchange.wake?.();
      }
    }
  }

  #setPhase(phase: Phase, timeoutMs: number): void {
    this.phase = phase;
    this.deadline = timeoutMs > 0 ? this.#settings.now() + timeoutMs : Infinity;
  }

  /** The one read in flight, into the free end of the buffer (grown or compacted first). */
  #fill(): Promise<number | null> {
    if (this.#reading) return this.#reading;
    if (this.#eof || this.#closed) return Promise.resolve(null);
    if (this.#end === this.#buffer.length) {
      if (this.#start > 0) {
        this.#buffer.copyWithin(0, this.#start, this.#end);
        this.#end -= this.#start;
        this.#start = 0;
      } else {
        const grown = new Uint8Array(this.#buffer.length * 2);
        grown.set(this.#buffer);
        this.#buffer = grown;
      }
    }
    const reading = this.#conn.read(this.#buffer.subarray(this.#end)).then(
      this.#onRead,
      this.#onReadFailed,
    );
    this.#reading = reading;
    return reading;
  }

  /** A read's continuations, made once per connection rather than two closures per read. */
  readonly #onRead = (n: number | null): number | null => {
    this.#reading = undefined;
    if (n === null) this.#eof = true;
    else this.#end += n;
    return n;
  };

  readonly #onReadFailed = (): null => {
    this.#reading = undefined;
    this.#eof = true;
    return null;
  };

  /** Serves one request; resolves whether the connection stays open. */
  async #serveOne(): Promise<boolean> {
    const settings = this.#settings;
    // Between requests: idle until the first byte, then the header timeout runs.
    if (this.#end > this.#start) this.#setPhase("head", settings.headerTimeoutMs);
    else if (this.phase !== "head") this.#setPhase("idle", settings.idleTimeoutMs);
    if (
      this.#start === this.#end && this.#buffer.length > INITIAL_BUFFER &&
      this.#reading === undefined
    ) {
      this.#buffer = new Uint8Array(INITIAL_BUFFER);
      this.#start = this.#end = 0;
    }
    let headEnd: number;
    for (;;) {
      headEnd = findHeadEnd(this.#buffer, this.#start, this.#end);
      if (headEnd !== -1) break;
      if (this.#end - this.#start >= settings.maxHeadBytes) {
        const lineEnd = this.#buffer.subarray(this.#start, this.#end).indexOf(0x0a);
        await this.#writeAndClose(
          lineEnd < 0
            ? plainResponse(414, "the request line is too long")
            : plainResponse(431, "the request head is too large"),
        );
        return false;
      }
      if (this.#draining && this.phase === "idle") return false;
      const n = await this.#fill();
      if (n === null) return false;
      if (this.phase === "idle") this.#setPhase("head", settings.headerTimeoutMs);
    }
    if (headEnd === -2) {
      await this.#writeAndClose(plainResponse(400, "bare LF in the request head"));
      return false;
    }
    const head = parseHead(this.#buffer, this.#start, headEnd);
    if (!head.ok) {
      logger.debug("Refused a request head from {client}: {reason}", {
        client: this.#remote,
        reason: head.reason,
      });
      await this.#writeAndClose(plainResponse(head.status, head.reason));
      return false;
    }
    const address = requestAddress(head);
    if (address === undefined) {
      await this.#writeAndClose(plainResponse(400, "malformed request target"));
      return false;
    }
    this.#start = headEnd;
    this.phase = "busy";
    this.deadline = Infinity;

    const method = head.method;
    const bodyless = method === "GET" || method === "HEAD";
    const exchange: Exchange = {
      head,
      request: undefined,
      remaining: head.bodyLength,
      chunked: head.bodyLength < 0 ? new ChunkedDecoder() : undefined,
      bodyDone: head.bodyLength === 0,
      bodyFailed: false,
      bodyController: undefined,
      continueSent: false,
      reading: false,
      detached: false,
      reader: undefined,
      followed: false,
      wake: undefined,
    };
    this.#exchange = exchange;
    const body = exchange.bodyDone || bodyless ? null : this.#bodyStream(exchange);
    const authority = address.authority === "" ? settings.fallbackAuthority : address.authority;
    const request = buildRequest(
      method,
      authority,
      address.target,
      head.fields,
      body,
      settings.fallbackAuthority,
    );
    if (request === undefined) {
      await this.#writeAndClose(plainResponse(400, "malformed request"));
      return false;
    }
    exchange.request = request;
    // Its rejection is marked handled when it is rejected (below), not by a `.catch` per request.
    const completed = Promise.withResolvers<void>();
    const ctx: RequestContext = contextOf(
      request,
      this.#remote,
      settings.protocol ?? "http",
      completed.promise,
      address.target,
      address.authority,
      head.fields,
    );
    if (exchange.bodyDone) this.#watchForClose(exchange);

    let response: Response;
    try {
      response = await (settings.tracer === undefined
        ? settings.handler(ctx)
        : traced(settings.tracer, settings.handler, ctx));
    } catch (error) {
      logger.error("Unhandled error in the request handler: {error}", { error });
      response = new Response("500 Internal Server Error\n", {
        status: 500,
        headers: { "content-type": "text/plain; charset=utf-8" },
      });
    }
    // A body the handler did not read: throw a small one away, else close after the response.
    // A body whose reader goes on after the response (an upload the upstream answered early)
    // is waited for after it.
    let keepAlive = head.keepAlive && !this.#draining;
    if (!exchange.bodyDone) {
      if (exchange.bodyFailed) keepAlive = false;
      else if (exchange.followed) { /* see #followBody */ }
      else if (exchange.reading) keepAlive = false;
      else if (head.expectContinue && !exchange.continueSent) keepAlive = false;
      else if (exchange.remaining > MAX_DISCARD_BYTES || exchange.remaining < 0) keepAlive = false;
    }
    if (response.status === 101) {
      const tunnel = takeTunnel(response);
      if (tunnel !== undefined && head.upgrade) {
        this.#exchange = undefined;
        completed.resolve();
        await this.#tunnel(response, tunnel);
        return false;
      }
      // A 101 that is not an accepted upgrade of this request is never passed on.
      tunnel?.socket.close();
      tunnel?.end({ bytes: 0, clientAborted: false });
      await response.body?.cancel().catch(() => {});
      response = new Response("502 Bad Gateway\n", { status: 502 });
      keepAlive = false;
    }
    const ok = await this.#writeResponse(response, exchange, keepAlive);
    if (ok) completed.resolve();
    else {
      completed.promise.catch(() => {});
      completed.reject(new Error("the client closed the connection"));
      request.clientGone();
    }
    if (ok && keepAlive && exchange.followed && !(await this.#followBody(exchange))) {
      keepAlive = false;
    }
    this.#exchange = undefined;
    if (!ok || !keepAlive) {
      if (ok && !exchange.bodyDone && !this.#closed) await this.#linger();
      return false;
    }
    if (!exchange.bodyDone) {
      exchange.detached = true;
      if (!(await this.#discardBody(exchange))) return false;
    }
    return !this.#eof || this.#end > this.#start;
  }

  /**
   * While the handler runs with the whole body read, a read stays in flight so that a client
   * that leaves aborts `request.signal`; pipelined bytes it reads wait in the buffer.
   */
  #watchForClose(exchange: Exchange): void {
    if (this.#end - this.#start >= this.#settings.maxHeadBytes) return;
    void this.#fill().then((n) => {
      if (this.#exchange !== exchange) return;
      if (n === null) clientGone(exchange);
      else this.#watchForClose(exchange);
    });
  }

  /**
   * Waits, after the response, for the body's reader to read the body to its end as it
   * promised (`followToEnd`); each next read must start within the body timeout (else 408's
   * path: the body fails, the connection closes).
   * @returns true when the body ended, or when its reader stopped with at most
   *   MAX_DISCARD_BYTES left (thrown away next); false when the connection must close.
   */
  async #followBody(exchange: Exchange): Promise<boolean> {
    const timeoutMs = this.#settings.bodyTimeoutMs;
    while (!exchange.bodyDone) {
      if (exchange.bodyFailed || this.#closed) return false;
      if (exchange.bodyController === undefined) {
        return !exchange.reading && exchange.remaining >= 0 &&
          exchange.remaining <= MAX_DISCARD_BYTES;
      }
      if (!exchange.reading) this.#setPhase("body", timeoutMs);
      const { promise, resolve } = Promise.withResolvers<void>();
      exchange.wake = resolve;
      await promise;
      exchange.wake = undefined;
    }
    this.#afterBodyRead();
    return true;
  }

  #bodyStream(exchange: Exchange): ReadableStream<Uint8Array> {
    const stream = new ReadableStream<Uint8Array>({
      start: (controller) => {
        exchange.bodyController = controller;
      },
      pull: async (controller) => {
        if (exchange.detached) {
          controller.close();
          return;
        }
        exchange.reading = true;
        try {
          const chunk = await this.#readBody(exchange);
          if (exchange.bodyFailed) return;
          if (chunk === null) {
            controller.close();
            this.#watchForClose(exchange);
          } else controller.enqueue(chunk);
        } catch (error) {
          exchange.bodyFailed = true;
          controller.error(error);
        } finally {
          exchange.reading = false;
          exchange.wake?.();
        }
      },
      cancel: () => {
        exchange.bodyController = undefined;
        exchange.wake?.();
      },
    }, { highWaterMark: 0 });
    onFollow(stream, () => {
      if (exchange.bodyFailed || exchange.detached || !exchange.head.keepAlive) return false;
      if (this.#draining) return false;
      exchange.followed = true;
      return true;
    });
    return stream;
  }

  /** The next piece of the request body, `null` at its end. */
  async #readBody(exchange: Exchange): Promise<Uint8Array | null> {
    if (exchange.head.expectContinue && !exchange.continueSent) {
      exchange.continueSent = true;
      await this.#write(CONTINUE);
    }
    const decoder = exchange.chunked;
    for (;;) {
      if (exchange.bodyDone) return null;
      if (decoder === undefined) {
        const buffered = this.#end - this.#start;
        if (buffered > 0) {
          const n = Math.min(buffered, exchange.remaining);
          const chunk = this.#buffer.slice(this.#start, this.#start + n);
          this.#start += n;
          this.#consumed(exchange, n);
          return chunk;
        }
        if (this.#reading === undefined && !this.#eof) {
          // Nothing buffered: read straight into a chunk of its own, no copy; from the body
          // array pool when the rest fills at least a quarter of a pooled array.
          const want = Math.min(exchange.remaining, REQUEST_BODY_READ_BYTES);
          const pooled = want * 4 >= BODY_ARRAYS.arrayBytes ? BODY_ARRAYS.take() : undefined;
          const chunk = pooled === undefined
            ? new Uint8Array(want)
            : want === pooled.length
            ? pooled
            : pooled.subarray(0, want);
          this.#setPhase("body", this.#settings.bodyTimeoutMs);
          const n = await this.#conn.read(chunk).catch(() => null);
          this.#afterBodyRead();
          if (n === null) {
            this.#eof = true;
            throw new ClientGoneError();
          }
          this.#consumed(exchange, n);
          // A read that filled under a quarter of its array gets one that fits (a trickle
          // must not hold 256 KiB per chunk, nor in the retry buffer).
          const array = pooled ?? chunk;
          if (n * 4 < array.length) {
            const copy = chunk.slice(0, n);
            if (pooled !== undefined) BODY_ARRAYS.giveBack(pooled);
            return copy;
          }
          if (pooled === undefined) return chunk.subarray(0, n);
          // Lent: the transport's pump releases it once written (see BODY_ARRAYS).
          return BODY_ARRAYS.lend(n === pooled.length ? pooled : pooled.subarray(0, n));
        }
      } else {
        const piece = decoder.decode(this.#buffer, this.#start, this.#end);
        if (piece.error !== undefined) throw new Error(`malformed chunked body: ${piece.error}`);
        this.#start = piece.next;
        if (piece.done) {
          exchange.bodyDone = true;
          exchange.remaining = 0;
          if (piece.data) return piece.data;
          return null;
        }
        if (piece.data) return piece.data;
      }
      this.#setPhase("body", this.#settings.bodyTimeoutMs);
      const n = await this.#fill();
      this.#afterBodyRead();
      if (n === null) throw new ClientGoneError();
    }
  }

  #afterBodyRead(): void {
    if (this.phase === "body") {
      this.phase = "busy";
      this.deadline = Infinity;
    }
  }

  #consumed(exchange: Exchange, n: number): void {
    exchange.remaining -= n;
    if (exchange.remaining === 0) exchange.bodyDone = true;
  }

  /** Reads and drops an unread body (bounded by MAX_DISCARD_BYTES); false when it failed. */
  async #discardBody(exchange: Exchange): Promise<boolean> {
    try {
      while (!exchange.bodyDone) {
        if ((await this.#readBody(exchange)) === null) break;
      }
      return true;
    } catch {
      return false;
    }
  }

  /**
   * Half-closes and reads what the client still sends for a while, so that the unread body
   * does not make the kernel reset the connection before the client read the response.
   */
  async #linger(): Promise<void> {
    try {
      await this.#conn.closeWrite();
    } catch {
      return;
    }
    this.#setPhase("linger", LINGER_MS);
    let dropped = 0;
    // The bytes are thrown away in reads of BODY_READ_BYTES, not of the head buffer's 4 KiB
    // (a 1 MiB upload answered early took 256 reads, 44% of the upload profile).
    let scratch: Uint8Array | undefined;
    while (!this.#closed && dropped < MAX_DISCARD_BYTES * 4) {
      let n: number | null;
      if (this.#reading !== undefined) {
        n = await this.#fill();
        this.#start = this.#end;
      } else {
        this.#start = this.#end = 0;
        scratch ??= new Uint8Array(BODY_READ_BYTES);
        n = await this.#conn.read(scratch).catch(() => null);
      }
      if (n === null) return;
      dropped += n;
    }
  }

  /** Writes all of `bytes` to the client; each write must progress within the send timeout. */
  async #write(bytes: Uint8Array): Promise<void> {
    const timeoutMs = this.#settings.sendTimeoutMs;
    this.#writes++;
    try {
      for (let written = 0; written < bytes.length;) {
        // Progress (or the first write) restarts the send timeout at the next sweep.
        if (timeoutMs > 0) this.sendDeadline = -Infinity;
        written += await this.#conn.write(bytes.subarray(written));
      }
    } finally {
      if (--this.#writes === 0) this.sendDeadline = Infinity;
    }
  }

  async #writeAndClose(bytes: Uint8Array): Promise<void> {
    this.phase = "busy";
    this.deadline = Infinity;
    try {
      await this.#write(bytes);
      await this.#linger();
    } catch {
      // The client is gone: nothing to tell it.
    } finally {
      this.#close();
    }
  }

  /** Writes the response; resolves false when the client went away or the body failed. */
  async #writeResponse(
    response: Response,
    exchange: Exchange,
    keepAlive: boolean,
  ): Promise<boolean> {
    const head = exchange.head;
    // A transport's bodiless or byte-body response is written without the body getter, which
    // would make a stream of the bytes (see BODILESS_RESPONSES, BYTE_BODIES).
    const isHead = head.method === "HEAD";
    const bytes = BYTE_BODIES.get(response);
    if (bytes !== undefined || BODILESS_RESPONSES.has(response)) {
      const length = bytes === undefined ? undefined : bytes.length;
      const out = responseHead(
        response,
        head.minor,
        isHead,
        keepAlive,
        length,
        length !== undefined,
        bytes,
        true,
      );
      try {
        await this.#write(out.bytes);
        return true;
      } catch {
        return false;
      } finally {
        releaseBuffer(out.pooled);
      }
    }
    if (
      head.minor === 0 && keepAlive && response.body !== null && head.method !== "HEAD" &&
      !response.headers.has("content-length") && response.status >= 200 &&
      response.status !== 204 && response.status !== 304
    ) {
      // HTTP/1.0 has no chunked coding: a small body is measured so the connection can stay.
      response = await measured(response);
    }
    let body = response.body;
    const noBody = head.method === "HEAD" || response.status < 200 || response.status === 204 ||
      response.status === 304;
    let reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
    let next: Promise<ReadableStreamReadResult<Uint8Array>> | undefined;
    const ready: Uint8Array[] = [];
    let ended = false;
    let knownLength: number | undefined;
    if (body !== null && !noBody && !response.headers.has("content-length")) {
      // A body that is already complete (Sluice's own answers, a string) gets a Content-Length,
      // as Deno.serve gives it; one still streaming is not waited for (chunked).
      reader = exchange.reader = body.getReader();
      for (let reads = 0; reads < 2; reads++) {
        const read = reader.read();
        const result = await settledSoon(read);
        if (result === undefined) {
          next = read;
          break;
        }
        if (result.done) {
          ended = true;
          knownLength = ready.reduce((sum, chunk) => sum + chunk.length, 0);
          break;
        }
        ready.push(result.value);
      }
    }
    const out = responseHead(
      response,
      head.minor,
      head.method === "HEAD",
      keepAlive,
      knownLength,
      body !== null,
    );
    if (out.framing === "none" || body === null || (ended && ready.length === 0)) {
      if (reader) await reader.cancel().catch(() => {});
      else if (body !== null) await body.cancel().catch(() => {});
      try {
        await this.#write(out.bytes);
        return true;
      } catch {
        return false;
      }
    }
    reader ??= exchange.reader = body.getReader();
    body = null;
    let pending: Uint8Array | undefined = out.bytes;
    let sent = 0;
    try {
      for (;;) {
        let value: Uint8Array;
        if (ready.length > 0) value = ready.shift()!;
        else if (ended) break;
        else {
          const result = await (next ?? reader.read());
          next = undefined;
          if (result.done) break;
          value = result.value;
        }
        if (value.length === 0) continue;
        let chunk: Uint8Array = value;
        if (out.framing === "length") {
          if (sent + chunk.length > out.length) chunk = chunk.subarray(0, out.length - sent);
          sent += chunk.length;
        }
        let after: Uint8Array | undefined;
        if (chunk.length > INLINE_CHUNK_BYTES) {
          // A large chunk is written as it is, after what precedes it (the head, the chunk-size
          // line), and a chunk's CRLF leads the next write: no copy of the chunk, no array of
          // its size to collect.
          let lead = pending;
          if (out.framing === "chunked") {
            const size = encoder.encode(chunk.length.toString(16) + "\r\n");
            lead = lead ? concat(lead, size) : size;
            after = CRLF;
          }
          pending = undefined;
          if (lead) await this.#write(lead);
        } else {
          if (out.framing === "chunked") {
            chunk = concat(encoder.encode(chunk.length.toString(16) + "\r\n"), chunk, CRLF);
          }
          if (pending) {
            chunk = concat(pending, chunk);
            pending = undefined;
          }
        }
        if (out.framing === "length" && sent === out.length && ended) {
          await this.#write(chunk);
          BODY_ARRAYS.release(value);
          break;
        }
        await this.#write(chunk);
        // Written: the final consumer gives a lent array back to the body pool (a no-op for
        // any chunk not lent by it; see BODY_ARRAYS for the ownership rule).
        BODY_ARRAYS.release(value);
        pending = after;
        if (out.framing === "length" && sent === out.length) {
          // The whole length went out: the source's end is normally known by now (a proxied
          // body ends where its Content-Length says). Read it, so that the source sees a
          // complete body (its upstream connection goes back to the pool, its access log line
          // a 200); a source with more to give, or none at hand, is cancelled.
          const last = await settledSoon(reader.read(), END_TURNS);
          if (last === undefined || !last.done) await reader.cancel().catch(() => {});
          break;
        }
      }
      if (out.framing === "length" && sent < out.length) {
        // The body ended short of its length: the client must see a broken response.
        if (pending) await this.#write(pending);
        this.#close();
        return false;
      }
      let tail: Uint8Array | undefined = out.framing === "chunked" ? LAST_CHUNK : undefined;
      if (pending) tail = tail ? concat(pending, tail) : pending;
      if (tail) await this.#write(tail);
      if (out.framing === "close") this.#close();
      return true;
    } catch (error) {
      logger.debug("Response to {client} cut: {error}", { client: this.#remote, error });
      // The body failed before any of it was sent (the upstream closed right after its head):
      // the head still goes out (as `Deno.serve` sends it, and as the access log records the
      // status), then the cut; never an empty reply, which a client may take for a stale
      // keep-alive connection and send again.
      if (pending !== undefined && pending === out.bytes) {
        await this.#write(pending).catch(() => {});
      }
      await reader.cancel(error).catch(() => {});
      this.#close();
      return false;
    } finally {
      reader.releaseLock();
    }
  }

  /**
   * Relays bytes both ways between the client and the upstream socket of an accepted upgrade,
   * each direction awaiting its write before its next read (backpressure); an end of stream on
   * one side half-closes the other; the sweep closes a tunnel idle for `tunnelTimeoutMs`
   * (HAProxy `timeout tunnel`).
   */
  async #tunnel(response: Response, tunnel: TunnelEnd): Promise<void> {
    const settings = this.#settings;
    const upstream = tunnel.socket;
    this.#tunnelSocket = upstream;
    settings.onTunnel(1);
    let toClient = 0;
    const touch = () => {
      if (!this.#closed) this.#setPhase("tunnel", settings.tunnelTimeoutMs);
    };
    try {
      let text = "HTTP/1.1 101 Switching Protocols\r\n";
      for (const [name, value] of response.headers) {
        if (name === "connection" || name === "keep-alive" || name === "content-length") continue;
        text += `${name}: ${value}\r\n`;
      }
      text += "connection: upgrade\r\n\r\n";
      // Latin-1, one byte per character: a field value is a ByteString (obs-text stays one byte,
      // RFC 9110 §5.5), as responseHead writes every other response.
      const head = new Uint8Array(text.length);
      encodeLatin1Into(text, head);
      await this.#write(concat(head, tunnel.head));
      toClient += tunnel.head.length;
      touch();
      const clientToUpstream = (async () => {
        for (;;) {
          if (this.#end > this.#start) {
            const end = this.#end;
            await writeAll(upstream, this.#buffer.subarray(this.#start, end));
            this.#start = end;
            touch();
          }
          // Offsets go back to 0 only with no read in flight into the buffer.
          if (this.#start === this.#end && this.#reading === undefined) this.#start = this.#end = 0;
          const n = await this.#fill();
          if (n === null) break;
        }
        await upstream.closeWrite().catch(() => {});
      })();
      const upstreamToClient = (async () => {
        const chunk = new Uint8Array(BODY_READ_BYTES);
        for (;;) {
          const n = await upstream.read(chunk);
          if (n === null) break;
          touch();
          await this.#write(chunk.subarray(0, n));
          toClient += n;
        }
        await this.#conn.closeWrite().catch(() => {});
      })();
      await Promise.all([clientToUpstream, upstreamToClient]);
    } catch (error) {
      logger.debug("Tunnel for {client} closed: {error}", { client: this.#remote, error });
    } finally {
      this.#close();
      settings.onTunnel(-1);
      tunnel.end({ bytes: toClient, clientAborted: false });
    }
  }

  #close(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#tunnelSocket) {
      try {
        this.#tunnelSocket.close();
      } catch { /* already closed */ }
    }
    this.phase = "busy";
    this.deadline = Infinity;
    this.sendDeadline = Infinity;
    try {
      this.#conn.close();
    } catch { /* already closed */ }
    const exchange = this.#exchange;
    if (exchange) {
      clientGone(exchange);
      if (!exchange.bodyDone && !exchange.bodyFailed) {
        exchange.bodyFailed = true;
        try {
          exchange.bodyController?.error(new ClientGoneError());
        } catch { /* already closed */ }
        exchange.wake?.();
      }
    }
    this.#settings.onClose(this);
  }
}

/**
 * The result of `read` if it settles within `turns` microtask turns (a stream whose data is
 * already queued), else `undefined` (it waits for I/O: keep the promise and await it later).
 */
async function settledSoon<T>(read: Promise<T>, turns = 4): Promise<T | undefined> {
  let result: T | undefined;
  let settled = false;
  read.then((value) => {
    result = value;
    settled = true;
  }, () => {});
  for (let turn = 0; turn < turns && !settled; turn++) await null;
  return result;
}

/**
 * Microtask turns the end of a body is waited for once its Content-Length went out: a proxied
 * body's end (transport stream, then `trackBody`) settles in 3.
 */
const END_TURNS = 16;

/** Largest body of unknown length buffered to give an HTTP/1.0 client a Content-Length. */
const MEASURE_MAX_BYTES = 64 * 1024;

/**
 * `response` with a Content-Length when its body ends within {@linkcode MEASURE_MAX_BYTES};
 * otherwise an equivalent response whose body replays what was read, then the rest.
 */
async function measured(response: Response): Promise<Response> {
  const reader = response.body!.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  const init = {
    status: response.status,
    statusText: response.statusText,
    headers: response.headers,
  };
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) {
        const whole = new Response(concat(...chunks), init);
        whole.headers.set("content-length", String(total));
        return whole;
      }
      chunks.push(value);
      total += value.length;
      if (total > MEASURE_MAX_BYTES) break;
    }
  } catch (error) {
    return new Response(
      new ReadableStream({
        start(controller) {
          for (const chunk of chunks) controller.enqueue(chunk);
          controller.error(error);
        },
      }),
      init,
    );
  }
  return new Response(
    new ReadableStream<Uint8Array>({
      start(controller) {
        for (const chunk of chunks) controller.enqueue(chunk);
      },
      async pull(controller) {
        const { done, value } = await reader.read();
        if (done) controller.close();
        else controller.enqueue(value);
      },
      cancel(reason) {
        return reader.cancel(reason);
      },
    }),
    init,
  );
}

/** The client's trace context read from the parsed fields: the request's Headers is not made. */
const FIELDS_GETTER: TextMapGetter<FieldLines> = {
  get: (fields, key) => fieldValue(fields, key) ?? undefined,
  keys: (fields) => [...new Set(fields.map((field) => field[0]))],
};

/**
 * Runs the handler inside a server span, a child of the client's `traceparent`, ended when the
 * response has been delivered: what `Deno.serve` does with OpenTelemetry on, so that the trace
 * context middleware and Deno's instrumented fetch see the same active span.
 */
function traced(tracer: Tracer, handler: Handler, ctx: RequestContext): Promise<Response> {
  const request = ctx.request;
  const parent = propagation.extract(context.active(), ctx.headerFields ?? [], FIELDS_GETTER);
  return tracer.startActiveSpan(
    request.method,
    { kind: SpanKind.SERVER, attributes: { "http.request.method": request.method } },
    parent,
    (span) =>
      handler(ctx).then((response) => {
        span.setAttribute("http.response.status_code", response.status);
        ctx.completed.finally(() => span.end()).catch(() => {});
        return response;
      }, (error) => {
        span.end();
        throw error;
      }),
  );
}

/**
 * The client left: the response body being written is cancelled first (the proxy then logs a
 * 499, as with Deno.serve), then `request.signal` aborts.
 */
function clientGone(exchange: Exchange): void {
  exchange.reader?.cancel(new ClientGoneError()).catch(() => {});
  exchange.request?.clientGone();
}

async function writeAll(conn: Deno.Conn, bytes: Uint8Array): Promise<void> {
  for (let written = 0; written < bytes.length;) {
    written += await conn.write(bytes.subarray(written));
  }
}

function concat(...parts: Uint8Array[]): Uint8Array<ArrayBuffer> {
  let length = 0;
  for (const part of parts) length += part.length;
  const out = new Uint8Array(length);
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/**
 * Target and authority from the request line (RFC 9112 §3.2): origin form as is, the asterisk
 * form, an absolute-form `http(s)://authority/path` reduced to its path with its authority
 * winning over Host, the authority form for CONNECT; `undefined` for any other target.
 */
function requestAddress(head: RequestHead): { target: string; authority: string } | undefined {
  const target = head.target;
  const first = target.charCodeAt(0);
  if (first === 0x2f) return { target, authority: head.host ?? "" };
  if (target === "*") {
    return head.method === "OPTIONS" ? { target, authority: head.host ?? "" } : undefined;
  }
  if (head.method === "CONNECT") return { target: "", authority: target };
  const lower = target.slice(0, 8).toLowerCase();
  const schemeEnd = lower.startsWith("http://") ? 7 : lower.startsWith("https://") ? 8 : -1;
  if (schemeEnd < 0) return undefined;
  let end = schemeEnd;
  while (end < target.length) {
    const c = target.charCodeAt(end);
    if (c === 0x2f || c === 0x3f || c === 0x23) break;
    end++;
  }
  const authority = target.slice(schemeEnd, end);
  if (authority === "" || authority.includes("@")) return undefined;
  let path = target.slice(end);
  if (path === "") path = "/";
  else if (path.charCodeAt(0) === 0x3f) path = "/" + path;
  return { target: path, authority };
}
