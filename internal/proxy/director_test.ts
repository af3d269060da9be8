import assert from "node:assert/strict";
import { RoundRobinStrategy } from "../balancer/mod.ts";
import { createContext } from "../middleware/mod.ts";
import { Pool } from "../pool/mod.ts";
import { createDirector, type DirectorOptions } from "./director.ts";
import { ConnectionLimiter } from "./connection_limiter.ts";
import {
  ClientBodyError,
  NoUpstreamError,
  UpstreamConnectError,
  UpstreamError,
  UpstreamsBusyError,
} from "./errors.ts";
import { RetryBudget } from "./retry.ts";
import type { Transport, UpstreamRequest } from "./transport.ts";

/**
 * A transport that refuses connections to the hosts in `down`, resets those in `resets`,
 * answers with the status in `statuses`, and records what it sends.
 */
class FakeTransport implements Transport {
  readonly down = new Set<string>();
  readonly resets = new Set<string>();
  readonly statuses = new Map<string, number>();
  readonly sent: { host: string; body: string }[] = [];
  hold: Promise<void> | undefined;
  async send(request: UpstreamRequest): Promise<Response> {
    const host = new URL(request.url).host;
    const body = request.body === null ? "" : await new Response(request.body).text();
    this.sent.push({ host, body });
    if (this.down.has(host)) {
      throw new TypeError("fetch failed", {
        cause: new Error("client error (Connect): tcp connect error: Connection refused"),
      });
    }
    if (this.hold) await this.hold;
    if (this.resets.has(host)) {
      throw new TypeError("fetch failed", {
        cause: new Error("client error (SendRequest): connection closed before message completed"),
      });
    }
    return new Response(`from ${host}`, { status: this.statuses.get(host) ?? 200 });
  }
  close(): void {}
}

function setup(options: Partial<DirectorOptions> = {}) {
  const pool = new Pool(
    ["a", "b", "c"].map((id) => ({ id, name: id, url: `http://${id}:8080` })),
  );
  const transport = new FakeTransport();
  const director = createDirector({
    pool,
    strategy: new RoundRobinStrategy(),
    transport,
    timeoutMs: 1000,
    preserveHost: true,
    shutdownSignal: new AbortController().signal,
    ...options,
  });
  const send = async (init?: RequestInit) => {
    const ctx = createContext(new Request("http://lb/x", init), "127.0.0.1");
    const response = await director(ctx);
    return { text: await response.text(), attempts: ctx.attempts };
  };
  return { pool, transport, director, send };
}

Deno.test("director: a connect failure is retried on the next upstream, rotation stays fair", async () => {
  const { transport, send } = setup();
  transport.down.add("b:8080");
  const answers: string[] = [];
  for (let i = 0; i < 6; i++) answers.push((await send()).text);
  assert.deepEqual(answers, [
    "from a:8080",
    "from c:8080",
    "from a:8080",
    "from c:8080",
    "from a:8080",
    "from c:8080",
  ]);
});

Deno.test("director: every upstream refusing ends in the last connect error after 1 retry", async () => {
  const { transport, director } = setup();
  for (const host of ["a:8080", "b:8080", "c:8080"]) transport.down.add(host);
  const ctx = createContext(new Request("http://lb/"), "127.0.0.1");
  await assert.rejects(director(ctx), UpstreamConnectError);
  assert.equal(ctx.attempts, 2);
  assert.equal(transport.sent.length, 2);
});

Deno.test("director: retries 0 means one attempt", async () => {
  const { transport, director } = setup({ retries: 0 });
  transport.down.add("a:8080");
  await assert.rejects(
    director(createContext(new Request("http://lb/"), "1.1.1.1")),
    UpstreamConnectError,
  );
  assert.equal(transport.sent.length, 1);
});

Deno.test("director: a small POST body is resent whole on the retry", async () => {
  const { transport, send } = setup();
  transport.down.add("a:8080");
  const result = await send({
    method: "POST",
    body: "order=42",
    headers: { "content-length": "8" },
  });
  assert.equal(result.text, "from b:8080");
  assert.equal(result.attempts, 2);
  assert.deepEqual(transport.sent.map((s) => s.body), ["order=42", "order=42"]);
});

