import assert from "node:assert/strict";
import {
  type BodyReader,
  ChunkedReader,
  CloseDelimitedReader,
  ContentLengthReader,
} from "./body_readers.ts";
import { UpstreamClosedError } from "../../net/mod.ts";
import { MalformedResponseError } from "./errors.ts";
import { scriptedConnection } from "./_test_connection.ts";

const text = (bytes: Uint8Array) => String.fromCharCode(...bytes);

async function readAll(reader: BodyReader): Promise<string> {
  let out = "";
  for (;;) {
    const chunk = await reader.next();
    if (chunk === null) return out;
    out += text(chunk);
  }
}

/** Every split of `wire` into two reads. */
function splits(wire: string): string[][] {
  const out: string[][] = [[wire]];
  for (let i = 1; i < wire.length; i++) out.push([wire.slice(0, i), wire.slice(i)]);
  return out;
}

Deno.test("Content-Length body: exact bytes at every split, leftover stays buffered", async () => {
  for (const pieces of splits("hello!NEXT")) {
    const conn = scriptedConnection(pieces);
    const reader = new ContentLengthReader(conn, 6);
    assert.equal(await readAll(reader), "hello!");
    assert.equal(reader.reusable, true);
  }
  const whole = new ContentLengthReader(scriptedConnection(["he", "llo", "!"]), 6);
  assert.equal(text(await whole.all()), "hello!");
  assert.equal(await new ContentLengthReader(scriptedConnection([]), 0).next(), null);
});

Deno.test("Content-Length body: allBuffered takes a buffered body, else reads nothing", async () => {
  const conn = scriptedConnection(["hel", "lo!NEXT"]);
  const reader = new ContentLengthReader(conn, 6);
  assert.equal(reader.allBuffered(), null, "nothing buffered yet");
  await conn.read();
  assert.equal(reader.allBuffered(), null, "3 of 6 bytes buffered");
  assert.equal(conn.buffered, 3, "the partial body left in the buffer");
  await conn.read();
  const body = reader.allBuffered();
  assert.equal(body === null ? null : text(body), "hello!");
  assert.equal(reader.reusable, true);
  assert.equal(text(conn.buf.subarray(conn.start, conn.end)), "NEXT");
  // A copy: the connection's buffer may be overwritten by the next response.
  assert.notEqual(body?.buffer, conn.buf.buffer);
  const partial = new ContentLengthReader(scriptedConnection(["he", "llo!"]), 6);
  assert.equal(partial.allBuffered(), null);
  assert.equal(text(await partial.all()), "hello!", "all() after a null allBuffered");
});

Deno.test("Content-Length body: early close is UpstreamClosedError", async () => {
  await assert.rejects(
    readAll(new ContentLengthReader(scriptedConnection(["hel"]), 6)),
    UpstreamClosedError,
  );
  await assert.rejects(
    new ContentLengthReader(scriptedConnection(["hel"]), 6).all(),
    UpstreamClosedError,
  );
});

Deno.test("close-delimited body: everything until the end of stream, never reusable", async () => {
  const reader = new CloseDelimitedReader(scriptedConnection(["a", "bc", "d"]));
  assert.equal(await readAll(reader), "abcd");
  assert.equal(reader.reusable, false);
});

Deno.test("chunked body: data at every split; extensions skipped, trailers dropped", async () => {
  const wire = "5;name=v\r\nhello\r\n1 ; x\r\n!\r\nA\r\n0123456789\r\n0\r\nX-T: 1\r\n\r\nNEXT";
  for (const pieces of splits(wire)) {
    const conn = scriptedConnection(pieces);
    const reader = new ChunkedReader(conn);
    assert.equal(await readAll(reader), "hello!0123456789", JSON.stringify(pieces));
    assert.equal(reader.reusable, true);
    assert.equal(
      text(conn.buf.subarray(conn.start, conn.end)).startsWith("NEXT".slice(0, conn.buffered)),
      true,
    );
  }
});

Deno.test("chunked body: upper and lower case hex, leading zeros", async () => {
  const reader = new ChunkedReader(scriptedConnection(["00b\r\nhello world\r\n0000\r\n\r\n"]));
  assert.equal(await readAll(reader), "hello world");
  const upper = new ChunkedReader(scriptedConnection(["B\r\nhello world\r\n0\r\n\r\n"]));
  assert.equal(await readAll(upper), "hello world");
});

Deno.test("chunked body: malformed framing is refused", async () => {
  const cases = [
    "5\nhello\r\n0\r\n\r\n", // bare LF after the size
    "5\r\nhello\n0\r\n\r\n", // data not followed by CRLF
    "5\r\nhelloXX0\r\n\r\n",
    "\r\nhello\r\n0\r\n\r\n", // no size
    "-5\r\nhello\r\n0\r\n\r\n",
    "+5\r\nhello\r\n0\r\n\r\n",
    "0x5\r\nhello\r\n0\r\n\r\n",
    "5z\r\nhello\r\n0\r\n\r\n",
    "5;a\x00\r\nhello\r\n0\r\n\r\n",
    "fffffffffffffffff\r\n",
    "0\r\nX-T: 1\n\r\n", // bare LF in trailers
    "0\r\nX T: 1\r\n\r\n",
    "0\r\n folded\r\n\r\n",
    `${"1".repeat(5000)}\r\n`,
  ];
  for (const wire of cases) {
    await assert.rejects(
      readAll(new ChunkedReader(scriptedConnection([wire]))),
      MalformedResponseError,
      JSON.stringify(wire),
    );
  }
});

Deno.test("chunked body: end of stream before the last chunk is UpstreamClosedError", async () => {
  for (const wire of ["5\r\nhel", "5\r\nhello", "5\r\nhello\r\n", "5\r\nhello\r\n0\r\n"]) {
    await assert.rejects(
      readAll(new ChunkedReader(scriptedConnection([wire]))),
      UpstreamClosedError,
      JSON.stringify(wire),
    );
  }
});

Deno.test("chunked body: a large trailer section across a compacting buffer", async () => {
  const trailers = Array.from({ length: 200 }, (_, i) => `X-T${i}: ${"v".repeat(40)}\r\n`).join("");
  const wire = "3\r\nabc\r\n0\r\n" + trailers + "\r\n";
  const pieces = [];
  for (let i = 0; i < wire.length; i += 700) pieces.push(wire.slice(i, i + 700));
  assert.equal(
    await readAll(new ChunkedReader(scriptedConnection(pieces, undefined, 4096))),
    "abc",
  );
});
