/**
 * A bounded pool of the arrays large body pieces are read into, reused once their bytes are
 * written instead of left for the garbage collector.
 *
 * Why: V8 frees an array's memory only when a scavenge finds the array dead, and it starts one
 * for external memory only after about 44 MB more of it; at 900 MB/s of 1 MiB bodies the
 * 256 KiB arrays read per piece held 90–105 MB of malloc's heap (README "Memory").
 *
 * **Ownership rule.** An array taken from the pool is lent, as one view of it (the body piece),
 * to the stream the reader feeds. Whoever receives a body chunk either passes it on and keeps
 * no reference to it (nor to a view of it), or is its final consumer. The final consumer, once
 * the chunk's bytes are written to a socket (or copied out), may {@linkcode
 * BodyArrayPool.release} it: the pool takes the array back only when the chunk is the exact
 * view it lent (the brand: a `WeakSet` of lent views), so a chunk a middleware made, a slice
 * or another view of a lent array, or one released already is never taken. A consumer that
 * keeps a chunk after passing it on (the retry buffer, `ReplayableBody`) first calls
 * {@linkcode BodyArrayPool.retain}: the pool forgets the chunk, and the garbage collector frees
 * it as before. A chunk nobody releases is simply collected: releasing is an optimisation, never
 * required for correctness.
 *
 * Who reads into the pool: the http1 transport (response bodies, `Http1Connection.readFresh`)
 * and the http1 listener (request bodies). Who releases: the http1 listener's response write
 * loop (downloads) and the http1 transport's request body pump (uploads).
 *
 * @module
 */

/** Size of a pooled array, bytes: the largest read of body bytes into an array of its own. */
export const BODY_ARRAY_BYTES = 256 * 1024;

/**
 * Arrays kept for reuse at most. Each transfer in flight holds about one array (every stream on
 * the way has a high-water mark of 0), so this bounds only the idle ones: 32 × 256 KiB = 8 MiB.
 */
export const MAX_KEPT_ARRAYS = 32;

/**
 * A bounded free list of equal-sized arrays with a brand on the views it lent. Not thread-safe
 * (one per isolate). See the module's documentation for the ownership rule.
 */
export class BodyArrayPool {
  /** Size of each array, bytes. */
  readonly arrayBytes: number;
  /** Idle arrays kept at most; more released are left to the garbage collector. */
  readonly maxKept: number;
  readonly #free: ArrayBuffer[] = [];
  /** Buffers taken and not lent yet: the taker's alone. */
  readonly #taken = new WeakSet<ArrayBuffer>();
  /**
   * Views lent and not released nor retained: the brand. Weak sets keyed by what dies with the
   * chunk, never a map from the buffer to its view: such an entry (the value reaching its own
   * key) outlived scavenges, and with `--listener serve`, which gives nothing back, 1 MiB
   * downloads peaked at 368–407 MB instead of 281–288 MB (981–1,057 -> 1,137–1,322 µs CPU).
   */
  readonly #lent = new WeakSet<Uint8Array>();
  #reused = 0;

  /**
   * @param arrayBytes size of each array, bytes.
   * @param maxKept idle arrays kept at most (0: the pool only allocates).
   */
  constructor(arrayBytes: number = BODY_ARRAY_BYTES, maxKept: number = MAX_KEPT_ARRAYS) {
    this.arrayBytes = arrayBytes;
    this.maxKept = maxKept;
  }

  /** Idle arrays held now. */
  get kept(): number {
    return this.#free.length;
  }

  /** Arrays handed out again after they came back, since the start: the pool's effect. */
  get reused(): number {
    return this.#reused;
  }

  /**
   * An array of {@linkcode arrayBytes} for one read: an idle one (its old bytes still in it:
   * hand on only what the read filled), else a new one. The caller owns it until it calls
   * {@linkcode lend} or {@linkcode giveBack}, or drops it.
   */
  take(): Uint8Array<ArrayBuffer> {
    let buffer = this.#free.pop();
    if (buffer === undefined) buffer = new ArrayBuffer(this.arrayBytes);
    else this.#reused++;
    this.#taken.add(buffer);
    return new Uint8Array(buffer);
  }

  /**
   * Brands `view` as the one chunk handed on from an array {@linkcode take} returned; the
   * array then comes back only through {@linkcode release} of this very view.
   * @param view a view of a taken array (the bytes a read filled), at least a quarter of it
   *   (a read that filled less is copied out: a small chunk must not hold a whole array).
   * @returns `view`.
   * @throws {RangeError} when `view`'s array was not taken from this pool or was lent already,
   *   or `view` is under a quarter of the array.
   */
  lend<T extends Uint8Array<ArrayBuffer>>(view: T): T {
    if (view.byteLength * 4 < this.arrayBytes) {
      throw new RangeError("lend: a view under a quarter of its array");
    }
    if (!this.#taken.delete(view.buffer)) {
      throw new RangeError("lend: the array was not taken from this pool, or was lent already");
    }
    this.#lent.add(view);
    return view;
  }

  /**
   * Takes back an array taken and not lent (its bytes were copied out, or the read failed).
   * Anything else is ignored.
   * @param array what {@linkcode take} returned.
   */
  giveBack(array: Uint8Array<ArrayBuffer>): void {
    if (this.#taken.delete(array.buffer)) this.#keep(array.buffer);
  }

  /**
   * Called by a chunk's final consumer once its bytes are written (or copied): the array comes
   * back to the pool when `chunk` is a view this pool lent and nobody retained.
   * @param chunk a body chunk, the pool's or not.
   * @returns whether the array was taken back (false for any other chunk, which is left alone).
   */
  release(chunk: Uint8Array): boolean {
    // Small chunks are never lent: the check is cheap, and no chunk is looked up for nothing.
    if (chunk.byteLength * 4 < this.arrayBytes || !this.#lent.delete(chunk)) return false;
    this.#keep(chunk.buffer as ArrayBuffer);
    return true;
  }

  /**
   * Called by a consumer that keeps `chunk` after passing it on (to send it again): the pool
   * forgets it, so that no {@linkcode release} can reuse its array. Any chunk may be passed.
   * @param chunk a body chunk, the pool's or not.
   */
  retain(chunk: Uint8Array): void {
    if (chunk.byteLength * 4 >= this.arrayBytes) this.#lent.delete(chunk);
  }

  #keep(buffer: ArrayBuffer): void {
    // A detached buffer (transferred away) has no bytes left to reuse.
    if (this.#free.length < this.maxKept && buffer.byteLength === this.arrayBytes) {
      this.#free.push(buffer);
    }
  }
}

/** The process's pool of body read arrays, shared by the listener and the transport. */
export const BODY_ARRAYS: BodyArrayPool = new BodyArrayPool();
