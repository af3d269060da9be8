import assert from "node:assert/strict";
import { formatHashKey, parseHashKey } from "./hash_key.ts";

Deno.test("parseHashKey: the four forms; header names lower-cased, cookie names kept", () => {
  assert.deepEqual(parseHashKey("ip"), { source: "ip" });
  assert.deepEqual(parseHashKey("path"), { source: "path" });
  assert.deepEqual(parseHashKey("header:X-User-Id"), { source: "header", name: "x-user-id" });
  assert.deepEqual(parseHashKey("cookie:SessionID"), { source: "cookie", name: "SessionID" });
});

Deno.test("parseHashKey: bad input is a TypeError that shows the value", () => {
  for (const text of ["", "IP", "uri", "header", "cookie", "query:x", " ip", "ip "]) {
    assert.throws(
      () => parseHashKey(text),
      (e: unknown) =>
        e instanceof TypeError &&
        e.message.includes(`expected "ip", "path", "header:NAME" or "cookie:NAME"`) &&
        e.message.includes(`current value is ${JSON.stringify(text)}`),
      text,
    );
  }
  assert.throws(
    () => parseHashKey("header:"),
    /the header name is empty: current value is "header:"/,
  );
  assert.throws(() => parseHashKey("cookie:"), /the cookie name is empty/);
  assert.throws(() => parseHashKey("header:X User"), /the header name is not a token/);
  assert.throws(() => parseHashKey("cookie:a=b"), /the cookie name is not a token/);
  assert.throws(() => parseHashKey("cookie:a;b"), TypeError);
});

Deno.test("formatHashKey reverses parseHashKey", () => {
  for (const text of ["ip", "path", "header:x-user-id", "cookie:SessionID"]) {
    assert.equal(formatHashKey(parseHashKey(text)), text);
  }
});
