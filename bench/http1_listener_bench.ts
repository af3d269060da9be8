/**
 * Per-request costs of the HTTP/1.1 listener's hot path (`deno bench bench/http1_listener_bench.ts`):
 * parsing a browser-like request head, building the request the handler gets (the listener's
 * `ClientRequest`, against a WHATWG `Request`), and building and serialising a `Response` head. Answers whether a Request/Response-free
 * handler contract would pay off (README: Client listeners). The `connection` group serves whole
 * keep-alive requests through `Http1Connection` over an in-memory `Deno.Conn`: the listener's own
 * JavaScript per request, without the socket's system calls (`--allow-env` for LogTape).
 *
 * @module
 */

import type { Handler } from "../internal/middleware/mod.ts";
import { assertNotBlind, bytesPerAsyncCall, bytesPerCall, keep } from "./_alloc.ts";
import { BYTE_BODIES, setResponseField } from "../internal/proxy/mod.ts";
import { clientResponse } from "../internal/proxy/http1/client_response.ts";
import { Http1Connection } from "../internal/server/http1/connection.ts";
import { buildRequest } from "../internal/server/http1/client_request.ts";
import { parseHead } from "../internal/server/http1/parse_head.ts";
import { releaseBuffer, responseHead } from "../internal/server/http1/write_response.ts";

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

Deno.bench("build the listener's ClientRequest, nothing else read (the default path)", {
  group: "request",
}, () => {
  keep(
    buildRequest(parsed.method, "shop.example", parsed.target, parsed.fields, null, "localhost:80"),
  );
});

