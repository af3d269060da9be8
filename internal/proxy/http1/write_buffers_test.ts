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
