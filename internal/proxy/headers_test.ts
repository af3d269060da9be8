import assert from "node:assert/strict";
import { rewriteResponseHeaders, stripHopByHop, upstreamRequestHeaders } from "./headers.ts";

const info = {
  clientAddress: "10.0.0.7",
  protocol: "http" as const,
  requestId: "rid-1",
  preserveHost: true,
};

Deno.test("headers: hop-by-hop headers and those named in Connection are removed", () => {
  const h = new Headers({
    "connection": "close, X-Secret , keep-alive",
    "keep-alive": "timeout=5",
    "proxy-connection": "keep-alive",
    "te": "trailers",
    "trailer": "x-checksum",
    "transfer-encoding": "chunked",
    "upgrade": "websocket",
    "x-secret": "s",
    "x-kept": "k",
  });
  stripHopByHop(h);
  assert.deepEqual([...h.keys()], ["x-kept"]);
});

Deno.test("headers: forwarding headers are set, X-Forwarded-For appended", () => {
  const h = new Headers(upstreamRequestHeaders(
    new Headers({
      "host": "shop.example",
      "x-forwarded-for": "203.0.113.9",
      "x-forwarded-proto": "https",
      "x-forwarded-host": "spoofed",
      "x-request-id": "old",
      "accept-encoding": "gzip, br",
      "cookie": "a=1",
    }),
    info,
  ));
  assert.equal(h.get("x-forwarded-for"), "203.0.113.9, 10.0.0.7");
  assert.equal(h.get("x-forwarded-proto"), "http");
  assert.equal(h.get("x-forwarded-host"), "shop.example");
  assert.equal(h.get("x-request-id"), "rid-1");
  assert.equal(h.get("host"), "shop.example");
  assert.equal(h.get("accept-encoding"), "identity");
  assert.equal(h.get("cookie"), "a=1");
});

Deno.test("headers: first hop gets a fresh X-Forwarded-For; Host dropped when not preserved", () => {
  const h = new Headers(upstreamRequestHeaders(new Headers({ host: "a.example" }), {
    ...info,
    preserveHost: false,
  }));
  assert.equal(h.get("x-forwarded-for"), "10.0.0.7");
  assert.equal(h.get("host"), null);
  assert.equal(h.get("x-forwarded-host"), "a.example");
});

Deno.test("headers: hop-by-hop headers never reach the upstream, Connection tokens included", () => {
  const list = upstreamRequestHeaders(
    new Headers({
      "host": "a.example",
      "connection": "keep-alive, X-Hop",
      "keep-alive": "timeout=5",
      "te": "trailers",
      "upgrade": "h2c",
      "x-hop": "1",
      "x-end": "2",
      "set-cookie": "a=1",
    }),
    info,
  );
  assert.deepEqual(list.map(([name]) => name), [
    "host",
    "set-cookie",
    "x-end",
    "x-forwarded-for",
    "x-forwarded-proto",
    "x-forwarded-host",
    "x-request-id",
    "accept-encoding",
  ]);
});

Deno.test("headers: response keeps Content-Encoding and Content-Length, loses hop-by-hop", () => {
  const h = new Headers({
    "content-encoding": "gzip",
    "content-length": "58",
    "connection": "keep-alive, x-up-hop",
    "keep-alive": "timeout=5",
    "x-up-hop": "1",
    "set-cookie": "a=1",
  });
  h.append("set-cookie", "b=2");
  rewriteResponseHeaders(h, "rid-2");
  assert.deepEqual([...h.entries()], [
    ["content-encoding", "gzip"],
    ["content-length", "58"],
    ["set-cookie", "a=1"],
    ["set-cookie", "b=2"],
    ["x-request-id", "rid-2"],
  ]);
});
