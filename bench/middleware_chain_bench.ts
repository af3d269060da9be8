/**
 * The request path's middleware chain as `main.ts` composes it with its defaults
 * (`requestChain`: request id, trace context, metrics, access log, recover, request checks and
 * limits, router), around a pool handler that answers at once as the proxy's fast path does
 * (a prepared response, `responseDone` settled): what every request pays besides the listener
 * and the transport. With the access log encoded into a batched sink that writes nowhere, and
 * with the access log off (`--log-level warn`); the context as the http1 listener makes it (with
 * the header fields it parsed), and as the serve listener does (without). Time per call from `deno bench`; bytes allocated
 * per call are printed before the benchmarks run (method: `bench/_alloc.ts`).
 *
 * Run: `deno bench --allow-env bench/middleware_chain_bench.ts`
 *
 * @module
 */

import { assertNotBlind, bytesPerAsyncCall } from "./_alloc.ts";
import { getBatchedSink } from "../internal/app/batched_sink.ts";
import { requestChain } from "../internal/app/request_chain.ts";
import { jsonLineFormatter } from "../internal/app/mod.ts";
import { validateConfig } from "../internal/config/mod.ts";
import { createMetrics, Traffic } from "../internal/metrics/mod.ts";
import {
  createContext,
  type Handler,
  type RequestContext,
  type ResponseOutcome,
} from "../internal/middleware/mod.ts";
import { Pool } from "../internal/pool/mod.ts";
import { compileRoutes, type RoutingTable } from "../internal/router/mod.ts";
import { browserHeaders } from "./_requests.ts";

const config = validateConfig({ pools: { default: {} }, routes: [{ pool: "default" }] });
const upstream = new Pool([{ id: "u1", name: "127.0.0.1:19001", url: "http://127.0.0.1:19001" }])
  .list()[0]!;
const answer = new Response("hello\n", { headers: { "content-length": "6" } });
const outcome: ResponseOutcome = { bytes: 6, clientAborted: false };
const delivered = Promise.resolve(outcome);
// The pool's handler as the proxy's fast path leaves the context: an upstream, one attempt,
// the body's outcome known once the listener has written it.
const pool: Handler = (ctx: RequestContext) => {
  ctx.upstream = upstream;
  ctx.attempts = 1;
  ctx.responseDone = delivered;
  return Promise.resolve(answer);
};
const routing: RoutingTable = {
  routes: compileRoutes(config.routes).table,
  pools: new Map([["default", pool]]),
};
const sink = getBatchedSink({
  formatter: jsonLineFormatter,
  out: { writeSync: (bytes) => bytes.length },
  err: { writeSync: (bytes) => bytes.length },
});
const chain = (lines: boolean) =>
  requestChain(config, {
    metrics: createMetrics({ processMetrics: false }),
    traffic: new Traffic(),
    accessLogLines: () => lines ? sink : undefined,
    routing: () => routing,
  });
const logged = chain(true);
const unlogged = chain(false);
const request = new Request("http://shop.example/api/v1/items/42?expand=price", {
  headers: browserHeaders,
});
// The context as the http1 listener (the default) makes it: with the fields it parsed.
const headerFields = [...browserHeaders];
const context = () => createContext(request, "10.1.2.3", { headerFields });
const withLog = () => logged(context());
const withoutLog = () => unlogged(context());
const alone = () => pool(context());
// As the serve listener makes it: no parsed fields, the header size counted through Headers.
const withLogServe = () => logged(createContext(request, "10.1.2.3"));

const chunks = { warmUp: 20_000, chunk: 100, chunks: 1001 };
const control = assertNotBlind();
const rows: [string, number][] = [
  ["chain, access log into the batch", await bytesPerAsyncCall(withLog, chunks)],
  ["chain, access log off", await bytesPerAsyncCall(withoutLog, chunks)],
  [
    "chain, access log into the batch, listener serve",
    await bytesPerAsyncCall(withLogServe, chunks),
  ],
  ["context + pool handler alone (to subtract)", await bytesPerAsyncCall(alone, chunks)],
];
// deno-lint-ignore no-console
console.log(
  `Bytes allocated per call (median of 1001 chunks of 100; control object: ${control} B)\n` +
    rows.map(([name, bytes]) => `${bytes.toFixed(0).padStart(7)}  ${name}`).join("\n"),
);

Deno.bench("chain, access log into the batch", { group: "chain" }, async () => {
  await withLog();
});
Deno.bench("chain, access log off", { group: "chain" }, async () => {
  await withoutLog();
});
Deno.bench("chain, access log into the batch, listener serve", { group: "chain" }, async () => {
  await withLogServe();
});
Deno.bench("context + pool handler alone (to subtract)", { group: "chain" }, async () => {
  await alone();
});
