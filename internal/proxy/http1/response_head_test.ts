import assert from "node:assert/strict";
import { MalformedResponseError } from "./errors.ts";
import { findHeadEnd, parseResponseHead, type ResponseHead } from "./response_head.ts";

const encode = (text: string) => Uint8Array.from(text, (c) => c.charCodeAt(0));

/** Parses a whole head, or returns the refusal's message. */
function parse(text: string): ResponseHead | string {
  const buf = encode(text);
  try {
    const end = findHeadEnd(buf, 0, buf.length, { from: 0 });
    if (end < 0) return "incomplete";
    return parseResponseHead(buf, 0, end);
  } catch (error) {
    assert.ok(error instanceof MalformedResponseError, String(error));
    return error.message;
  }
}

function ok(text: string): ResponseHead {
  const head = parse(text);
  assert.equal(typeof head, "object", `expected ${JSON.stringify(text)} to parse: ${head}`);
  return head as ResponseHead;
}

function refused(text: string, pattern: RegExp): void {
  const result = parse(text);
  assert.equal(typeof result, "string", `expected ${JSON.stringify(text)} to be refused`);
  assert.match(result as string, pattern);
}

Deno.test("response head: status, reason, headers in order, names lower-cased, OWS trimmed", () => {
  const head = ok(
    "HTTP/1.1 201 Created Now\r\nX-A: 1\r\nSet-Cookie: a=1\r\nset-cookie:b=2 \t\r\n" +
      "Content-Length: 5\r\n\r\n",
  );
  assert.equal(head.status, 201);
  assert.equal(head.statusText, "Created Now");
  assert.equal(head.minor, 1);
  assert.deepEqual(head.headers, [
    ["x-a", "1"],
    ["set-cookie", "a=1"],
    ["set-cookie", "b=2"],
    ["content-length", "5"],
  ]);
  assert.equal(head.contentLength, 5);
  assert.equal(head.chunked, false);
  assert.equal(head.keepAlive, true);
});

Deno.test("response head: empty reason with or without its space; obs-text kept as latin1", () => {
  assert.equal(ok("HTTP/1.1 200\r\n\r\n").statusText, "");
  assert.equal(ok("HTTP/1.1 200 \r\n\r\n").statusText, "");
  assert.deepEqual(ok("HTTP/1.1 200 OK\r\nX-N: caf\xe9\r\n\r\n").headers, [["x-n", "caf\xe9"]]);
});

Deno.test("response head: common names in any case come out lower case; the rest untouched", () => {
  const head = ok(
    "HTTP/1.1 200 OK\r\nCONTENT-TYPE: a\r\ncontent-Type: b\r\nX-Powered-By: c\r\n" +
      "Content^Type: d\r\nContent_Type: e\r\nConnection: Keep-Alive\r\nconnection: keep-alive\r\n" +
      "Content-Length: 0007\r\nSET-COOKIE: f\r\n\r\n",
  );
  assert.equal(head.statusText, "OK");
  assert.deepEqual(head.headers, [
    ["content-type", "a"],
    ["content-type", "b"],
    ["x-powered-by", "c"],
    ["content^type", "d"],
    ["content_type", "e"],
    ["connection", "Keep-Alive"],
    ["connection", "keep-alive"],
    ["content-length", "7"],
    ["set-cookie", "f"],
  ]);
  assert.equal(head.contentLength, 7);
  assert.equal(
    ok("HTTP/1.1 200 OKAY\r\nContent-Length: 9007199254740991\r\n\r\n").statusText,
    "OKAY",
  );
  assert.equal(
    ok("HTTP/1.1 200 OK\r\nContent-Length: 9007199254740991\r\n\r\n").contentLength,
    2 ** 53 - 1,
  );
  assert.deepEqual(ok("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n").headers, [[
    "content-length",
    "0",
  ]]);
});

Deno.test("response head: keep-alive by version and Connection", () => {
  assert.equal(ok("HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n").keepAlive, false);
  assert.equal(ok("HTTP/1.1 200 OK\r\nConnection: x, Close\r\n\r\n").keepAlive, false);
  assert.equal(ok("HTTP/1.0 200 OK\r\n\r\n").keepAlive, false);
  assert.equal(ok("HTTP/1.0 200 OK\r\nConnection: keep-alive\r\n\r\n").keepAlive, true);
});

Deno.test("response head: Content-Length repeated with one value collapses to one field", () => {
  const head = ok("HTTP/1.1 200 OK\r\nContent-Length: 3, 3\r\ncontent-length: 3\r\n\r\n");
  assert.equal(head.contentLength, 3);
  assert.deepEqual(head.headers, [["content-length", "3"]]);
});