Deno.test("director: a streamed body larger than the retry buffer is not retried", async () => {
  const { transport, director } = setup({ retryBufferBytes: 4 });
  transport.down.add("a:8080");
  const chunks = ["01234", "56789"];
  const body = new ReadableStream<Uint8Array>({
    pull(c) {
      const next = chunks.shift();
      if (next === undefined) c.close();
      else c.enqueue(new TextEncoder().encode(next));
    },
  });
  const ctx = createContext(new Request("http://lb/", { method: "POST", body }), "1.1.1.1");
  await assert.rejects(director(ctx), UpstreamConnectError);
  assert.equal(transport.sent.length, 1, "the body was read past the buffer, so no replay");
});

Deno.test("director: nothing available is a NoUpstreamError", async () => {
  const { pool, director } = setup();
  for (const id of ["a", "b", "c"]) pool.setHealth(id, false);
  await assert.rejects(
    director(createContext(new Request("http://lb/"), "1.1.1.1")),
    (error: unknown) => error instanceof NoUpstreamError && error.poolSize === 3,
  );
});

Deno.test("director: a reset is retried for GET, not for POST unless allowed", async () => {
  const { transport, send } = setup();
  transport.resets.add("a:8080");
  assert.equal((await send()).text, "from b:8080");
  const post = setup();
  post.transport.resets.add("a:8080");
  await assert.rejects(post.send({ method: "POST", body: "x" }), UpstreamError);
  assert.equal(post.transport.sent.length, 1, "a POST that may have reached a is not resent");
  const allowed = setup({ retryNonIdempotent: true });
  allowed.transport.resets.add("a:8080");
  assert.equal((await allowed.send({ method: "POST", body: "x" })).text, "from b:8080");
});

Deno.test("director: a 503 answer is retried for GET; the last answer passes when none is left", async () => {
  const { transport, director } = setup();
  transport.statuses.set("a:8080", 503);
  const ctx = createContext(new Request("http://lb/"), "1.1.1.1");
  const response = await director(ctx);
  assert.equal(await response.text(), "from b:8080");
  assert.equal(ctx.attempts, 2);
  const all = setup({ retries: 2 });
  for (const host of ["a:8080", "b:8080", "c:8080"]) all.transport.statuses.set(host, 502);
  const last = await all.director(createContext(new Request("http://lb/"), "1.1.1.1"));
  assert.equal(last.status, 502);
  assert.equal(await last.text(), "from c:8080");
  assert.equal(all.transport.sent.length, 3);
  const five = setup();
  five.transport.statuses.set("a:8080", 500);
  assert.equal(
    (await five.director(createContext(new Request("http://lb/"), "1.1.1.1"))).status,
    500,
  );
  assert.equal(five.transport.sent.length, 1, "500 is not retried");
});

Deno.test("director: every attempt is reported to the observer", async () => {
  const seen: string[] = [];
  const { transport, send } = setup({
    observe: (upstream, outcome) =>
      seen.push(`${upstream.id}:${outcome.status ?? (outcome.error as Error).name}`),
  });
  transport.down.add("a:8080");
  await send();
  assert.deepEqual(seen, ["a:UpstreamConnectError", "b:200"]);
});

Deno.test("director: the retry budget caps retries in flight; connect retries are free", async () => {
  const budget = new RetryBudget({ percent: 0, minConcurrency: 1 });
  const { transport, director } = setup({ retryBudget: budget });
  transport.statuses.set("a:8080", 503);
  transport.statuses.set("c:8080", 503);
  let release!: () => void;
  transport.hold = new Promise((resolve) => release = resolve);
  // Two requests get 503 on their first attempt; one retry may be in flight at a time.
  const first = director(createContext(new Request("http://lb/"), "1.1.1.1")); // a
  const second = director(createContext(new Request("http://lb/"), "1.1.1.1")); // b
  const third = director(createContext(new Request("http://lb/"), "1.1.1.1")); // c
  release();
  const statuses = await Promise.all(
    [first, second, third].map(async (pending) => {
      const response = await pending;
      await response.body?.cancel();
      return response.status;
    }),
  );
  assert.deepEqual(statuses, [200, 200, 503]);
  assert.equal(budget.retries, 0);
  assert.equal(budget.requests, 0);
  const free = setup({ retryBudget: new RetryBudget({ percent: 0, minConcurrency: 0 }) });
  free.transport.down.add("a:8080");
  assert.equal((await free.send()).text, "from b:8080", "connect failures ignore the budget");
});

