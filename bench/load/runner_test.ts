import assert from "node:assert/strict";
import { rotate } from "./runner.ts";

Deno.test("rotate moves the first items to the end, by any amount", () => {
  assert.deepEqual(rotate([1, 2, 3], 0), [1, 2, 3]);
  assert.deepEqual(rotate([1, 2, 3], 1), [2, 3, 1]);
  assert.deepEqual(rotate([1, 2, 3], 5), [3, 1, 2]);
  assert.deepEqual(rotate([], 2), []);
});
