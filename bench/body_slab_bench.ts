/**
 * A small whole response body copied out of a connection's read buffer
 * (`deno bench bench/body_slab_bench.ts`): into an ArrayBuffer of its own (`slice`, before)
 * against a view of the shared slab (`copyBody`, internal/proxy/http1/body_slab.ts).
 *
 * @module
 */

import { copyBody } from "../internal/proxy/http1/body_slab.ts";

const buffer = new Uint8Array(16 * 1024);
for (let i = 0; i < buffer.length; i++) buffer[i] = i & 0xff;
// Kept, so that no copy is optimised away.
const sink: Uint8Array[] = [new Uint8Array(1)];

for (const length of [6, 400]) {
  Deno.bench(`${length}-byte body, slice (an ArrayBuffer of its own)`, {
    group: `${length}`,
    baseline: true,
  }, () => {
    sink[0] = buffer.slice(100, 100 + length);
  });
  Deno.bench(`${length}-byte body, copyBody (a view of the shared slab)`, {
    group: `${length}`,
  }, () => {
    sink[0] = copyBody(buffer, 100, length);
  });
}
