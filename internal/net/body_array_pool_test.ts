import assert from "node:assert/strict";
import {
  BODY_ARRAY_BYTES,
  BODY_ARRAYS,
  BodyArrayPool,
  MAX_KEPT_ARRAYS,
} from "./body_array_pool.ts";

Deno.test("body array pool: a released array is reused, a second release of it is ignored", () => {
  const pool = new BodyArrayPool(1024, 4);
  const array = pool.take();
  assert.equal(array.length, 1024);
  const chunk = pool.lend(array.subarray(0, 700));
  assert.equal(pool.release(chunk), true);
  assert.equal(pool.kept, 1);
  assert.equal(pool.release(chunk), false, "the same chunk released twice");
  assert.equal(pool.kept, 1);
  assert.equal(pool.reused, 0);
  const again = pool.take();
  assert.equal(again.buffer, array.buffer);
  assert.equal(pool.reused, 1);
  assert.equal(pool.kept, 0);
  // Taken out again, the array is not handed to anyone else until it comes back.
  const other = pool.take();
  assert.notEqual(other.buffer, array.buffer);
});

Deno.test("body array pool: never takes back a chunk it did not lend", () => {
  const pool = new BodyArrayPool(1024, 4);
  assert.equal(pool.release(new Uint8Array(1024)), false, "a foreign array");
  const array = pool.take();
  assert.equal(pool.release(array), false, "taken but not lent: still the taker's");
  const chunk = pool.lend(array.subarray(0, 512));
  assert.equal(pool.release(array), false, "the whole array, not the lent view");
  assert.equal(pool.release(chunk.subarray(10)), false, "a view of the lent view");
  assert.equal(pool.release(chunk.subarray(0, 10)), false, "a small view of the lent view");
  assert.equal(pool.release(array.subarray(0, 512)), false, "an equal but other view");
  assert.equal(pool.release(chunk.slice()), false, "a copy");
  assert.equal(pool.kept, 0);
  assert.equal(pool.release(chunk), true);
  assert.equal(pool.kept, 1);
});

Deno.test("body array pool: a retained chunk is never taken back", () => {
  const pool = new BodyArrayPool(1024, 4);
  const chunk = pool.lend(pool.take());
  chunk.fill(7);
  pool.retain(chunk);
  assert.equal(pool.release(chunk), false);
  assert.equal(pool.kept, 0);
  // New arrays are handed out meanwhile; the retained bytes stay as they were.
  const next = pool.take();
  next.fill(9);
  assert.notEqual(next.buffer, chunk.buffer);
  assert.ok(chunk.every((byte) => byte === 7));
  pool.retain(new Uint8Array(3)); // anything may be retained
});

Deno.test("body array pool: lend refuses a foreign array and a second lend of one array", () => {
  const pool = new BodyArrayPool(1024, 4);
  assert.throws(() => pool.lend(new Uint8Array(1024)), RangeError);
  const array = pool.take();
  assert.throws(() => pool.lend(array.subarray(0, 255)), RangeError, "under a quarter");
  pool.lend(array.subarray(0, 300));
  assert.throws(() => pool.lend(array.subarray(300)), RangeError);
});

Deno.test("body array pool: keeps at most maxKept idle arrays", () => {
  const pool = new BodyArrayPool(1024, 3);
  const chunks = Array.from({ length: 5 }, () => pool.lend(pool.take()));
  assert.equal(new Set(chunks.map((chunk) => chunk.buffer)).size, 5, "five distinct arrays");
  const taken = chunks.map((chunk) => pool.release(chunk));
  assert.deepEqual(taken, [true, true, true, true, true]);
  assert.equal(pool.kept, 3);
  // What the pool holds is handed out once each, then new arrays.
  const buffers = new Set(Array.from({ length: 4 }, () => pool.take().buffer));
  assert.equal(buffers.size, 4);
  assert.equal(pool.kept, 0);
});

Deno.test("body array pool: giveBack takes back an array taken and not lent, once", () => {
  const pool = new BodyArrayPool(1024, 4);
  const array = pool.take();
  pool.giveBack(array);
  pool.giveBack(array);
  assert.equal(pool.kept, 1);
  pool.giveBack(new Uint8Array(1024)); // foreign: ignored
  assert.equal(pool.kept, 1);
  const lent = pool.lend(pool.take());
  pool.giveBack(lent); // lent: only release takes it back
  assert.equal(pool.kept, 0);
});

Deno.test("body array pool: a detached array is not kept", () => {
  const pool = new BodyArrayPool(1024, 4);
  const chunk = pool.lend(pool.take());
  structuredClone(chunk.buffer, { transfer: [chunk.buffer] });
  assert.equal(pool.release(chunk), false, "no bytes left to reuse");
  assert.equal(pool.kept, 0);
  assert.equal(pool.take().length, 1024);
});

Deno.test("body array pool: the process's pool has 256 KiB arrays and a bound", () => {
  assert.equal(BODY_ARRAYS.arrayBytes, BODY_ARRAY_BYTES);
  assert.equal(BODY_ARRAY_BYTES, 256 * 1024);
  assert.equal(BODY_ARRAYS.maxKept, MAX_KEPT_ARRAYS);
  assert.ok(MAX_KEPT_ARRAYS > 0 && MAX_KEPT_ARRAYS <= 64);
});
