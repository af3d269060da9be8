/**
 * The chaos upstreams fail as they claim to, seen from a plain HTTP client: a chaos scenario
 * that passes because its upstream did not misbehave would prove nothing.
 *
 * @module
 */

import assert from "node:assert/strict";
import { startChaosUpstream } from "./upstreams.ts";

/** One request with its own client (no keep-alive carried between requests). */
async function send(
  url: string,
  init: RequestInit = {},
): Promise<{ status: number; text: string } | { error: string; status?: number }> {
  using client = Deno.createHttpClient({});
  let status: number | undefined;
  try {
    const response = await fetch(url, { ...init, client });
    status = response.status;
    return { status, text: await response.text() };
  } catch (error) {
    const cause = error instanceof Error && error.cause ? ` (${String(error.cause)})` : "";
    return { error: String(error) + cause, ...(status === undefined ? {} : { status }) };
  }
}

Deno.test("chaos upstream: ok, error500 and slow answer, counting receipts by X-Request-Id", async () => {
  await using upstream = startChaosUpstream({ name: "a", slowMs: 50 });
  assert.deepEqual(await send(upstream.url, { headers: { "x-request-id": "r1" } }), {
    status: 200,
    text: "a",
  });
  upstream.mode = "error500";
  assert.equal((await send(upstream.url, { headers: { "x-request-id": "r2" } })).status, 500);
  upstream.mode = "slow";
  const started = performance.now();
  const slow = await send(upstream.url, {
    method: "POST",
    body: "x".repeat(100_000),
    headers: { "x-request-id": "r1" },
  });
  assert.equal(slow.status, 200);
  assert.ok(performance.now() - started >= 45, "slow mode answered at once");
  assert.deepEqual([...upstream.receipts], [["r1", 2], ["r2", 1]]);
  assert.equal(upstream.responses, 3);
});

Deno.test("chaos upstream: reset-after-body reads the whole body, counts it and never answers", async () => {
  await using upstream = startChaosUpstream({ mode: "reset-after-body" });
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      // Chunked, in two parts: the receipt counts only once the last chunk has been read.
      controller.enqueue(new Uint8Array(10_000));
      controller.enqueue(new Uint8Array(10_000));
      controller.close();
    },
  });
  const result = await send(upstream.url, {
    method: "POST",
    body,
    headers: { "x-request-id": "p" },
  });
  assert.ok("error" in result && result.status === undefined, JSON.stringify(result));
  assert.equal(upstream.receipts.get("p"), 1);
  assert.equal(upstream.responses, 0);
});

Deno.test("chaos upstream: reset-mid-body sends headers and part of the body, then closes", async () => {
  await using upstream = startChaosUpstream({ mode: "reset-mid-body" });
  const result = await send(upstream.url);
  assert.ok("error" in result, JSON.stringify(result));
  assert.equal(result.status, 200, "the headers came");
});

Deno.test("chaos upstream: hang answers only when released; kill refuses, restart answers on the same port", async () => {
  await using upstream = startChaosUpstream({ mode: "hang" });
  const pending = send(upstream.url);
  await upstream.waitUntil(() => upstream.hanging === 1, 2_000, "hanging");
  upstream.mode = "ok";
  assert.equal(upstream.hanging, 1, "a mode change does not answer a hanging request");
  assert.equal(upstream.responses, 0);
  upstream.release();
  assert.equal((await pending).status, 200);
  assert.equal(upstream.hanging, 0);

  await upstream.kill();
  assert.equal(upstream.alive, false);
  const refused = await send(upstream.url);
  assert.ok("error" in refused && /refused/i.test(refused.error), JSON.stringify(refused));
  upstream.restart();
  assert.equal((await send(upstream.url)).status, 200);
});

Deno.test("chaos upstream: kill closes connections whose requests hang", async () => {
  await using upstream = startChaosUpstream({ mode: "hang" });
  const pending = send(upstream.url);
  await upstream.waitUntil(() => upstream.hanging === 1, 2_000, "hanging");
  assert.equal(upstream.connections, 1);
  assert.equal(upstream.hanging, 1);
  await upstream.kill();
  const result = await pending;
  assert.ok("error" in result, JSON.stringify(result));
  assert.equal(upstream.connections, 0);
  assert.equal(upstream.hanging, 0);
});

Deno.test("chaos upstream: a client closing a hanging request's connection ends the hang", async () => {
  await using upstream = startChaosUpstream({ mode: "hang" });
  const controller = new AbortController();
  const pending = send(upstream.url, { signal: controller.signal });
  await upstream.waitUntil(() => upstream.hanging === 1, 2_000, "hanging");
  controller.abort();
  await pending;
  await upstream.waitUntil(() => upstream.hanging === 0, 2_000, "done hanging");
  assert.equal(upstream.responses, 0);
});

Deno.test("chaos upstream: flap kills and restarts on its period, and stops alive", async () => {
  await using upstream = startChaosUpstream();
  const states: boolean[] = [];
  const done = Promise.withResolvers<void>();
  const flapping = upstream.flap(20, (alive) => {
    states.push(alive);
    if (states.length === 3) done.resolve();
  });
  await done.promise;
  await flapping.stop();
  assert.deepEqual(states.slice(0, 3), [false, true, false]);
  assert.equal(upstream.alive, true);
  assert.equal((await send(upstream.url)).status, 200);
});