Deno.test("director: requests cut by a dying upstream are all retried, whatever the budget", async () => {
  // The chaos suite's kill: one upstream of three dies holding more requests than the budget.
  const budget = new RetryBudget({ percent: 0, minConcurrency: 0 });
  const { transport, director } = setup({ retryBudget: budget, retries: 2 });
  transport.resets.add("b:8080");
  let release!: () => void;
  transport.hold = new Promise((resolve) => release = resolve);
  const pending = Array.from(
    { length: 9 },
    () => director(createContext(new Request("http://lb/"), "1.1.1.1")),
  );
  release();
  const texts = await Promise.all(pending.map(async (p) => await (await p).text()));
  assert.equal(texts.filter((t) => t === "from b:8080").length, 0);
  assert.equal(texts.length, 9, "every request answered by a live upstream");
  assert.equal(transport.sent.filter((s) => s.host === "b:8080").length, 3, "b held 3 of 9");
  assert.equal(budget.retries, 0);
});

Deno.test("director: upstreams at their limit are skipped; a full pool queues, then 503s", async () => {
  const limiter = new ConnectionLimiter({ maxPerUpstream: 1, queueSize: 1, queueTimeoutMs: 200 });
  const { pool, transport, director } = setup({ limiter });
  pool.setHealth("c", false); // two upstreams, one slot each
  let release!: () => void;
  transport.hold = new Promise((resolve) => release = resolve);
  const ctx = () => createContext(new Request("http://lb/"), "1.1.1.1");
  const first = director(ctx());
  const second = director(ctx());
  await Promise.resolve();
  // Both slots are taken: the third waits in the queue, the fourth finds the queue full.
  const third = director(ctx());
  await assert.rejects(director(ctx()), UpstreamsBusyError);
  assert.equal(limiter.queued, 1);
  release();
  const texts = await Promise.all([first, second].map(async (r) => await (await r).text()));
  assert.deepEqual(texts.toSorted(), ["from a:8080", "from b:8080"]);
  assert.match(await (await third).text(), /^from [ab]:8080$/, "a freed slot lets it through");
  assert.equal(limiter.queued, 0);
  // Nothing frees up: the queued request gives up at the queue timeout.
  transport.hold = new Promise(() => {});
  const stuck = [director(ctx()), director(ctx())];
  const started = performance.now();
  await assert.rejects(director(ctx()), UpstreamsBusyError);
  assert.ok(performance.now() - started >= 190, "waited for the queue timeout");
  assert.equal(pool.get("a")!.inFlight + pool.get("b")!.inFlight, 2);
  void stuck; // held forever by the fake transport; nothing to close
});

Deno.test("director: a failing client body is the client's 400, not blamed on the upstream", async () => {
  const seen: string[] = [];
  const { transport, director } = setup({ observe: (u) => seen.push(u.id) });
  let sent = 0;
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (sent++ === 0) controller.enqueue(new TextEncoder().encode("part"));
      else controller.error(new TypeError("malformed chunked encoding"));
    },
  });
  const ctx = createContext(new Request("http://lb/", { method: "PUT", body }), "1.1.1.1");
  await assert.rejects(director(ctx), ClientBodyError);
  assert.deepEqual(seen, [], "no outcome reported to passive health");
  assert.equal(transport.sent.length, 0, "the fake transport never got a whole body");
  assert.equal(ctx.attempts, 1, "not retried");
});

Deno.test("director: a retried 503 releases its upstream at the retry, the answer's at delivery", async () => {
  const { pool, transport, director } = setup();
  transport.statuses.set("a:8080", 503);
  const delivered = Promise.withResolvers<void>();
  const ctx = createContext(new Request("http://lb/"), "1.1.1.1", { completed: delivered.promise });
  const response = await director(ctx);
  assert.equal(response.status, 200);
  assert.equal(pool.get("a")!.inFlight, 0);
  assert.equal(pool.get("b")!.inFlight, 1);
  delivered.resolve();
  await response.text();
  await ctx.responseDone;
  assert.equal(pool.get("b")!.inFlight, 0);
});
