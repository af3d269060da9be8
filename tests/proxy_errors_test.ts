/**
 * End-to-end: how failures look to the client (503 no upstream, 502 connect failure or broken
 * upstream, 504 timeout, each naming the request id), what a client that leaves does to the
 * upstream, and upstream answers that must pass as they are (redirects, error statuses).
 *
 * @module
 */

import assert from "node:assert/strict";
import { configure, type LogRecord, reset } from "@logtape/logtape";
import { get, startSluice, startUpstream, waitForPool, within } from "./_fixtures.ts";
import { proxyTest } from "./_matrix.ts";

/** A loopback port nothing listens on (it was just bound and released). */
async function closedPortUrl(): Promise<string> {
  const up = startUpstream("gone");
  await up.close();
  return up.url;
}

/**
 * A TCP server that reads the start of each request and then closes the connection without
 * answering: an upstream that accepted the request and died.
 */
function startHangUpUpstream(): AsyncDisposable & { url: string; requests: number } {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const state = { url: `http://127.0.0.1:${listener.addr.port}`, requests: 0 };
  const serving = (async () => {
    for await (const conn of listener) {
      try {
        // Health checks connect and close without sending anything: not a request.
        if (await conn.read(new Uint8Array(16 * 1024)) !== null) state.requests++;
      } finally {
        conn.close();
      }
    }
  })();
  return Object.assign(state, {
    async [Symbol.asyncDispose]() {
      listener.close();
      await serving;
    },
  });
}

proxyTest(
  "errors: no available upstream → 503 with Retry-After and the request id",
  async (variant) => {
    const deadA = await closedPortUrl();
    const deadB = await closedPortUrl();
    await using sluice = await startSluice(variant, [
      "--backends",
      `${deadA},${deadB}`,
      "--health-interval",
      "100ms",
    ]);
    await waitForPool(
      sluice.app,
      () => sluice.app.pool.available().length === 0,
      2_000,
      "every upstream marked down",
    );

    const { status, headers, text } = await get(sluice.url + "/x", {
      headers: { "x-request-id": "req-503-check" },
    });
    assert.equal(status, 503);
    assert.match(headers.get("retry-after") ?? "", /^[1-9][0-9]*$/);
    assert.equal(headers.get("x-request-id"), "req-503-check");
    assert.match(text, /req-503-check/);

    // A generated id is named too.
    const second = await get(sluice.url + "/y");
    assert.equal(second.status, 503);
    const id = second.headers.get("x-request-id");
    assert.ok(id);
    assert.ok(second.text.includes(id), `body does not name ${id}: ${second.text}`);
  },
);

proxyTest(
  "errors: a single upstream refusing connections (not yet marked down) → 502",
  async (variant) => {
    await using up = startUpstream("up");
    // Health probes once at start-up, then not again within the test.
    await using sluice = await startSluice(variant, [
      "--backends",
      up.url,
      "--health-interval",
      "1m",
    ]);
    await waitForPool(sluice.app, () => sluice.app.pool.list()[0]?.health === "up", 2_000, "up");
    await up.close();

    const { status, headers, text } = await get(sluice.url + "/x", {
      headers: { "x-request-id": "req-502-check" },
    });
    assert.equal(status, 502);
    assert.equal(headers.get("x-request-id"), "req-502-check");
    assert.match(text, /req-502-check/);
    assert.equal(sluice.app.pool.list()[0]?.health, "up", "health noticed: not the tested case");
  },
);

proxyTest(
  "errors: an upstream that closes the connection without answering → 502",
  async (variant) => {
    await using up = startHangUpUpstream();
    await using sluice = await startSluice(variant, [
      "--backends",
      up.url,
      "--health-interval",
      "1m",
    ]);

    const { status, headers, text } = await get(sluice.url + "/x");
    assert.equal(status, 502);
    const id = headers.get("x-request-id");
    assert.ok(id);
    assert.ok(text.includes(id), `body does not name ${id}: ${text}`);
    assert.equal(up.requests, 1, "a request that reached the upstream must not be retried");
  },
);

