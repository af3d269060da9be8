/**
 * Per-request costs of the HTTP/1.1 listener's hot path (`deno bench bench/http1_listener_bench.ts`):
 * parsing a browser-like request head, building the WHATWG `Request` the handler contract
 * needs, and building and serialising a `Response` head. Answers whether a Request/Response-free
 * handler contract would pay off (README: Client listeners).
 *
 * @module
 */

import { parseHead } from "../internal/server/http1/parse_head.ts";
import { responseHead } from "../internal/server/http1/write_response.ts";

const HEAD = new TextEncoder().encode(
  "GET /api/items?page=2 HTTP/1.1\r\nHost: shop.example\r\nUser-Agent: Mozilla/5.0 (X11; Linux " +
    "x86_64) Gecko/20100101 Firefox/120.0\r\nAccept: text/html,application/xhtml+xml\r\n" +
    "Accept-Language: en-US,en;q=0.5\r\nAccept-Encoding: gzip, deflate, br\r\nCookie: " +
    "session=abc123; theme=dark\r\nConnection: keep-alive\r\n\r\n",
);
const parsed = parseHead(HEAD, 0, HEAD.length);
if (!parsed.ok) throw new Error("bench head does not parse");
const signal = new AbortController().signal;

Deno.bench("parse a browser request head (7 fields)", { group: "head" }, () => {
  parseHead(HEAD, 0, HEAD.length);
});

Deno.bench("build the Request from the parsed head", { group: "request" }, () => {
  new Request(`http://shop.example${parsed.target}`, {
    method: parsed.method,
    headers: parsed.fields,
    signal,
  });
});

Deno.bench("build a Headers only (no Request)", { group: "request" }, () => {
  new Headers(parsed.fields);
});

Deno.bench("build a Response and serialise its head", { group: "response" }, () => {
  const response = new Response("hello world\n", {
    status: 200,
    headers: { "content-type": "text/plain", "content-length": "12" },
  });
  responseHead(response, 1, false, true, undefined, true);
});

Deno.bench("serialise the head of an existing Response", { group: "response" }, () => {
  responseHead(RESPONSE, 1, false, true, undefined, true);
});

const RESPONSE = new Response("hello world\n", {
  status: 200,
  headers: { "content-type": "text/plain", "content-length": "12" },
});
