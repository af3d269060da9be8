/**
 * Reused buffers for the heads Sluice writes on its own sockets: the http1 transport's request
 * heads and the http1 listener's response heads (with a small body after the head).
 *
 * @module
 */

/** Size of a pooled write buffer, bytes: a typical head with a small inline body fits. */
export const WRITE_BUFFER_BYTES = 8 * 1024;

/**
 * Pooled write buffers kept at most (the rest are left to the garbage collector): 2 MiB at most,
 * kept only once that many writes were in flight at once. A buffer is out from the head's
 * encoding until its write's promise settles, a microtask or more later, and the requests of
 * every connection whose bytes arrived in the same turn of the event loop get that far before
 * any of those writes settles: up to one buffer per client connection in flight. With 16,
 * `wrk -t1 -c50` made 40,126 new 8 KiB buffers for 100,044 heads (3.3 KB of zeroed off-heap
 * memory per request, for the collector to find); with 256, 50 in all.
 */
export const MAX_FREE_WRITE_BUFFERS = 256;

/**
 * A free list of write buffers of {@linkcode WRITE_BUFFER_BYTES}. A request head is encoded into
 * one and written from a view of it, and the buffer comes back once that write settled: a
 * fresh `Uint8Array` per write (an off-heap backing store, its own ArrayBuffer for the write op
 * to hold, then for the collector) cost about 0.7–1 µs more per 200-byte write on loopback than
 * a view of a kept buffer (Deno 2.9.6). A buffer per write in flight, at most
 * {@linkcode MAX_FREE_WRITE_BUFFERS}, serves any number of connections.
 */
export class WriteBuffers {
  readonly #free: Uint8Array<ArrayBuffer>[] = [];

  /** Buffers free for reuse. */
  get free(): number {
    return this.#free.length;
  }

  /**
   * A buffer of at least `bytes`: a pooled one when it fits, else a new one of that size (not
   * pooled when given back).
   * @param bytes bytes needed.
   * @returns the buffer, owned by the caller until {@linkcode give}.
   */
  take(bytes: number): Uint8Array<ArrayBuffer> {
    if (bytes > WRITE_BUFFER_BYTES) return new Uint8Array(bytes);
    return this.#free.pop() ?? new Uint8Array(WRITE_BUFFER_BYTES);
  }

  /**
   * Takes back a buffer from {@linkcode take}. Call only after the write from it settled
   * (resolved or rejected): the write op holds the bytes until then.
   * @param buffer the buffer.
   */
  give(buffer: Uint8Array<ArrayBuffer>): void {
    if (buffer.length === WRITE_BUFFER_BYTES && this.#free.length < MAX_FREE_WRITE_BUFFERS) {
      this.#free.push(buffer);
    }
  }
}
