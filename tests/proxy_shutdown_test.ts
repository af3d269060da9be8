/**
 * End-to-end: graceful shutdown lets in-flight requests finish, refuses new connections, and
 * aborts what is still running when the grace period ends.
 *
 * Every client here has its own `Deno.HttpClient`, so no keep-alive connection opened before
 * the shutdown can carry a "new" request.
 *
 * @module
 */

import assert from "node:assert/strict";
import { startSluice, startUpstream, within } from "./_fixtures.ts";
import { proxyTest } from "./_matrix.ts";

/** A fresh HTTP client (no shared keep-alive pool), closed on dispose. */
function freshClient(): Deno.HttpClient {
  return Deno.createHttpClient({});
}

/** Fetches `url` with a new client and reads the whole body. */
async function fetchOnce(url: string): Promise<{ status: number; text: string }> {
  using client = freshClient();
  const response = await fetch(url, { client });
  return { status: response.status, text: await response.text() };
}

/**
 * Resolves once a new TCP connection to `url` is refused (or reset), trying again right away while
 * connections are still accepted (the listener closes asynchronously after the shutdown
 * starts); rejects after `ms`.
 */
async function refusedWithin(url: string, ms: number): Promise<number> {
  const { hostname, port } = new URL(url);
  const deadline = performance.now() + ms;
  for (let attempts = 1;; attempts++) {
    try {
      const conn = await Deno.connect({ hostname, port: Number(port) });
      conn.close();
    } catch (error) {
      // A connection caught in the backlog as the listener closes is reset instead.
      if (
        error instanceof Deno.errors.ConnectionRefused ||
        error instanceof Deno.errors.ConnectionReset
      ) return attempts;
      throw error;
    }
    if (performance.now() > deadline) throw new Error(`${url} still accepts after ${ms}ms`);
    await new Promise((resolve) => setTimeout(resolve, 0));
  }
}

proxyTest(
  "shutdown: an in-flight request completes, new connections are refused",
  async (variant) => {
    const arrived = Promise.withResolvers<void>();
    const release = Promise.withResolvers<void>();
    await using up = startUpstream("up", async () => {
      arrived.resolve();
      await release.promise;
      return new Response("finished after shutdown began");
    });
    await using sluice = await startSluice(variant, [
      "--backends",
      up.url,
      "--shutdown-timeout",
      "5s",
    ]);
    using _release = { [Symbol.dispose]: () => release.resolve() };

    const inFlight = fetchOnce(sluice.url + "/slow");
    await within(arrived.promise, 2_000, "the request reaching the upstream");

    let stopped = false;
    const stopping = sluice.stop().then(() => {
      stopped = true;
    });
    assert.equal(sluice.app.ready(), false, "still ready after the shutdown started");

    // New connections are refused while the request is still held by the upstream.
    await refusedWithin(sluice.url, 1_000);
    await assert.rejects(within(fetchOnce(sluice.url + "/new"), 2_000, "new request"), TypeError);
    assert.equal(stopped, false, "stop() resolved while a request was in flight");
    assert.equal(up.seen.length, 1, "a request after the shutdown started reached the upstream");

    release.resolve();
    assert.deepEqual(await within(inFlight, 2_000, "the in-flight response"), {
      status: 200,
      text: "finished after shutdown began",
    });
    await within(stopping, 2_000, "stop() after the last request finished");
    assert.equal(stopped, true);
  },
);

proxyTest("shutdown: a streaming response in flight is delivered whole", async (variant) => {
  const release = Promise.withResolvers<void>();
  const encoder = new TextEncoder();
  await using up = startUpstream("up", () =>
    new Response(
      new ReadableStream<Uint8Array>({
        async start(controller) {
          controller.enqueue(encoder.encode("part one;"));
          await release.promise;
          controller.enqueue(encoder.encode("part two"));
          controller.close();
        },
      }),
    ));
  await using sluice = await startSluice(variant, [
    "--backends",
    up.url,
    "--shutdown-timeout",
    "5s",
  ]);
  using _release = { [Symbol.dispose]: () => release.resolve() };

  using client = freshClient();
  const leave = new AbortController();
  using _leave = { [Symbol.dispose]: () => leave.abort() };
  const response = await within(
    fetch(sluice.url + "/stream", { client, signal: leave.signal }),
    2_000,
    "response headers",
  );
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
  try {
    assert.equal((await within(reader.read(), 2_000, "first part")).value, "part one;");
    const stopping = sluice.stop();
    await refusedWithin(sluice.url, 1_000);
    release.resolve();
    let rest = "";
    for (let r; !(r = await within(reader.read(), 2_000, "rest of the body")).done;) {
      rest += r.value;
    }
    assert.equal(rest, "part two");
    await within(stopping, 2_000, "stop() after the stream finished");
  } finally {
    await reader.cancel();
  }
});

proxyTest(
  "shutdown: requests still running when the grace period ends are aborted",
  async (variant) => {
    const arrived = Promise.withResolvers<void>();
    const release = Promise.withResolvers<void>();
    await using up = startUpstream("up", async () => {
      arrived.resolve();
      await release.promise;
      return new Response("never delivered");
    });
    await using sluice = await startSluice(variant, [
      "--backends",
      up.url,
      "--shutdown-timeout",
      "200ms",
      "--backend-timeout",
      "10s",
    ]);
    using _release = { [Symbol.dispose]: () => release.resolve() };

    const inFlight = fetchOnce(sluice.url + "/hangs");
    await within(arrived.promise, 2_000, "the request reaching the upstream");
    const started = performance.now();
    await within(sluice.stop(), 3_000, "stop() after the grace period");
    const elapsed = performance.now() - started;
    assert.ok(elapsed >= 200, `stop() took ${elapsed.toFixed(1)}ms, less than the grace period`);
    // The held request was answered (503) rather than left hanging.
    const result = await within(inFlight, 2_000, "the aborted request's answer");
    assert.equal(result.status, 503);
    assert.match(result.text, /shutting down/);
  },
);
