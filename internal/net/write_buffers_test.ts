import assert from "node:assert/strict";
import { MAX_FREE_WRITE_BUFFERS, WRITE_BUFFER_BYTES, WriteBuffers } from "./write_buffers.ts";

Deno.test("write buffers: a given-back buffer is taken again; a larger need gets its own", () => {
  const buffers = new WriteBuffers();
  const first = buffers.take(200);
  assert.equal(first.length, WRITE_BUFFER_BYTES);
  buffers.give(first);
  assert.equal(buffers.take(WRITE_BUFFER_BYTES), first);
  const large = buffers.take(WRITE_BUFFER_BYTES + 1);
  assert.equal(large.length, WRITE_BUFFER_BYTES + 1);
  buffers.give(large);
  assert.equal(buffers.free, 0);
});

Deno.test("write buffers: buffers in use are never handed out twice; the free list is bounded", () => {
  const buffers = new WriteBuffers();
  const taken = Array.from({ length: MAX_FREE_WRITE_BUFFERS + 4 }, () => buffers.take(100));
  assert.equal(new Set(taken).size, taken.length);
  for (const buffer of taken) buffers.give(buffer);
  assert.equal(buffers.free, MAX_FREE_WRITE_BUFFERS);
});

Deno.test("write buffers: one per write in flight is kept, for as many connections as wrk -c200 opens", () => {
  const buffers = new WriteBuffers();
  // Every connection's head encoded in one turn of the event loop, before any write settled.
  const first = Array.from({ length: 200 }, () => buffers.take(400));
  for (const buffer of first) buffers.give(buffer);
  const again = Array.from({ length: 200 }, () => buffers.take(400));
  const kept = new Set(first);
  assert.equal(again.filter((buffer) => kept.has(buffer)).length, 200);
  for (const buffer of again) buffers.give(buffer);
});
