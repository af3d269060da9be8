/**
 * Per-request costs of the paths every proxied request takes besides the transport: the header
 * rewrite both ways, the request id, and the access log record (entry, LogTape, JSON line,
 * batched sink, or the line written straight to the sink). Time per call comes from `deno bench`; bytes allocated per call are printed
 * before the benchmarks run (method: `bench/_alloc.ts`).
 *
 * Run: `deno bench bench/request_path_bench.ts`
 *
 * @module
 */

import { configure, reset } from "@logtape/logtape";
import { assertNotBlind, bytesPerAsyncCall, bytesPerCall, keep } from "./_alloc.ts";
import { getBatchedSink } from "../internal/app/batched_sink.ts";
import { jsonLineFormatter } from "../internal/app/mod.ts";
import { accessLog, createContext, requestId } from "../internal/middleware/mod.ts";
import {
  type HeaderList,
  rewriteResponseHeaders,
  setResponseField,
  upstreamRequestHeaders,
  withoutHopByHop,
} from "../internal/proxy/mod.ts";
import { DeadlineSweep } from "../internal/proxy/deadline_sweep.ts";
import { clientResponse } from "../internal/proxy/http1/client_response.ts";
import { buildRequest } from "../internal/server/http1/client_request.ts";
import { browserHeaders, info } from "./_requests.ts";

const upstreamHeaders = new Headers({
  "content-type": "text/html; charset=utf-8",
  "content-length": "5120",
  "cache-control": "max-age=60",
  "connection": "keep-alive",
  "keep-alive": "timeout=5",
  "date": "Sat, 21 Nov 2026 20:00:00 GMT",
});

const upstreamList: HeaderList = [...upstreamHeaders];

const requestHeaders = () => keep(upstreamRequestHeaders(browserHeaders, info));
// The same request with the field lines the http1 listener parsed (ctx.headerFields).
const browserFields: [string, string][] = [];
browserHeaders.forEach((value, name) => browserFields.push([name, value]));
const requestHeadersFromFields = () => keep(upstreamRequestHeaders(browserFields, info));
// What the http1 transport does instead (clientReadyResponses): strip the parsed list, build
// the Response from it once, with a small byte body (read whole) and its headers appended
// (clientResponse); and the same with the list in the init, as it did before.
const smallBody = new Uint8Array(5120);
const responseFromList = () =>
  keep(clientResponse(smallBody, 200, "OK", withoutHopByHop(upstreamList)).headers);
// The http1 listener's request for a browser's GET: nothing read (the default path), and with
// its headers read (the Request made, the fields appended: what it always did before).
const leanRequest = () =>
  keep(buildRequest("GET", "shop.example", "/", browserFields, null, "localhost:80"));
const madeRequest = () =>
  keep(buildRequest("GET", "shop.example", "/", browserFields, null, "localhost:80")!.headers);
// The default path now: the FieldResponse's list kept, X-Request-Id set in it, no Headers made.
const responseKept = () => {
  const response = clientResponse(smallBody, 200, "OK", withoutHopByHop(upstreamList));
  setResponseField(response, "x-request-id", info.requestId);
  keep(response);
};
const responseFromInit = () =>
  keep(
    new Response(smallBody, {
      status: 200,
      statusText: "OK",
      headers: withoutHopByHop(upstreamList),
    })
      .headers,
  );
const responseHeaders = () =>
  rewriteResponseHeaders(new Response(null, { headers: upstreamHeaders }).headers, info.requestId);

// The request id middleware, around a handler answering a prepared response.
const withId = new Request("http://shop.example/", { headers: { "x-request-id": "abc-123" } });
const withoutId = new Request("http://shop.example/");
const answer = new Response(null);
const answerIt = () => Promise.resolve(answer);
const idMiddleware = requestId();
const keptId = () => idMiddleware(createContext(withId, "10.1.2.3"), answerIt);
const newId = () => idMiddleware(createContext(withoutId, "10.1.2.3"), answerIt);

// The access log: LogTape configured as main.ts does it (JSON lines, batched), writing to nowhere;
// or, as main.ts runs it with JSON lines, the middleware's own line into the same sink.
const sink = getBatchedSink({
  formatter: jsonLineFormatter,
  out: { writeSync: (bytes) => bytes.length },
  err: { writeSync: (bytes) => bytes.length },
});
await configure({
  reset: true,
  sinks: { batched: sink },
  loggers: [
    { category: ["sluice"], lowestLevel: "info", sinks: ["batched"] },
    { category: ["logtape", "meta"], lowestLevel: "warning", sinks: ["batched"] },
  ],
});
const logged = new Request("http://shop.example/api/v1/items/42?expand=price");
const sized = new Response("hello\n", { headers: { "content-length": "6" } });
const logMiddleware = accessLog();
const logRecord = () => {
  const ctx = createContext(logged, "10.1.2.3");
  ctx.requestId = info.requestId;
  return logMiddleware(ctx, () => Promise.resolve(sized));
};
const lineMiddleware = accessLog({ lines: () => sink.writeLine });
const logLine = () => {
  const ctx = createContext(logged, "10.1.2.3");
  ctx.requestId = info.requestId;
  return lineMiddleware(ctx, () => Promise.resolve(sized));
};
// What main.ts runs with JSON lines now: the line encoded in place into the sink's batch.
const batchMiddleware = accessLog({ lines: () => sink });
const logBatch = () => {
  const ctx = createContext(logged, "10.1.2.3");
  ctx.requestId = info.requestId;
  return batchMiddleware(ctx, () => Promise.resolve(sized));
};

