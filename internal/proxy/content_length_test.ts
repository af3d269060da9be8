import assert from "node:assert/strict";
import { parseContentLength } from "./content_length.ts";
import { BadRequestError } from "./errors.ts";

Deno.test("parseContentLength: one number, repeated identical values as one (RFC 9112 §6.3)", () => {
  assert.equal(parseContentLength(null), null);
  assert.equal(parseContentLength("0"), 0);
  assert.equal(parseContentLength("5242880"), 5242880);
  assert.equal(parseContentLength("5242880, 5242880"), 5242880);
  assert.equal(parseContentLength("5,5,5"), 5);
  assert.equal(parseContentLength("007, 7"), 7);
});

Deno.test("parseContentLength: differing values and non-numbers are refused", () => {
  for (
    const bad of ["", "5, 6", "-1", "+1", "0x10", "1e3", "1 2", "5,", ",5", "9007199254740993"]
  ) {
    assert.throws(() => parseContentLength(bad), BadRequestError, JSON.stringify(bad));
  }
});
