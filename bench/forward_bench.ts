/**
 * The proxy's own cost per attempt between the middleware chain and the transport: `forward()`
 * (cancellation, header rewrite, timeout, upstream stats, the response's size, the end of the
 * exchange) for a request as the http1 listener makes it, with a transport that answers at once
 * with a prepared small response, as the http1 transport's client-ready responses are. Time per call from `deno bench`; bytes allocated per
 * call are printed before the benchmarks run (method: `bench/_alloc.ts`).
 *
 * Run: `deno bench bench/forward_bench.ts`
 *
 * @module
 */

import { bytesPerAsyncCall, keep } from "./_alloc.ts";
import { createContext } from "../internal/middleware/mod.ts";
import { Pool } from "../internal/pool/mod.ts";
import { BYTE_BODIES, forward, type Transport } from "../internal/proxy/mod.ts";
import { browserHeaders } from "./_requests.ts";
import { buildRequest } from "../internal/server/http1/client_request.ts";

const body = new TextEncoder().encode("hello\n");
const answer = new Response(body, { headers: { "content-length": "6" } });
BYTE_BODIES.set(answer, body);

/** Answers every request with the same client-ready byte response. */
const transport: Transport = {
  clientReadyResponses: true,
  refusesInvalidResponses: true,
  send: () => Promise.resolve(answer),
  close() {},
} as Transport;

const upstream = new Pool([{ id: "a", name: "a", url: "http://127.0.0.1:19001" }]).list()[0]!;
const options = {
  transport,
  timeoutMs: 60_000,
  preserveHost: false,
  shutdownSignal: new AbortController().signal,
};
const completed = Promise.resolve();

/**
 * The client's request as the http1 listener makes it (ClientRequest: url and signal made only
 * when read).
 */
function clientRequest(): Request {
  return buildRequest("GET", "shop.example", "/api/v1/items/42", headerFields, null, "l:1")!;
}

const address = { target: "/api/v1/items/42", authority: "shop.example" };
/** The field lines as the http1 listener hands them over (ctx.headerFields). */
const headerFields: [string, string][] = [];
browserHeaders.forEach((value, name) => headerFields.push([name, value]));

async function attempt(): Promise<void> {
  const ctx = createContext(clientRequest(), "10.1.2.3", { completed, address, headerFields });
  ctx.requestId = "5f0c6d2e-1b7a-4c8e-9f3d-2a6b8e4c1d00";
  keep(await forward(ctx, upstream, null, options));
  keep(await ctx.responseDone);
}

/** The request and context alone, to subtract. */
async function context(): Promise<void> {
  keep(createContext(clientRequest(), "10.1.2.3", { completed, address, headerFields }));
  await completed;
}

const chunks = { warmUp: 20_000, chunk: 100, chunks: 501 };
const rows: [string, number][] = [
  ["forward: one attempt, client-ready byte response", await bytesPerAsyncCall(attempt, chunks)],
  ["request + context alone (to subtract)", await bytesPerAsyncCall(context, chunks)],
];
// deno-lint-ignore no-console
console.log(
  `Bytes allocated per call (median of 501 chunks of 100)\n` +
    rows.map(([name, bytes]) => `${bytes.toFixed(0).padStart(7)}  ${name}`).join("\n"),
);

Deno.bench("forward: one attempt, client-ready byte response", { group: "forward" }, attempt);
Deno.bench("request + context alone (to subtract)", { group: "forward" }, context);
