import assert from "node:assert/strict";
import { createMetrics, parseExposition, type SluiceMetrics, Traffic } from "../metrics/mod.ts";
import { Pool } from "../pool/mod.ts";
import { NoUpstreamError, UpstreamConnectError } from "../proxy/mod.ts";
import { compose } from "./compose.ts";
import {
  createContext,
  type Handler,
  type RequestContext,
  type ResponseOutcome,
} from "./context.ts";
import { metrics } from "./metrics.ts";
import { recover } from "./recover.ts";

function setup(handler: Handler, options: { recover?: boolean } = {}) {
  const pool = new Pool([
    { id: "u1", name: "a", url: "http://127.0.0.1:9001" },
    { id: "u2", name: "b", url: "http://127.0.0.1:9002" },
  ]);
  const sink = createMetrics({ pool, processMetrics: false });
  const traffic = new Traffic();
  const chain = [metrics({ metrics: sink, traffic })];
  if (options.recover) chain.push(recover());
  return { pool, sink, traffic, handle: compose(chain, handler) };
}

async function sample(sink: SluiceMetrics, name: string, labels: Record<string, string>) {
  return parseExposition(await sink.render()).value(name, labels);
}

function context(url = "http://lb/", init: RequestInit = {}): RequestContext {
  return createContext(new Request(url, init), "10.0.0.1");
}

Deno.test("metrics middleware: a response that does not stream is recorded at once", async () => {
  const { pool, sink, traffic, handle } = setup((ctx) => {
    ctx.upstream = pool.get("u1");
    ctx.attempts = 1;
    return Promise.resolve(new Response(null, { status: 204, headers: { "content-length": "0" } }));
  });
  const response = await handle(context("http://lb/x", {
    method: "POST",
    body: "12345",
    headers: { "content-length": "5" },
  }));
  assert.equal(response.status, 204);
  assert.deepEqual(traffic.totals(), { requests: 1, errors: 0, inFlight: 0, retries: 0 });
  assert.equal(
    await sample(sink, "sluice_requests_total", {
      route: "",
      pool: "",
      upstream: "a",
      method: "POST",
      code_class: "2xx",
    }),
    1,
  );
  assert.equal(
    await sample(sink, "sluice_bytes_received_total", { route: "", pool: "", upstream: "a" }),
    5,
  );
});

Deno.test("metrics middleware: a streamed response is recorded when its body has finished", async () => {
  const done = Promise.withResolvers<ResponseOutcome>();
  const { pool, sink, traffic, handle } = setup((ctx) => {
    ctx.upstream = pool.get("u2");
    ctx.attempts = 3;
    ctx.responseDone = done.promise;
    return Promise.resolve(new Response("streaming…", { status: 200 }));
  });
  const ctx: RequestContext = { ...context(), startTime: performance.now() - 4000 };
  await handle(ctx);
  assert.equal(traffic.inFlight, 1, "headers sent, body still streaming");
  assert.equal(
    await sample(sink, "sluice_request_duration_seconds_count", {
      route: "",
      pool: "",
      upstream: "b",
    }),
    undefined,
  );

  done.resolve({ bytes: 123_456, clientAborted: false });
  await done.promise;
  assert.deepEqual(traffic.totals(), { requests: 1, errors: 0, inFlight: 0, retries: 2 });
  assert.equal(
    await sample(sink, "sluice_requests_total", {
      route: "",
      pool: "",
      upstream: "b",
      method: "GET",
      code_class: "2xx",
    }),
    1,
  );
  assert.equal(
    await sample(sink, "sluice_bytes_sent_total", { route: "", pool: "", upstream: "b" }),
    123_456,
  );
  assert.equal(
    await sample(sink, "sluice_retries_total", { route: "", pool: "", upstream: "b" }),
    2,
  );
  const bucket = (le: string) =>
    sample(sink, "sluice_request_duration_seconds_bucket", {
      route: "",
      pool: "",
      upstream: "b",
      le,
    });
  assert.equal(await bucket("2.5"), 0, "about 4 s, from arrival");
  assert.equal(await bucket("5"), 1);
});

