import assert from "node:assert/strict";
import { RoundRobinStrategy } from "../balancer/mod.ts";
import { createContext } from "../middleware/mod.ts";
import { Pool } from "../pool/mod.ts";
import { createDirector, type DirectorOptions } from "./director.ts";
import { NoUpstreamError, UpstreamConnectError } from "./errors.ts";
import type { Transport, UpstreamRequest } from "./transport.ts";

/** A transport that refuses connections to the hosts in `down` and records what it sends. */
class FakeTransport implements Transport {
  readonly down = new Set<string>();
  readonly sent: { host: string; body: string }[] = [];
  async send(request: UpstreamRequest): Promise<Response> {
    const host = new URL(request.url).host;
    const body = request.body === null ? "" : await new Response(request.body).text();
    this.sent.push({ host, body });
    if (this.down.has(host)) {
      throw new TypeError("fetch failed", {
        cause: new Error("client error (Connect): tcp connect error: Connection refused"),
      });
    }
    return new Response(`from ${host}`);
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
