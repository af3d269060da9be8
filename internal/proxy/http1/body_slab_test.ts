import assert from "node:assert/strict";
import { copyBody, SLAB_BODY_MAX, SLAB_BYTES } from "./body_slab.ts";

Deno.test("copyBody: copies survive the source's reuse and never overlap, across slabs", () => {
  const src = new Uint8Array(2 * SLAB_BODY_MAX);
  const copies: { copy: Uint8Array; fill: number }[] = [];
  // Enough bodies of varied sizes (0 included) to fill several slabs.
  for (let i = 0; copies.length < (3 * SLAB_BYTES) / 64; i++) {
    const length = (i * 37) % (SLAB_BODY_MAX + 1);
    const fill = i % 251;
    src.fill(fill, 5, 5 + length);
    const copy = copyBody(src, 5, length);
    assert.equal(copy.length, length);
    src.fill(255); // the connection's next read
    copies.push({ copy, fill });
  }
  for (const [i, { copy, fill }] of copies.entries()) {
    assert.ok(copy.every((byte) => byte === fill), `copy ${i} was overwritten`);
  }
});

Deno.test("copyBody: a body over SLAB_BODY_MAX gets an array of its own", () => {
  const src = new Uint8Array(SLAB_BODY_MAX + 10).fill(7);
  const big = copyBody(src, 3, SLAB_BODY_MAX + 1);
  assert.equal(big.buffer.byteLength, SLAB_BODY_MAX + 1);
  assert.ok(big.every((byte) => byte === 7));
  const small = copyBody(src, 0, SLAB_BODY_MAX);
  assert.equal(small.buffer.byteLength, SLAB_BYTES, "small bodies share a slab");
});