Deno.test("response head: chunked recognised case-insensitively", () => {
  const head = ok("HTTP/1.1 200 OK\r\nTransfer-Encoding: Chunked\r\n\r\n");
  assert.equal(head.chunked, true);
  assert.equal(head.contentLength, -1);
});

Deno.test("response head: incomplete until the empty line", () => {
  assert.equal(parse("HTTP/1.1 200 OK\r\nA: b\r\n"), "incomplete");
  assert.equal(parse("HTTP/1.1 200 OK\r\nA: b\r\n\r"), "incomplete");
});

Deno.test("response head: the scan resumes where it stopped", () => {
  const buf = encode("HTTP/1.1 200 OK\r\nA: b\r\n\r\n");
  const scan = { from: 0 };
  assert.equal(findHeadEnd(buf, 0, 20, scan), -1);
  assert.equal(scan.from, 17);
  assert.equal(findHeadEnd(buf, 0, buf.length, scan), buf.length);
});

Deno.test("response head: refusals (RFC 9112, RFC 9110)", () => {
  const cases: [string, RegExp][] = [
    ["HTTP/1.1 200 OK\nA: b\r\n\r\n", /bare LF/],
    ["HTTP/1.1 200 OK\r\nA: b\n\r\n", /bare LF/],
    ["HTTP/1.1 200 OK\r\nA: b\r\n\n", /bare LF/],
    ["\r\nHTTP/1.1 200 OK\r\n\r\n", /empty status line/],
    ["HTTP/2.0 200 OK\r\n\r\n", /status line/],
    ["HTTP/1.2 200 OK\r\n\r\n", /status line/],
    ["http/1.1 200 OK\r\n\r\n", /status line/],
    ["HTTP/1.1  200 OK\r\n\r\n", /status/],
    ["HTTP/1.1 20 OK\r\n\r\n", /status/],
    ["HTTP/1.1 2000 OK\r\n\r\n", /status line/],
    ["HTTP/1.1 099 OK\r\n\r\n", /status code/],
    ["HTTP/1.1 600 OK\r\n\r\n", /status code/],
    ["HTTP/1.1 200 O\x00K\r\n\r\n", /control character/],
    ["HTTP/1.1 200 OK\r\nA: b\r\n c\r\n\r\n", /obs-fold/],
    ["HTTP/1.1 200 OK\r\nA : b\r\n\r\n", /whitespace before a colon/],
    ["HTTP/1.1 200 OK\r\nA\tB: b\r\n\r\n", /whitespace before a colon/],
    ["HTTP/1.1 200 OK\r\nA(: b\r\n\r\n", /invalid field name/],
    ["HTTP/1.1 200 OK\r\n: b\r\n\r\n", /empty field name/],
    ["HTTP/1.1 200 OK\r\nNo colon\r\n\r\n", /without a colon/],
    ["HTTP/1.1 200 OK\r\nA: b\x00c\r\n\r\n", /control character/],
    ["HTTP/1.1 200 OK\r\nA: b\rc\r\n\r\n", /control character/],
    ["HTTP/1.1 200 OK\r\nA: b\x7f\r\n\r\n", /control character/],
    ["HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", /conflicting/],
    ["HTTP/1.1 200 OK\r\nContent-Length: 1, 2\r\n\r\n", /conflicting/],
    ["HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", /invalid Content-Length/],
    ["HTTP/1.1 200 OK\r\nContent-Length: +1\r\n\r\n", /invalid Content-Length/],
    ["HTTP/1.1 200 OK\r\nContent-Length: 0x10\r\n\r\n", /invalid Content-Length/],
    ["HTTP/1.1 200 OK\r\nContent-Length: \r\n\r\n", /invalid Content-Length/],
    ["HTTP/1.1 200 OK\r\nContent-Length: 1 2\r\n\r\n", /invalid Content-Length/],
    ["HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999\r\n\r\n", /invalid Content-Length/],
    ["HTTP/1.1 200 OK\r\nContent-Length: 9007199254740992\r\n\r\n", /invalid Content-Length/],
    ["HTTP/1.1 200 OK\r\nContent-Length: 1.5\r\n\r\n", /invalid Content-Length/],
    [
      "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n",
      /both Content-Length and Transfer-Encoding/,
    ],
    ["HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n", /Transfer-Encoding/],
    ["HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, gzip\r\n\r\n", /Transfer-Encoding/],
    ["HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", /Transfer-Encoding/],
    [
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n",
      /Transfer-Encoding/,
    ],
    ["HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", /HTTP\/1.0/],
  ];
  for (const [text, pattern] of cases) refused(text, pattern);
});
