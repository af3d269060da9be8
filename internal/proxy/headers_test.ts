import assert from "node:assert/strict";
import {
  rewriteResponseHeaders,
  stripHopByHop,
  stripHopByHopFields,
  upstreamRequestHeaders,
  withoutHopByHop,
} from "./headers.ts";

const info = {
  clientAddress: "10.0.0.7",
  protocol: "http" as const,
  requestId: "rid-1",
  preserveHost: true,
  authority: "shop.example",
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

Deno.test("headers: withoutHopByHop removes what stripHopByHop removes, from a list", () => {
  const list: [string, string][] = [
    ["x-secret", "s"],
    ["connection", "close, X-Secret"],
    ["keep-alive", "timeout=5"],
    ["x-kept", "k"],
    ["connection", "x-other, content-length"],
    ["x-other", "o"],
    ["content-length", "1"],
    ["proxy-connection", "keep-alive"],
    ["te", "trailers"],
    ["trailer", "x-checksum"],
    ["transfer-encoding", "chunked"],
    ["upgrade", "websocket"],
    ["set-cookie", "a=1"],
    ["set-cookie", "b=2"],
  ];
  const before = structuredClone(list);
  assert.deepEqual(withoutHopByHop(list), [
    ["x-kept", "k"],
    ["content-length", "1"],
    ["set-cookie", "a=1"],
    ["set-cookie", "b=2"],
  ]);
  assert.deepEqual(list, before);
  const h = new Headers(list);
  stripHopByHop(h);
  assert.deepEqual([...h], [...new Headers(withoutHopByHop(list))]);
  const clean: [string, string][] = [["content-type", "text/plain"], ["x-a", "1"]];
  assert.equal(withoutHopByHop(clean), clean);
  const edited = structuredClone(list);
  stripHopByHopFields(edited);
  assert.deepEqual(edited, withoutHopByHop(list));
  const keepAlive: [string, string][] = [["connection", "keep-alive"], ["x-a", "1"]];
  stripHopByHopFields(keepAlive);
  assert.deepEqual(keepAlive, [["x-a", "1"]]);
  stripHopByHopFields(clean);
  assert.deepEqual(clean, [["content-type", "text/plain"], ["x-a", "1"]]);
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
  // Passed as sent: only FetchTransport replaces it (tests/proxy_headers_test.ts).
  assert.equal(h.get("accept-encoding"), "gzip, br");
  assert.equal(h.get("cookie"), "a=1");
});

Deno.test("headers: first hop gets a fresh X-Forwarded-For; Host dropped when not preserved", () => {
  const h = new Headers(upstreamRequestHeaders(new Headers({ host: "a.example" }), {
    ...info,
    preserveHost: false,
    authority: "a.example",
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
    { ...info, authority: "a.example" },
  );
  assert.deepEqual(list.map(([name]) => name), [
    "host",
    "set-cookie",
    "x-end",
    "x-forwarded-for",
    "x-forwarded-proto",
    "x-forwarded-host",
    "forwarded",
    "x-real-ip",
    "x-request-id",
  ]);
});

Deno.test("headers: Connection never removes Host, framing, credentials or forwarding headers", () => {
  const h = new Headers(upstreamRequestHeaders(
    new Headers({
      "host": "shop.example",
      "connection":
        "host, content-length, Content-Type, authorization, cookie, forwarded, x-forwarded-for, x-hop",
      "content-length": "2",
      "content-type": "text/plain",
      "authorization": "Bearer t",
      "cookie": "a=1",
      "x-hop": "1",
    }),
    info,
  ));
  assert.equal(h.get("host"), "shop.example");
  assert.equal(h.get("content-length"), "2");
  assert.equal(h.get("content-type"), "text/plain");
  assert.equal(h.get("authorization"), "Bearer t");
  assert.equal(h.get("cookie"), "a=1");
  assert.equal(h.get("x-hop"), null);
  const response = new Headers({
    "connection": "content-length, x-up",
    "content-length": "3",
    "x-up": "1",
  });
  stripHopByHop(response);
  assert.deepEqual([...response.keys()], ["content-length"]);
});

Deno.test("headers: Forwarded gets Sluice's element appended, X-Real-IP is replaced", () => {
  const h = new Headers(upstreamRequestHeaders(
    new Headers({
      "host": "shop.example:8080",
      "forwarded": "for=8.8.8.8",
      "x-real-ip": "9.9.9.9",
    }),
    { ...info, authority: "shop.example:8080", clientIp: "203.0.113.5" },
  ));
  assert.equal(h.get("forwarded"), 'for=8.8.8.8, for=10.0.0.7;host="shop.example:8080";proto=http');
  assert.equal(h.get("x-real-ip"), "203.0.113.5");
  const v6 = new Headers(upstreamRequestHeaders(new Headers({ host: "a" }), {
    ...info,
    clientAddress: "::1",
    authority: "a",
  }));
  assert.equal(v6.get("forwarded"), 'for="[::1]";host=a;proto=http');
  assert.equal(v6.get("x-real-ip"), "::1", "no trusted proxy: the peer");
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

Deno.test("headers: from the parsed field lines, the client's order and repeated lines are kept", () => {
  const fields: [string, string][] = [
    ["host", "shop.example"],
    ["x-forwarded-for", "203.0.113.9"],
    ["cookie", "a=1"],
    ["connection", "keep-alive, x-secret"],
    ["x-secret", "s"],
    ["accept", "*/*"],
    ["cookie", "b=2"],
    ["x-forwarded-for", "198.51.100.2"],
    ["forwarded", "for=203.0.113.9"],
    ["forwarded", "for=198.51.100.2"],
  ];
  const out = upstreamRequestHeaders(fields, info);
  assert.deepEqual(out, [
    ["host", "shop.example"],
    ["cookie", "a=1"],
    ["accept", "*/*"],
    ["cookie", "b=2"],
    ["x-forwarded-for", "203.0.113.9, 198.51.100.2, 10.0.0.7"],
    ["x-forwarded-proto", "http"],
    ["x-forwarded-host", "shop.example"],
    [
      "forwarded",
      "for=203.0.113.9, for=198.51.100.2, for=10.0.0.7;host=shop.example;proto=http",
    ],
    ["x-real-ip", "10.0.0.7"],
    ["x-request-id", "rid-1"],
  ]);
  // The same request read from Headers: sorted, repeated fields combined, the same values added.
  const viaHeaders = upstreamRequestHeaders(new Headers(fields), info);
  assert.deepEqual(
    new Map(viaHeaders.filter(([name]) => name !== "cookie")),
    new Map(out.filter(([name]) => name !== "cookie")),
  );
  assert.deepEqual(viaHeaders.filter(([name]) => name === "cookie"), [["cookie", "a=1, b=2"]]);
});
