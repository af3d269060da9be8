/**
 * End-to-end checks of retries on upstream answers, circuit breaking with its queue, and the
 * idle timeout inside response bodies, through `startFromArgs` on real loopback sockets.
 */
import assert from "node:assert/strict";
import { startSluice, startUpstream, within } from "./_fixtures.ts";
import { proxyTest } from "./_matrix.ts";

const ARTIFACTS = new URL("./artifacts/", import.meta.url).pathname;

proxyTest(
  "resilience: a 503 answer is retried for GET, passed through for POST",
  async (variant) => {
    await using a = startUpstream("a", () => new Response("busy", { status: 503 }));
    await using b = startUpstream("b");
    await using sluice = await startSluice(variant, [
      "--backends",
      `${a.url},${b.url}`,
      "--passive-failures",
      "0",
    ]);
    const gets = [];
    for (let i = 0; i < 4; i++) {
      const response = await fetch(sluice.url);
      gets.push(`${response.status} ${await response.text()}`);
    }
    assert.deepEqual(gets, ["200 b", "200 b", "200 b", "200 b"]);
    // With two upstreams the retry takes b's turn in the rotation, so every request tries a first.
    assert.equal(a.seen.length, 4, "each GET tried a, then b");
    assert.equal(b.seen.length, 4);
    const posts = [];
    for (let i = 0; i < 2; i++) {
      const response = await fetch(sluice.url, { method: "POST", body: "x" });
      posts.push(`${response.status} ${await response.text()}`);
    }
    assert.deepEqual(posts.toSorted(), ["200 b", "503 busy"], "a POST is not sent twice");
  },
);

proxyTest(
  "resilience: at --max-connections-per-upstream, requests queue, then get a 503",
  async (variant) => {
    const held: (() => void)[] = [];
    const arrived: (() => void)[] = [];
    const hold = () =>
      new Promise<Response>((resolve) => {
        held.push(() => resolve(new Response("done")));
        arrived.shift()?.();
      });
    await using a = startUpstream("a", hold);
    const config = `${ARTIFACTS}resilience_queue.yaml`;
    await Deno.mkdir(ARTIFACTS, { recursive: true });
    await Deno.writeTextFile(
      config,
      "limits:\n  max_connections_per_upstream: 1\n  queue_size: 1\n  queue_timeout: 300ms\n",
    );
    await using sluice = await startSluice(variant, ["--config", config, "--backends", a.url]);
    const client = Deno.createHttpClient({});
    try {
      const first = fetch(sluice.url, { client });
      await new Promise<void>((resolve) => arrived.push(resolve));
      const queued = fetch(sluice.url, { client }); // waits for a's only slot
      // One waiter already: the queue is full, the next gets a 503 at once.
      const refused = await fetch(sluice.url, { client });
      assert.equal(refused.status, 503);
      assert.match(await refused.text(), /every upstream server is busy/);
      assert.equal(a.seen.length, 1, "the upstream never saw more than its limit");
      const nextArrival = new Promise<void>((resolve) => arrived.push(resolve));
      held.shift()!(); // the first finishes: the queued one gets the slot
      assert.equal(await (await first).text(), "done");
      await within(nextArrival, 2000, "the queued request reaching the upstream");
      held.shift()!();
      assert.equal(await (await queued).text(), "done");
      // Nothing frees up: a queued request gives up at the queue timeout.
      const blocker = fetch(sluice.url, { client });
      await new Promise<void>((resolve) => arrived.push(resolve));
      const started = performance.now();
      const late = await fetch(sluice.url, { client });
      assert.equal(late.status, 503);
      assert.match(await late.text(), /every upstream server is busy/);
      assert.ok(performance.now() - started >= 280);
      held.shift()!();
      await (await blocker).text();
    } finally {
      client.close();
    }
  },
);

proxyTest("resilience: timeouts.idle cuts a response body that stops flowing", async (variant) => {
  let cancelled!: () => void;
  const upstreamSawCancel = new Promise<void>((resolve) => cancelled = resolve);
  await using a = startUpstream("a", () =>
    new Response(
      new ReadableStream<Uint8Array>({
        start(controller) {
          controller.enqueue(new TextEncoder().encode("first chunk\n"));
        },
        cancel() {
          cancelled();
        },
      }),
    ));
  const config = `${ARTIFACTS}resilience_idle.yaml`;
  await Deno.mkdir(ARTIFACTS, { recursive: true });
  await Deno.writeTextFile(config, "timeouts:\n  idle: 300ms\n");
  await using sluice = await startSluice(variant, ["--config", config, "--backends", a.url]);
  const started = performance.now();
  const response = await fetch(sluice.url);
  assert.equal(response.status, 200);
  await assert.rejects(response.text(), "the client sees the body cut");
  const elapsed = performance.now() - started;
  assert.ok(elapsed >= 280 && elapsed < 3000, `cut after ${elapsed} ms`);
  await within(upstreamSawCancel, 2000, "the upstream's body being cancelled");
});
