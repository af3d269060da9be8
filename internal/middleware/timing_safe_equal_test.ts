import assert from "node:assert/strict";
import { timingSafeEqual } from "./timing_safe_equal.ts";

Deno.test("timingSafeEqual: equal, different, prefixes and different lengths", () => {
  assert.equal(timingSafeEqual("s3cr3t-token-abcdef", "s3cr3t-token-abcdef"), true);
  assert.equal(timingSafeEqual("s3cr3t-token-abcdef", "s3cr3t-token-abcdeg"), false);
  assert.equal(timingSafeEqual("s3cr3t", "s3cr3t-token"), false);
  assert.equal(timingSafeEqual("s3cr3t-token", "s3cr3t"), false);
  assert.equal(timingSafeEqual("", ""), true);
  assert.equal(timingSafeEqual("", "x"), false);
  assert.equal(timingSafeEqual("é", "e"), false);
});
