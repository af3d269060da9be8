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
  // A short head and one past 64 bytes (decoded another way), each with the byte in a value.
  for (const padding of ["", `X-Pad: ${"p".repeat(80)}\r\n`]) {
    for (const byte of [0x80, 0x81, 0x8d, 0x9f, 0xa0, 0xc3, 0xe9, 0xef, 0xff]) {
      const value = `a${String.fromCharCode(byte)}b`;
      const bytes = head(`GET / HTTP/1.1\r\nHost: a\r\n${padding}X-V: ${value}\r\n\r\n`);
      const parsed = parseHead(bytes, 0, bytes.length);
      assert.ok(parsed.ok);
      assert.equal(
        parsed.fields.at(-1)![1],
        value,
        `byte 0x${byte.toString(16)}, ${bytes.length} B`,
      );
    }
  }
  // Two bytes that are valid UTF-8 together (é) stay two Latin-1 characters.
  const utf8 = head(
    `GET / HTTP/1.1\r\nHost: a\r\nX-Pad: ${"p".repeat(80)}\r\nX-V: \u00c3\u00a9\r\n\r\n`,
  );
  const parsed = parseHead(utf8, 0, utf8.length);
  assert.ok(parsed.ok);
  assert.equal(parsed.fields.at(-1)![1], "\u00c3\u00a9");
});

Deno.test("parseHead: a head in the middle of the buffer", () => {
  const bytes = head("xxxxGET /p HTTP/1.0\r\nA: 1\r\n\r\nyyyy");
  const parsed = parseHead(bytes, 4, bytes.length - 4);
  assert.ok(parsed.ok);
  assert.equal(parsed.target, "/p");
  assert.equal(parsed.minor, 0);
  assert.deepEqual(parsed.fields, [["a", "1"]]);
});