proxyTest(
  "errors: an upstream that never answers → 504 after --backend-timeout",
  async (variant) => {
    const release = Promise.withResolvers<void>();
    const arrived = Promise.withResolvers<void>();
    await using up = startUpstream("up", async () => {
      arrived.resolve();
      await release.promise;
      return new Response("too late");
    });
    await using sluice = await startSluice(variant, [
      "--backends",
      up.url,
      "--backend-timeout",
      "300ms",
    ]);
    using _release = { [Symbol.dispose]: () => release.resolve() };

    const started = performance.now();
    const { status, headers, text } = await within(
      get(sluice.url + "/slow", { headers: { "x-request-id": "req-504-check" } }),
      5_000,
      "the 504",
    );
    const elapsed = performance.now() - started;
    await within(arrived.promise, 100, "the request reached the upstream");
    assert.equal(status, 504);
    assert.equal(headers.get("x-request-id"), "req-504-check");
    assert.match(text, /req-504-check/);
    assert.ok(elapsed >= 300, `504 after ${elapsed.toFixed(1)}ms, before the 300ms timeout`);
    assert.ok(elapsed < 3_000, `504 after ${elapsed.toFixed(1)}ms`);
    assert.equal(up.seen.length, 1, "a timed-out request must not be retried");
  },
);

for (const framing of ["chunked", "content-length"] as const) {
  proxyTest(
    `errors: a client that leaves mid-body (${framing}) cancels the upstream; Sluice serves on`,
    async (variant) => {
      const cancelled = Promise.withResolvers<unknown>();
      await using up = startUpstream("up", (request) => {
        if (new URL(request.url).pathname !== "/stream") return new Response("fine");
        // Sends one chunk, then waits (without timers) until the stream is cancelled.
        const body = new ReadableStream<Uint8Array>({
          start(controller) {
            controller.enqueue(new TextEncoder().encode("first chunk\n"));
          },
          pull() {
            return cancelled.promise.then(() => {});
          },
          cancel(reason) {
            cancelled.resolve(reason);
          },
        });
        const headers: HeadersInit = framing === "content-length"
          ? { "content-length": "1000000" }
          : {};
        return new Response(body, { headers });
      });
      await using sluice = await startSluice(variant, ["--backends", up.url]);

      const client = new AbortController();
      using _leave = { [Symbol.dispose]: () => client.abort() };
      const response = await within(
        fetch(sluice.url + "/stream", { signal: client.signal }),
        2_000,
        "response headers",
      );
      assert.equal(response.status, 200);
      assert.equal(
        response.headers.get("content-length"),
        framing === "content-length" ? "1000000" : null,
      );
      const reader = response.body!.getReader();
      const first = await within(reader.read(), 2_000, "first chunk");
      assert.equal(new TextDecoder().decode(first.value), "first chunk\n");
      client.abort();
      await assert.rejects(reader.read());
      await within(cancelled.promise, 2_000, "the upstream seeing the cancellation");

      const next = await get(sluice.url + "/after");
      assert.equal(next.status, 200);
      assert.equal(next.text, "fine");
      const upstream = sluice.app.pool.list()[0]!;
      assert.equal(upstream.inFlight, 0, "the abandoned request is still counted in flight");
    },
  );
}

