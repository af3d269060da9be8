import assert from "node:assert/strict";
import { parseHead } from "./parse_head.ts";

function head(text: string): Uint8Array {
  return Uint8Array.from(text, (c) => c.charCodeAt(0));
}

Deno.test("parseHead: method, target, lower-cased names and trimmed values, as sent", () => {
  const bytes = head(
    "\r\nPOST /a/b?c=1 HTTP/1.1\r\nHost: shop.example\r\nX-Long-Header-Name: " +
      "a value long enough to be a slice \t \r\nContent-Length: 5\r\nx-lower: v\r\n\r\n",
  );
  const parsed = parseHead(bytes, 0, bytes.length);
  assert.ok(parsed.ok);
  assert.equal(parsed.method, "POST");
  assert.equal(parsed.target, "/a/b?c=1");
  assert.deepEqual(parsed.fields, [
    ["host", "shop.example"],
    ["x-long-header-name", "a value long enough to be a slice"],
    ["content-length", "5"],
    ["x-lower", "v"],
  ]);
  assert.equal(parsed.bodyLength, 5);
  assert.equal(parsed.host, "shop.example");
});

Deno.test("parseHead: obs-text in a value is kept byte for byte, 0x80-0x9F included", () => {
  for (const byte of [0x80, 0x81, 0x8d, 0x9f, 0xa0, 0xe9, 0xff]) {
    const bytes = head(`GET / HTTP/1.1\r\nHost: a\r\nX-V: a${String.fromCharCode(byte)}b\r\n\r\n`);
    const parsed = parseHead(bytes, 0, bytes.length);
    assert.ok(parsed.ok);
    assert.equal(
      parsed.fields[1]![1],
      `a${String.fromCharCode(byte)}b`,
      `byte 0x${byte.toString(16)}`,
    );
  }
});

Deno.test("parseHead: a head in the middle of the buffer", () => {
  const bytes = head("xxxxGET /p HTTP/1.0\r\nA: 1\r\n\r\nyyyy");
  const parsed = parseHead(bytes, 4, bytes.length - 4);
  assert.ok(parsed.ok);
  assert.equal(parsed.target, "/p");
  assert.equal(parsed.minor, 0);
  assert.deepEqual(parsed.fields, [["a", "1"]]);
});
