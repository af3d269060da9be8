import assert from "node:assert/strict";
import { parseSize } from "./size.ts";

Deno.test("parseSize() reads 1024-based units in any case", () => {
  assert.equal(parseSize("512kb"), 524_288);
  assert.equal(parseSize("10mb"), 10_485_760);
  assert.equal(parseSize("1gb"), 1_073_741_824);
  assert.equal(parseSize("64KB"), 65_536);
  assert.equal(parseSize("100b"), 100);
  assert.equal(parseSize("1.5mb"), 1_572_864);
});

Deno.test("parseSize() takes plain bytes as a number or a digit string", () => {
  assert.equal(parseSize(65_536), 65_536);
  assert.equal(parseSize("65536"), 65_536);
  assert.equal(parseSize(0), 0);
  assert.equal(parseSize(" 2kb "), 2_048);
});

Deno.test("parseSize() rejects malformed sizes with the value and a hint", () => {
  for (const bad of ["10 megs", "", "kb", "10 mb", "1tb", "1e3", ".5kb", "10k"]) {
    assert.throws(() => parseSize(bad), {
      name: "RangeError",
      message: `${JSON.stringify(bad)} is not a size (use 512kb, 10mb, 1gb or bytes)`,
    });
  }
});

Deno.test("parseSize() rejects negative, fractional and huge sizes", () => {
  assert.throws(() => parseSize(-1), {
    name: "RangeError",
    message: "-1 is not a size: it must not be negative",
  });
  assert.throws(() => parseSize("-1kb"), /must not be negative/);
  assert.throws(() => parseSize("1.5b"), {
    name: "RangeError",
    message: '"1.5b" is not a size: it must be a whole number of bytes',
  });
  assert.throws(() => parseSize(Number.NaN), RangeError);
  assert.throws(() => parseSize("99999999999gb"), /too large/);
});

Deno.test("parseSize() rejects values that are not strings or numbers", () => {
  assert.throws(() => parseSize(null as unknown as string), TypeError);
});
