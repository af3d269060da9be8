/**
 * One upstream connection with its read buffer, shared by the head parser and the body readers.
 *
 * @module
 */

import { BODY_ARRAYS } from "../../net/body_array_pool.ts";

/** Initial size of a connection's read buffer, bytes. */
export const READ_BUFFER_BYTES = 16 * 1024;
/** Largest size a read buffer grows to, bytes: the largest head it can hold. */
export const MAX_READ_BUFFER_BYTES = 64 * 1024;
/**
 * Reads that fill less than this share of their fresh array are copied into a fitting one, so
 * that a trickle of small reads does not hold a large array each.
 */
const FRESH_KEEP_RATIO = 4;

/**
 * A TCP (or TLS) connection to an upstream and the bytes read from it but not consumed yet
 * (`buf[start, end)`). While idle in a pool, a read is kept pending so that the upstream
 * closing the connection (or sending anything unasked) is seen at once; the next `read()`
 * takes that pending read over instead of starting another.
 */
export class Http1Connection {
  /** The socket. */
  readonly conn: Deno.Conn;
  /** Pool key: the upstream's origin. */
  readonly key: string;
  /** Read buffer; replaced by a larger one when a head does not fit. */
  buf: Uint8Array<ArrayBuffer>;
  /** Index of the first unconsumed byte. */
  start = 0;
  /** Index after the last byte read. */
  end = 0;
  /** Requests started on this connection. */
  requests = 0;
  /** When the connection was last put in the pool, ms (performance.now()). */
  idleSince = 0;
  /** Whether {@linkcode close} was called. */
  closed = false;
  #pending: Promise<number | null> | undefined;
  #onIdleEvent: ((conn: Http1Connection) => void) | undefined;
  /** The idle read's settlement handler, made once per connection rather than per watch. */
  readonly #onSettled = () => this.#idleEvent();
  /** A read's continuation, made once per connection rather than per read. */
  readonly #onRead = (n: number | null) => this.#advance(n);

  /**
   * @param conn an open socket.
   * @param key the pool key (the upstream's origin).
   * @param bufferBytes read buffer size, bytes.
   */
  constructor(conn: Deno.Conn, key: string, bufferBytes: number = READ_BUFFER_BYTES) {
    this.conn = conn;
    this.key = key;
    this.buf = new Uint8Array(bufferBytes);
  }

  /** Bytes buffered and not consumed. */
  get buffered(): number {
    return this.end - this.start;
  }

  /**
   * Reads more bytes into the buffer after `end`, first moving unconsumed bytes to the front
   * when the buffer's tail is full, or doubling the buffer (up to
   * {@linkcode MAX_READ_BUFFER_BYTES}) when it is all unconsumed.
   * @returns bytes read, or `null` at end of stream.
   * @throws {RangeError} when the buffer is full of unconsumed bytes (a head too large).
   * @throws what the socket throws (reset, closed).
   */
  read(): Promise<number | null> {
    const pending = this.#pending;
    if (pending !== undefined) {
      this.#pending = undefined;
      this.#onIdleEvent = undefined;
      return pending.then(this.#onRead);
    }
    if (this.end === this.buf.length) {
      if (this.start === 0) {
        if (this.buf.length >= MAX_READ_BUFFER_BYTES) {
          return Promise.reject(new RangeError("read buffer full"));
        }
        const larger = new Uint8Array(Math.min(MAX_READ_BUFFER_BYTES, this.buf.length * 2));
        larger.set(this.buf);
        this.buf = larger;
        return this.read();
      }
      this.buf.copyWithin(0, this.start, this.end);
      this.end -= this.start;
      this.start = 0;
    }
    return this.conn.read(this.buf.subarray(this.end)).then(this.#onRead);
  }

  /**
   * Reads the next bytes into a new array of at most `max` bytes, past the read buffer, when
   * that buffer is empty: body bytes handed on without a copy out of the buffer (when `max` is
   * at least a quarter of a pooled array, into an array of {@linkcode BODY_ARRAYS}: the chunk is
   * lent, see its ownership rule). With bytes
   * buffered, or the idle watch's read pending, takes those instead (a copy, as a body reader
   * would).
   * @param max largest number of bytes wanted, at least 1.
   * @returns the bytes (owned by the caller), or `null` at end of stream.
   * @throws what the socket throws (reset, closed).
   */
  async readFresh(max: number): Promise<Uint8Array<ArrayBuffer> | null> {
    if (this.#pending === undefined && this.start === this.end) {
      this.start = this.end = 0;
      if (max * FRESH_KEEP_RATIO >= BODY_ARRAYS.arrayBytes && max <= BODY_ARRAYS.arrayBytes) {
        return await this.#readPooled(max);
      }
      const fresh = new Uint8Array(max);
      const n = await this.conn.read(fresh);
      if (n === null) return null;
      if (n === max) return fresh;
      return n * FRESH_KEEP_RATIO < max ? fresh.slice(0, n) : fresh.subarray(0, n);
    }
    if (this.start === this.end && await this.read() === null) return null;
    const n = Math.min(this.end - this.start, max);
    const chunk = this.buf.slice(this.start, this.start + n);
    this.start += n;
    if (this.start === this.end) this.start = this.end = 0;
    return chunk;
  }

  /**
   * One read into an array of the body pool ({@linkcode BODY_ARRAYS}): the filled view is lent
   * (the final consumer releases it once written); a read that filled under a quarter of the
   * array is copied out and the array given back at once.
   */
  async #readPooled(max: number): Promise<Uint8Array<ArrayBuffer> | null> {
    const array = BODY_ARRAYS.take();
    const n = await this.conn.read(max === array.length ? array : array.subarray(0, max));
    if (n === null) {
      BODY_ARRAYS.giveBack(array);
      return null;
    }
    if (n * FRESH_KEEP_RATIO < array.length) {
      const copy = array.slice(0, n);
      BODY_ARRAYS.giveBack(array);
      return copy;
    }
    return BODY_ARRAYS.lend(n === array.length ? array : array.subarray(0, n));
  }

  #advance(n: number | null): number | null {
    if (n !== null) this.end += n;
    return n;
  }

  /**
   * Starts the idle watch: a pending read whose completion (close, reset or unasked bytes)
   * calls `onEvent` with this connection, unless a {@linkcode read} took it over first.
   * Requires an empty buffer.
   * @param onEvent called once when anything happens on the idle connection (one function may
   *   serve every connection of a pool: no closure per watch).
   */
  watch(onEvent: (conn: Http1Connection) => void): void {
    this.start = this.end = 0;
    this.#onIdleEvent = onEvent;
    const pending = this.conn.read(this.buf);
    this.#pending = pending;
    pending.then(this.#onSettled, this.#onSettled);
  }

  /**
   * The idle read settled. A read that took it over cleared `#onIdleEvent` first, and this
   * handler, registered before that read's own, runs before anything can start a new watch.
   */
  #idleEvent(): void {
    const onEvent = this.#onIdleEvent;
    if (onEvent === undefined) return;
    this.#onIdleEvent = undefined;
    onEvent(this);
  }

  /**
   * Writes all of `bytes`.
   * @throws what the socket throws.
   */
  async write(bytes: Uint8Array): Promise<void> {
    let written = 0;
    while (written < bytes.byteLength) {
      written += await this.conn.write(written === 0 ? bytes : bytes.subarray(written));
    }
  }

  /** Closes the socket (idempotent); pending reads and writes fail. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.#onIdleEvent = undefined;
    try {
      this.conn.close();
    } catch {
      // already closed by the peer's reset
    }
  }
}
