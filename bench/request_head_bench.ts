/**
 * The http1 transport's request head for wrk's `GET /` as it reaches the upstream through
 * Sluice's defaults: the client's fields as the http1 listener parses them (slices of one
 * decoded head), `upstreamRequestHeaders` adding the forwarding fields (X-Forwarded-For/-Proto/
 * -Host, Forwarded, X-Real-IP, X-Request-Id: a new UUID v4, traceparent: a new one), then the
 * head written into a reused 8 KiB buffer: `writeRequestHead` (the head string, one
 * `encodeInto`), and the character-by-character writer it replaced, kept here to compare. A
 * fresh list per call, as for a request: its strings as a request's are (cons, sliced, flat).
 * Bytes allocated per call are printed before the benchmarks run (method: `bench/_alloc.ts`).
 *
 * Run: `deno bench bench/request_head_bench.ts`
 *
 * @module
 */

import { assertNotBlind, bytesPerCall, keep } from "./_alloc.ts";
import { type HeaderList, upstreamRequestHeaders } from "../internal/proxy/headers.ts";
import { type RequestFraming, writeRequestHead } from "../internal/proxy/http1/request_head.ts";
import { decideTrace } from "../internal/middleware/trace_context.ts";
import { parseHead } from "../internal/server/http1/parse_head.ts";

const wire = new TextEncoder().encode("GET / HTTP/1.1\r\nHost: 127.0.0.1:19650\r\n\r\n");
const buffer = new Uint8Array(8 * 1024);
const NO_BODY: RequestFraming = { kind: "none" };

/** The list `forward()` hands the transport for wrk's request. */
function upstreamList(): HeaderList {
  const head = parseHead(wire, 0, wire.length);
  if (!head.ok) throw new Error(head.reason);
  const fields = head.fields;
  return upstreamRequestHeaders(fields, {
    clientAddress: "127.0.0.1",
    protocol: "http",
    requestId: crypto.randomUUID(),
    preserveHost: true,
    authority: head.host ?? "",
    trace: decideTrace({ request: undefined as never, headerFields: fields }),
  });
}

/** The writer before: each string put with a `charCodeAt` loop (GET, no body, ASCII target). */
function charLoopHead(buffer: Uint8Array, defaultHost: string, headers: HeaderList): number {
  let host = defaultHost;
  for (let i = 0; i < headers.length; i++) {
    if (headers[i]![0] === "host") host = headers[i]![1];
  }
  let at = put(buffer, 0, "GET");
  at = put(buffer, at, " ");
  at = put(buffer, at, "/");
  at = put(buffer, at, " HTTP/1.1\r\nhost: ");
  at = put(buffer, at, host);
  at = put(buffer, at, "\r\n");
  for (let i = 0; i < headers.length && at >= 0; i++) {
    const field = headers[i]!;
    if (field[0] === "host") continue;
    at = put(buffer, at, field[0]);
    at = put(buffer, at, ": ");
    at = put(buffer, at, field[1]);
    at = put(buffer, at, "\r\n");
  }
  return put(buffer, at, "\r\n");
}

function put(buffer: Uint8Array, at: number, text: string): number {
  if (at < 0) return -1;
  const end = at + text.length;
  if (end > buffer.length) return -1;
  for (let i = 0; i < text.length; i++) buffer[at + i] = text.charCodeAt(i);
  return end;
}

const listOnly = () => keep(upstreamList());
const headNow = () =>
  keep(writeRequestHead(buffer, "GET", "/", "127.0.0.1:19001", upstreamList(), NO_BODY));
const headBefore = () => keep(charLoopHead(buffer, "127.0.0.1:19001", upstreamList()));

const length = writeRequestHead(buffer, "GET", "/", "127.0.0.1:19001", upstreamList(), NO_BODY);
const check = new Uint8Array(buffer.subarray(0, length));
if (charLoopHead(buffer, "127.0.0.1:19001", upstreamList()) !== length) {
  throw new Error("the two writers differ in length");
}
assertNotBlind();
const chunks = { warmUp: 20_000, chunk: 100, chunks: 1001 };
// deno-lint-ignore no-console
console.log(`head of ${check.length} bytes; bytes allocated per call:`);
for (
  const [name, fn] of [
    ["upstream list alone", listOnly],
    ["list + writeRequestHead (string, one encodeInto)", headNow],
    ["list + charCodeAt writer (before)", headBefore],
  ] as const
) {
  // deno-lint-ignore no-console
  console.log(`  ${name}: ${bytesPerCall(fn, chunks).toFixed(0)}`);
}

Deno.bench("upstream list alone (parse, upstreamRequestHeaders, trace, id)", {
  group: "head",
}, listOnly);
Deno.bench("list + writeRequestHead (the head string, one encodeInto)", {
  group: "head",
  baseline: true,
}, headNow);
Deno.bench("list + charCodeAt writer (before)", { group: "head" }, headBefore);
