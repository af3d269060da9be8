import assert from "node:assert/strict";
import { releaseBuffer, responseHead } from "./write_response.ts";

const latin1 = new TextDecoder("latin1");

function text(bytes: Uint8Array): string {
  return latin1.decode(bytes);
}

Deno.test("responseHead: status line, fields, own framing; a byte body in the same buffer", () => {
  const body = new TextEncoder().encode("hello\n");
  const response = new Response(null, {
    status: 200,
    headers: [
      ["date", "Thu, 03 Dec 2026 16:00:00 GMT"],
      ["content-type", "text/plain"],
      ["content-length", "999"],
      ["connection", "close"],
      ["keep-alive", "timeout=5"],
    ],
  });
  const out = responseHead(response, 1, false, true, body.length, true, body);
  assert.equal(out.framing, "length");
  assert.equal(out.withBody, true);
  assert.equal(
    text(out.bytes),
    "HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ndate: Thu, 03 Dec 2026 16:00:00 GMT\r\n" +
      "content-length: 6\r\n\r\nhello\n",
  );
});

Deno.test("responseHead: HEAD keeps Content-Length and sends no body", () => {
  const body = new Uint8Array(6);
  const out = responseHead(new Response(null), 1, true, true, 6, true, body);
  assert.equal(out.framing, "none");
  assert.equal(out.withBody, false);
  assert.match(text(out.bytes), /^HTTP\/1\.1 200 OK\r\ndate: .+ GMT\r\ncontent-length: 6\r\n\r\n$/);
});

Deno.test("responseHead: a field value's obs-text goes out as the same single bytes", () => {
  const response = new Response(null, { headers: { "x-name": "caf\u00e9 \u00ff" } });
  const out = responseHead(response, 1, false, true, 0, false);
  const bytes = out.bytes;
  const at = text(bytes).indexOf("x-name: ") + 8;
  assert.deepEqual([...bytes.subarray(at, at + 6)], [0x63, 0x61, 0x66, 0xe9, 0x20, 0xff]);
});

Deno.test("responseHead: several Set-Cookie fields stay separate lines", () => {
  const headers = new Headers();
  headers.append("set-cookie", "a=1");
  headers.append("set-cookie", "b=2");
  const out = responseHead(new Response(null, { headers }), 1, false, true, 0, false);
  assert.match(text(out.bytes), /\r\nset-cookie: a=1\r\nset-cookie: b=2\r\n/);
});

Deno.test("responseHead: unknown length is chunked for HTTP/1.1, close-delimited for 1.0", () => {
  const chunked = responseHead(new Response("x"), 1, false, true, undefined, true);
  assert.equal(chunked.framing, "chunked");
  assert.match(text(chunked.bytes), /\r\ntransfer-encoding: chunked\r\n\r\n$/);
  const close = responseHead(new Response("x"), 0, false, true, undefined, true);
  assert.equal(close.framing, "close");
  assert.equal(close.close, true);
  assert.match(text(close.bytes), /\r\nconnection: close\r\n\r\n$/);
});

Deno.test("responseHead: a status without a standard reason keeps the response's", () => {
  const response = new Response(null, { status: 599, statusText: "Custom" });
  assert.match(
    text(responseHead(response, 1, false, false, 0, false).bytes),
    /^HTTP\/1\.1 599 Custom\r\n/,
  );
});

Deno.test("responseHead: a transport's FieldResponse is written from its list, as its Headers would be", async () => {
  const { FieldResponse } = await import("../../proxy/field_response.ts");
  const fields: [string, string][] = [
    ["content-type", "text/plain"],
    ["set-cookie", "a=1"],
    ["cache-control", "no-store"],
    ["set-cookie", "b=2"],
    ["cache-control", "private"],
    ["content-length", "6"],
    ["date", "Thu, 03 Dec 2026 16:00:00 GMT"],
  ];
  const body = new TextEncoder().encode("hello\n");
  const lean = new FieldResponse(body, 200, "OK", [...fields]);
  const out = responseHead(lean, 1, false, true, undefined, true, body);
  // The list's order, repeated fields as lines of their own (RFC 9110 §5.3), the same framing.
  assert.equal(
    text(out.bytes),
    "HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\nset-cookie: a=1\r\ncache-control: no-store\r\n" +
      "set-cookie: b=2\r\ncache-control: private\r\ndate: Thu, 03 Dec 2026 16:00:00 GMT\r\n" +
      "content-length: 6\r\n\r\nhello\n",
  );
  const real = new Response(body, { status: 200, headers: fields });
  const viaHeaders = responseHead(real, 1, false, true, undefined, true, body);
  assert.equal(out.framing, viaHeaders.framing);
  assert.equal(out.length, viaHeaders.length);
  /** The head's fields as a Headers: what a client makes of them. */
  const parsed = (bytes: Uint8Array) => {
    const lines = text(bytes).split("\r\n\r\n")[0]!.split("\r\n").slice(1);
    const headers = new Headers();
    for (const line of lines) {
      const colon = line.indexOf(":");
      headers.append(line.slice(0, colon), line.slice(colon + 1).trim());
    }
    return [...headers];
  };
  assert.deepEqual(parsed(out.bytes), parsed(viaHeaders.bytes));
  // Without a Content-Length field, nor a known length: chunked, as with Headers.
  const streamed = new FieldResponse(new Blob(["x"]).stream(), 200, "OK", [["x-a", "1"]]);
  const chunked = responseHead(streamed, 1, false, true, undefined, true);
  assert.equal(chunked.framing, "chunked");
  await streamed.body!.cancel();
});

Deno.test("responseHead: 200 pooled heads out at once all come back for reuse", () => {
  const body = new TextEncoder().encode("hello\n");
  const take = () =>
    responseHead(new Response(null), 1, false, true, body.length, true, body, true).pooled!;
  // As under `wrk -c200`: every connection's head is out before any write settles.
  const first = Array.from({ length: 200 }, take);
  for (const buffer of first) releaseBuffer(buffer);
  const again = new Set(Array.from({ length: 200 }, take));
  const reused = first.filter((buffer) => again.has(buffer)).length;
  for (const buffer of again) releaseBuffer(buffer);
  assert.equal(reused, 200);
});

Deno.test("responseHead: HEAD of a response without a body or a length says no Content-Length: 0", () => {
  // An upstream's HEAD answer with Transfer-Encoding: chunked (stripped) and no Content-Length:
  // the GET's length is unknown, and RFC 9110 §8.6 forbids any other value than it.
  const head = responseHead(new Response(null), 1, true, true, undefined, false);
  assert.equal(head.framing, "none");
  assert.doesNotMatch(text(head.bytes), /content-length/i);
  // A GET's bodiless answer still frames its empty body.
  const get = responseHead(new Response(null), 1, false, true, undefined, false);
  assert.match(text(get.bytes), /\r\ncontent-length: 0\r\n/);
});