for (const framing of ["chunked", "content-length"] as const) {
  proxyTest(
    `errors: a client that leaves mid-body (${framing}) is logged as 499`,
    async (variant) => {
      // Capture the access log (the fixture leaves logging unconfigured).
      const logged = Promise.withResolvers<Record<string, unknown>>();
      await configure({
        sinks: {
          capture(record: LogRecord) {
            if (record.properties.path === "/stream") logged.resolve(record.properties);
          },
        },
        loggers: [
          { category: ["sluice", "access"], lowestLevel: "info", sinks: ["capture"] },
          { category: ["logtape", "meta"], lowestLevel: "warning", sinks: [] },
        ],
      });
      await using _logging = { [Symbol.asyncDispose]: () => reset() };
      const cancelled = Promise.withResolvers<void>();
      await using up = startUpstream("up", () => {
        const body = new ReadableStream<Uint8Array>({
          start(controller) {
            controller.enqueue(new Uint8Array(1000));
          },
          pull() {
            return cancelled.promise;
          },
          cancel() {
            cancelled.resolve();
          },
        });
        const headers: HeadersInit = framing === "content-length"
          ? { "content-length": "1000000" }
          : {};
        return new Response(body, { headers });
      });
      await using sluice = await startSluice(variant, ["--backends", up.url]);

      const client = new AbortController();
      using _leave = { [Symbol.dispose]: () => client.abort() };
      const response = await within(
        fetch(sluice.url + "/stream", { signal: client.signal }),
        2_000,
        "response headers",
      );
      const reader = response.body!.getReader();
      await within(reader.read(), 2_000, "first chunk");
      client.abort();
      await assert.rejects(reader.read());
      await within(cancelled.promise, 2_000, "the upstream seeing the cancellation");

      const entry = await within(logged.promise, 2_000, "the access log entry");
      assert.equal(entry.status, 499, `logged ${JSON.stringify(entry)}`);
      assert.ok(
        typeof entry.bytes_out === "number" && entry.bytes_out < 1_000_000,
        `bytes_out ${entry.bytes_out} counts bytes never sent`,
      );
    },
  );
}

proxyTest(
  "errors: a client that leaves before the upstream answers aborts the upstream request",
  async (variant) => {
    const arrived = Promise.withResolvers<void>();
    const aborted = Promise.withResolvers<void>();
    await using up = startUpstream("up", (request) => {
      if (new URL(request.url).pathname !== "/slow") return new Response("fine");
      arrived.resolve();
      // Answers only when the request is abandoned (Sluice closed the upstream connection).
      const { promise, resolve } = Promise.withResolvers<Response>();
      request.signal.addEventListener("abort", () => {
        aborted.resolve();
        resolve(new Response("gone"));
      }, { once: true });
      return promise;
    });
    await using sluice = await startSluice(variant, [
      "--backends",
      up.url,
      "--backend-timeout",
      "10s",
    ]);

    const client = new AbortController();
    const pending = fetch(sluice.url + "/slow", { signal: client.signal });
    await within(arrived.promise, 2_000, "the request reaching the upstream");
    client.abort();
    await assert.rejects(pending);
    await within(aborted.promise, 2_000, "the upstream seeing the abort");

    const next = await get(sluice.url + "/after");
    assert.equal(next.status, 200);
    assert.equal(next.text, "fine");
    assert.equal(sluice.app.pool.list()[0]!.inFlight, 0);
  },
);

proxyTest("errors: a redirect reaches the client as is, not followed", async (variant) => {
  await using up = startUpstream("up", (request) => {
    const path = new URL(request.url).pathname;
    if (path === "/old") {
      return new Response("moved", { status: 302, headers: { location: "/new?from=old" } });
    }
    if (path === "/away") {
      return new Response(null, {
        status: 301,
        headers: { location: "https://elsewhere.example.test/x" },
      });
    }
    return new Response("new page");
  });
  await using sluice = await startSluice(variant, ["--backends", up.url]);

  const found = await fetch(sluice.url + "/old", { redirect: "manual" });
  assert.equal(found.status, 302);
  assert.equal(found.headers.get("location"), "/new?from=old");
  assert.equal(await found.text(), "moved");
  const moved = await fetch(sluice.url + "/away", { redirect: "manual" });
  assert.equal(moved.status, 301);
  assert.equal(moved.headers.get("location"), "https://elsewhere.example.test/x");
  await moved.body?.cancel();
  assert.deepEqual(up.seen.map((r) => r.target), ["/old", "/away"]);
});

proxyTest("errors: upstream error statuses pass through unchanged", async (variant) => {
  await using up = startUpstream("up", (request) => {
    const status = Number(new URL(request.url).searchParams.get("status"));
    return new Response(`upstream says ${status}`, {
      status,
      headers: { "x-upstream": "yes" },
    });
  });
  await using sluice = await startSluice(variant, ["--backends", up.url]);

  for (const status of [400, 404, 500, 502, 503]) {
    const response = await get(sluice.url + `/?status=${status}`);
    assert.equal(response.status, status);
    assert.equal(response.text, `upstream says ${status}`);
    assert.equal(response.headers.get("x-upstream"), "yes");
  }
  assert.equal(up.seen.length, 5, "an upstream error status must not be retried");
});