Deno.test("metrics middleware: a client that left mid-body is recorded as 499", async () => {
  const { pool, sink, traffic, handle } = setup((ctx) => {
    ctx.upstream = pool.get("u1");
    ctx.attempts = 1;
    ctx.responseDone = Promise.resolve({ bytes: 65_536, clientAborted: true });
    return Promise.resolve(new Response("partial", { status: 200 }));
  });
  const ctx = context();
  await handle(ctx);
  await ctx.responseDone;
  assert.equal(traffic.inFlight, 0);
  assert.equal(traffic.errors, 0);
  assert.equal(
    await sample(sink, "sluice_requests_total", {
      route: "",
      pool: "",
      upstream: "a",
      method: "GET",
      code_class: "4xx",
    }),
    1,
  );
  assert.equal(
    await sample(sink, "sluice_bytes_sent_total", { route: "", pool: "", upstream: "a" }),
    65_536,
  );
});

Deno.test("metrics middleware: a rejected responseDone still ends the request", async () => {
  const { sink, traffic, handle } = setup((ctx) => {
    ctx.responseDone = Promise.reject(new Error("stream broke"));
    return Promise.resolve(new Response("x"));
  });
  const ctx = context();
  await handle(ctx);
  await ctx.responseDone!.catch(() => {});
  assert.equal(traffic.inFlight, 0);
  assert.equal(
    await sample(sink, "sluice_requests_total", {
      route: "",
      pool: "",
      upstream: "",
      method: "GET",
      code_class: "4xx",
    }),
    1,
  );
});

Deno.test("metrics middleware: Sluice's own error responses count as errors", async () => {
  let connectFails = true;
  const { pool, sink, traffic, handle } = setup((ctx) => {
    if (!connectFails) throw new NoUpstreamError(2);
    ctx.upstream = pool.get("u1");
    ctx.attempts = 2;
    throw new UpstreamConnectError("a", "connection refused");
  }, { recover: true });
  assert.equal((await handle(context())).status, 502);
  connectFails = false;
  const response = await handle(context("http://lb/", { method: "DELETE" }));
  assert.equal(response.status, 503);
  await response.body?.cancel();
  assert.deepEqual(traffic.totals(), { requests: 2, errors: 2, inFlight: 0, retries: 1 });
  assert.equal(
    await sample(sink, "sluice_requests_total", {
      route: "",
      pool: "",
      upstream: "a",
      method: "GET",
      code_class: "5xx",
    }),
    1,
  );
  assert.equal(
    await sample(sink, "sluice_requests_total", {
      route: "",
      pool: "",
      upstream: "",
      method: "DELETE",
      code_class: "5xx",
    }),
    1,
  );
});

Deno.test("metrics middleware: a throwing handler is recorded with its error status and rethrown", async () => {
  const { sink, traffic, handle } = setup(() => Promise.reject(new NoUpstreamError(0)));
  await assert.rejects(handle(context()), NoUpstreamError);
  assert.deepEqual(traffic.totals(), { requests: 1, errors: 1, inFlight: 0, retries: 0 });
  assert.equal(
    await sample(sink, "sluice_requests_total", {
      route: "",
      pool: "",
      upstream: "",
      method: "GET",
      code_class: "5xx",
    }),
    1,
  );

  const bug = setup(() => Promise.reject(new TypeError("bug")));
  await assert.rejects(bug.handle(context()), TypeError);
  assert.equal(bug.traffic.errors, 1, "500");
});

Deno.test("metrics middleware: bytes sent of a response that does not stream come from Content-Length", async () => {
  const { pool, sink, handle } = setup((ctx) => {
    ctx.upstream = pool.get("u1");
    ctx.attempts = 1;
    return Promise.resolve(new Response("hello", { headers: { "content-length": "5" } }));
  });
  await (await handle(context())).body?.cancel();
  await (await handle(context("http://lb/", { method: "HEAD" }))).body?.cancel();
  assert.equal(
    await sample(sink, "sluice_bytes_sent_total", { route: "", pool: "", upstream: "a" }),
    5,
    "HEAD sends none",
  );
});