Deno.bench("build the listener's ClientRequest and read its headers (Request made)", {
  group: "request",
}, () => {
  keep(
    buildRequest(parsed.method, "shop.example", parsed.target, parsed.fields, null, "localhost:80")!
      .headers,
  );
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

const BODY = new TextEncoder().encode("hello world\n");

Deno.bench("head and byte body in a fresh buffer", { group: "write" }, () => {
  responseHead(RESPONSE, 1, false, true, BODY.length, true, BODY, false);
});

Deno.bench("head and byte body in a pooled buffer (released after the write)", {
  group: "write",
}, () => {
  releaseBuffer(responseHead(RESPONSE, 1, false, true, BODY.length, true, BODY, true).pooled);
});

const RESPONSE = new Response("hello world\n", {
  status: 200,
  headers: { "content-type": "text/plain", "content-length": "12" },
});

/**
 * A keep-alive client over an in-memory `Deno.Conn`: `send()` hands the listener one request,
 * resolved once the response was written. No socket, so the figure is the listener's own
 * JavaScript per request (head parsing, `Request`, context, response head, write).
 */
class MemoryConn {
  readonly remoteAddr: Deno.NetAddr = { transport: "tcp", hostname: "127.0.0.1", port: 40000 };
  readonly localAddr: Deno.NetAddr = { transport: "tcp", hostname: "127.0.0.1", port: 8080 };
  #read: { buffer: Uint8Array; resolve: (n: number | null) => void } | undefined;
  #queued: Uint8Array | undefined;
  #responded: (() => void) | undefined;
  written = 0;

  read(buffer: Uint8Array): Promise<number | null> {
    if (this.#queued !== undefined) return Promise.resolve(this.#deliver(buffer));
    return new Promise((resolve) => this.#read = { buffer, resolve });
  }

  /** Copies what fits of the queued bytes, as a socket read returns what the buffer holds. */
  #deliver(buffer: Uint8Array): number {
    const queued = this.#queued!;
    const n = Math.min(queued.length, buffer.length);
    buffer.set(queued.subarray(0, n));
    this.#queued = n === queued.length ? undefined : queued.subarray(n);
    return n;
  }

  write(bytes: Uint8Array): Promise<number> {
    this.written += bytes.length;
    const responded = this.#responded;
    this.#responded = undefined;
    responded?.();
    return Promise.resolve(bytes.length);
  }

  /** Delivers `request` and resolves when the response has been written. */
  send(request: Uint8Array): Promise<void> {
    const { promise, resolve } = Promise.withResolvers<void>();
    this.#responded = resolve;
    this.#queued = request;
    const read = this.#read;
    this.#read = undefined;
    if (read !== undefined) read.resolve(this.#deliver(read.buffer));
    return promise;
  }

  close(): void {
    const read = this.#read;
    this.#read = undefined;
    read?.resolve(null);
  }

  closeWrite(): Promise<void> {
    return Promise.resolve();
  }
}

/** An upstream's answer as the http1 transport makes it: a byte body in BYTE_BODIES. */
function upstreamResponse(): Response {
  const bytes = new TextEncoder().encode("hello\n");
  const response = new Response(bytes, {
    status: 200,
    headers: [
      ["server", "nginx/1.24.0"],
      ["date", "Thu, 03 Dec 2026 16:00:00 GMT"],
      ["content-type", "text/plain"],
      ["content-length", "6"],
    ],
  });
  BYTE_BODIES.set(response, bytes);
  return response;
}

function memoryConnection(handler: Handler): MemoryConn {
  const conn = new MemoryConn();
  const connection = new Http1Connection(conn as unknown as Deno.Conn, {
    handler,
    fallbackAuthority: "localhost:8080",
    headerTimeoutMs: 10_000,
    bodyTimeoutMs: 60_000,
    idleTimeoutMs: 60_000,
    sendTimeoutMs: 60_000,
    maxHeadBytes: 65_536,
    tunnelTimeoutMs: 0,
    onTunnel: () => {},
    tracer: undefined,
    now: () => 0,
    onClose: () => {},
  });
  void connection.serve();
  return conn;
}

const WRK_GET = new TextEncoder().encode("GET / HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n\r\n");
// One response object, its headers read once: what the transport and middleware cost is not
// the listener's.
const READY = upstreamResponse();
READY.headers;
const wrkConn = memoryConnection((ctx) => {
  // What the default path reads of the request; its fields come from ctx.headerFields.
  keep(ctx.request.method);
  return Promise.resolve(READY);
});
const browserConn = memoryConnection((ctx) => {
  // What the default path reads of the request; its fields come from ctx.headerFields.
  keep(ctx.request.method);
  return Promise.resolve(READY);
});

Deno.bench("listener: one keep-alive request, wrk's GET / (in-memory connection)", {
  group: "connection",
  baseline: true,
}, async () => {
  await wrkConn.send(WRK_GET);
});

Deno.bench("listener: one keep-alive request, a browser's GET (7 fields)", {
  group: "connection",
}, async () => {
  await browserConn.send(HEAD);
});

Deno.bench("listener: same, a fresh transport Response per request", {
  group: "connection",
}, async () => {
  await freshConn.send(WRK_GET);
});
// What the defaults do per response: the http1 transport's response from its parsed list (nginx's
// four fields after the hop-by-hop ones), X-Request-Id set by the middleware, the head written.
const NGINX_BYTES = new TextEncoder().encode("hello\n");
const transportConn = memoryConnection((ctx) => {
  keep(ctx.request.method);
  const response = clientResponse(NGINX_BYTES, 200, "OK", [
    ["server", "nginx/1.24.0"],
    ["date", "Thu, 03 Dec 2026 16:00:00 GMT"],
    ["content-type", "text/plain"],
    ["content-length", "6"],
  ]);
  BYTE_BODIES.set(response, NGINX_BYTES);
  setResponseField(response, "x-request-id", "5f0c6d2e-1b7a-4c8e-9f3d-2a6b8e4c1d00");
  return Promise.resolve(response);
});

Deno.bench("listener: wrk's GET /, the transport's response per request, X-Request-Id set", {
  group: "connection",
}, async () => {
  await transportConn.send(WRK_GET);
});

const freshConn = memoryConnection((ctx) => {
  // What the default path reads of the request; its fields come from ctx.headerFields.
  keep(ctx.request.method);
  return Promise.resolve(upstreamResponse());
});

// Bytes allocated per call (see bench/_alloc.ts): chunks well below the young generation.
const chunks = { warmUp: 20_000, chunk: 100, chunks: 1001 };
const control = assertNotBlind();
const byteRows: [string, number][] = [
  [
    "parse a browser request head (7 fields)",
    bytesPerCall(() => keep(parseHead(HEAD, 0, HEAD.length)), chunks),
  ],
  [
    "new Request with the 7 fields in its init",
    bytesPerCall(
      () => keep(new Request("http://shop.example/", { method: "GET", headers: parsed.fields })),
      chunks,
    ),
  ],
  [
    "the listener's ClientRequest, nothing else read (the default path)",
    bytesPerCall(
      () => keep(buildRequest("GET", "shop.example", parsed.target, parsed.fields, null, "l:80")),
      chunks,
    ),
  ],
  [
    "the listener's ClientRequest, its headers read (Request made, fields appended)",
    bytesPerCall(
      () =>
        keep(
          buildRequest("GET", "shop.example", parsed.target, parsed.fields, null, "l:80")!.headers,
        ),
      chunks,
    ),
  ],
  [
    "one keep-alive request through the listener, wrk's GET /",
    await bytesPerAsyncCall(() => wrkConn.send(WRK_GET), chunks),
  ],
  [
    "one keep-alive request through the listener, a browser's GET",
    await bytesPerAsyncCall(() => browserConn.send(HEAD), chunks),
  ],
  [
    "wrk's GET /, the transport's response per request, X-Request-Id set",
    await bytesPerAsyncCall(() => transportConn.send(WRK_GET), chunks),
  ],
];
// deno-lint-ignore no-console
console.log(
  `Bytes allocated per call (median of 1001 chunks of 100; control object: ${control} B)\n` +
    byteRows.map(([name, bytes]) => `${bytes.toFixed(0).padStart(7)}  ${name}`).join("\n"),
);