// The per-request header timeout (and per-chunk idle timeout): a timer, or the timer wheel.
const noop = () => {};
const setAndClear = () => clearTimeout(setTimeout(noop, 30_000));
const wheel = new DeadlineSweep();
const addAndCancel = () => wheel.cancel(wheel.add(performance.now() + 30_000, noop));

// Small chunks: these paths allocate hundreds of bytes to kilobytes a call, and a chunk must stay
// well below the young generation's size so that most chunks see no collection.
const chunks = { warmUp: 20_000, chunk: 100, chunks: 1001 };
const control = assertNotBlind();
const rows: [string, number][] = [
  ["request headers: upstreamRequestHeaders", bytesPerCall(requestHeaders, chunks)],
  [
    "request headers: upstreamRequestHeaders from the parsed fields (http1 listener)",
    bytesPerCall(requestHeadersFromFields, chunks),
  ],
  ["request: buildRequest, nothing read (http1 listener)", bytesPerCall(leanRequest, chunks)],
  ["request: buildRequest, its headers read", bytesPerCall(madeRequest, chunks)],
  [
    "response headers: new Response + rewriteResponseHeaders",
    bytesPerCall(responseHeaders, chunks),
  ],
  [
    "response headers: withoutHopByHop + clientResponse (http1), its headers read",
    bytesPerCall(responseFromList, chunks),
  ],
  [
    "response headers: withoutHopByHop + clientResponse (http1) + X-Request-Id in the list",
    bytesPerCall(responseKept, chunks),
  ],
  [
    "response headers: withoutHopByHop + new Response, list in the init",
    bytesPerCall(responseFromInit, chunks),
  ],
  ["request id: client's kept (context + middleware)", await bytesPerAsyncCall(keptId, chunks)],
  ["request id: generated (context + middleware)", await bytesPerAsyncCall(newId, chunks)],
  [
    "access log record (context + middleware + JSON line)",
    await bytesPerAsyncCall(logRecord, chunks),
  ],
  [
    "access log line (context + middleware + own JSON line)",
    await bytesPerAsyncCall(logLine, chunks),
  ],
  [
    "access log line encoded into the batch (context + middleware)",
    await bytesPerAsyncCall(logBatch, chunks),
  ],
  ["timeout: setTimeout + clearTimeout", bytesPerCall(setAndClear, chunks)],
  ["timeout: DeadlineSweep add + cancel", bytesPerCall(addAndCancel, chunks)],
];
// deno-lint-ignore no-console
console.log(
  `Bytes allocated per call (median of 1001 chunks of 100; control object: ${control} B)\n` +
    rows.map(([name, bytes]) => `${bytes.toFixed(0).padStart(7)}  ${name}`).join("\n"),
);

Deno.bench("request headers: upstreamRequestHeaders", { group: "headers" }, requestHeaders);
Deno.bench(
  "request headers: upstreamRequestHeaders from the parsed fields (http1 listener)",
  { group: "headers" },
  requestHeadersFromFields,
);
Deno.bench("request: buildRequest, nothing read (http1 listener)", {
  group: "request",
}, leanRequest);
Deno.bench("request: buildRequest, its headers read", { group: "request" }, madeRequest);
Deno.bench("response headers: new Response + rewriteResponseHeaders", {
  group: "headers",
}, responseHeaders);
Deno.bench(
  "response headers: withoutHopByHop + clientResponse (http1) + X-Request-Id in the list",
  { group: "headers" },
  responseKept,
);
Deno.bench("response headers: withoutHopByHop + clientResponse (http1), its headers read", {
  group: "headers",
}, responseFromList);
Deno.bench("response headers: withoutHopByHop + new Response, list in the init", {
  group: "headers",
}, responseFromInit);
Deno.bench("request id: client's kept (context + middleware)", { group: "id" }, async () => {
  await keptId();
});
Deno.bench("request id: generated (context + middleware)", { group: "id" }, async () => {
  await newId();
});
Deno.bench("access log record (context + middleware + JSON line)", { group: "log" }, async () => {
  await logRecord();
});
Deno.bench("access log line (context + middleware + own JSON line)", { group: "log" }, async () => {
  await logLine();
});
Deno.bench("access log line encoded into the batch (context + middleware)", {
  group: "log",
}, async () => {
  await logBatch();
});
Deno.bench("timeout: setTimeout + clearTimeout", { group: "timeout" }, setAndClear);
Deno.bench("timeout: DeadlineSweep add + cancel", { group: "timeout" }, addAndCancel);
Deno.bench("context + middleware, no log (to subtract)", { group: "log" }, async () => {
  const ctx = createContext(logged, "10.1.2.3");
  await answerIt();
  keep(ctx);
});

globalThis.addEventListener("unload", () => void reset());
