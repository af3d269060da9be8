import assert from "node:assert/strict";
import { showValue } from "./_show.ts";

Deno.test("showValue() quotes strings and leaves numbers and booleans bare", () => {
  assert.equal(showValue("10 sec"), '"10 sec"');
  assert.equal(showValue(99999), "99999");
  assert.equal(showValue(true), "true");
  assert.equal(showValue(null), "null");
  assert.equal(showValue(undefined), "nothing");
  assert.equal(showValue({ a: 1 }), '{"a":1}');
});

Deno.test("showValue() escapes control characters so a message stays on one line", () => {
  assert.equal(showValue("a\nb"), '"a\\nb"');
});

Deno.test("showValue() cuts long values and survives circular structures", () => {
  const long = showValue("x".repeat(500));
  assert.equal(long.length, 60);
  assert.ok(long.endsWith("…"));
  const circular: unknown[] = [];
  circular.push(circular);
  assert.equal(showValue(circular), "[…]");
});
