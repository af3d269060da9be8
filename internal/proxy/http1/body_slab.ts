/**
 * Small whole response bodies copied into a shared slab rather than each into an ArrayBuffer of
 * its own (Node's `Buffer` pool does the same for small buffers): an ArrayBuffer's backing store
 * costs about 0.5–0.8 µs to make and collect in Deno 2.9.6, a view of a slab about 0.07 µs.
 *
 * @module
 */

/** Largest body copied into the slab, bytes; larger ones get an array of their own. */
export const SLAB_BODY_MAX = 512;

/** Size of one slab, bytes: a slab lives while any body in it does (at most 32 of 512). */
export const SLAB_BYTES = 16 * 1024;

let slab = new Uint8Array(SLAB_BYTES);
let slabAt = 0;

/**
 * A copy of `src[from, from + length)` that owns its bytes: nothing writes to that range again.
 * Up to {@linkcode SLAB_BODY_MAX} bytes, a view of a shared slab (its `buffer` holds other
 * bodies too: never transfer or detach it; `new Response(view)` copies, the http1 listener
 * writes it); larger, an array of its own.
 * @param src the bytes to copy from (a connection's read buffer, which the next read reuses).
 * @param from first index.
 * @param length bytes to copy.
 * @returns the copy.
 */
export function copyBody(
  src: Uint8Array,
  from: number,
  length: number,
): Uint8Array<ArrayBuffer> {
  if (length > SLAB_BODY_MAX) return src.slice(from, from + length) as Uint8Array<ArrayBuffer>;
  if (slabAt + length > SLAB_BYTES) {
    slab = new Uint8Array(SLAB_BYTES);
    slabAt = 0;
  }
  const copy = slab.subarray(slabAt, slabAt + length);
  copy.set(src.subarray(from, from + length));
  // 8-byte aligned, as Node's pool: a view made from the copy's buffer at its offset works for
  // any typed array.
  slabAt = (slabAt + length + 7) & ~7;
  return copy;
}