proxyTest(
  "errors: 502/503/504 bodies name no upstream, port or transport error; the log does",
  async (variant) => {
    const logged: Record<string, unknown>[] = [];
    await configure({
      sinks: { capture: (record: LogRecord) => logged.push(record.properties) },
      loggers: [
        { category: ["sluice", "proxy"], lowestLevel: "warning", sinks: ["capture"] },
        { category: ["logtape", "meta"], lowestLevel: "warning", sinks: [] },
      ],
    });
    await using _logging = { [Symbol.asyncDispose]: () => reset() };
    await using refusing = startUpstream("refusing"); // closed once marked up
    const refused = refusing.url;
    await using hangUp = startHangUpUpstream();
    const release = Promise.withResolvers<void>();
    await using slow = startUpstream("slow", async () => {
      await release.promise;
      return new Response("too late");
    });
    using _release = { [Symbol.dispose]: () => release.resolve() };
    const addresses = [refused, hangUp.url, slow.url].map((url) => new URL(url));
    const leaks = (text: string) =>
      addresses.some((a) => text.includes(a.port) || text.includes(a.host)) ||
      /127\.0\.0\.1|connect|refused|reset|closed|os error|tcp|hyper|upstream \S+:\d+/i.test(text);

    const cases = [[refused, 502], [hangUp.url, 502], [slow.url, 504]] as const;
    for (const [i, [url, status]] of cases.entries()) {
      const id = `req-${i}-${status}`;
      await using sluice = await startSluice(variant, [
        "--backends",
        url,
        "--health-interval",
        "1m",
        "--backend-timeout",
        "300ms",
        "--retries",
        "0",
      ]);
      await waitForPool(sluice.app, () => sluice.app.pool.list()[0]?.health === "up", 2_000, "up");
      if (url === refused) await refusing.close();
      const response = await get(sluice.url + "/x", { headers: { "x-request-id": id } });
      assert.equal(response.status, status);
      assert.match(response.text, new RegExp(`^${status} .*\\(request id ${id}\\)\\n$`));
      assert.ok(!leaks(response.text), `the ${status} body tells too much: ${response.text}`);
      const entry = logged.find((p) => p.requestId === id);
      assert.ok(entry, `no log line for ${id}`);
      assert.equal(entry.upstream, new URL(url).host, "the log names the upstream");
    }
    // 503: every upstream down.
    await using sluice = await startSluice(variant, [
      "--backends",
      refused,
      "--health-interval",
      "100ms",
    ]);
    await waitForPool(sluice.app, () => sluice.app.pool.available().length === 0, 2_000, "down");
    const unavailable = await get(sluice.url + "/x");
    assert.equal(unavailable.status, 503);
    assert.ok(!leaks(unavailable.text), `the 503 body tells too much: ${unavailable.text}`);
    assert.doesNotMatch(unavailable.text, /\d+ upstream/, "nor the size of the pool");
  },
);

proxyTest(
  "errors: --verbose-errors puts the upstream and its error in the body",
  async (variant) => {
    await using up = startUpstream("up");
    await using sluice = await startSluice(variant, [
      "--backends",
      up.url,
      "--health-interval",
      "1m",
      "--verbose-errors",
    ]);
    await waitForPool(sluice.app, () => sluice.app.pool.list()[0]?.health === "up", 2_000, "up");
    await up.close(); // refused from now on, still marked up: a connect failure
    const response = await get(sluice.url + "/x", { headers: { "x-request-id": "req-verbose" } });
    assert.equal(response.status, 502);
    assert.ok(response.text.includes(new URL(up.url).host), response.text);
    assert.match(response.text, /connection refused/);
    assert.match(response.text, /\(request id req-verbose\)\n$/);
  },
);
