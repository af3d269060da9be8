/**
 * End-to-end: round robin across real upstreams, failover when one stops, and recovery when it
 * comes back on the same port.
 *
 * Health checks are TCP connects every 100ms with the default thresholds: rise 2, fall 3.
 *
 * @module
 */

import assert from "node:assert/strict";
import { get, startSluice, startUpstream, type TestSluice, waitForPool } from "./_fixtures.ts";
import { proxyTest } from "./_matrix.ts";

type App = TestSluice["app"];

/** Bound on waiting for a health transition (fall 3 × 100ms, rise 2 × 100ms, plus jitter). */
const HEALTH_BOUND_MS = 2_000;

function upstreamAt(app: App, url: string) {
  const upstream = app.pool.list().find((u) => u.url === url);
  assert.ok(upstream, `no upstream with url ${url} in the pool`);
  return upstream;
}

function allUp(app: App): boolean {
  return app.pool.list().every((u) => u.health === "up");
}

/** Sends `count` GETs one after the other; returns each status and body. */
async function sendMany(url: string, count: number): Promise<{ status: number; text: string }[]> {
  const results = [];
  for (let i = 0; i < count; i++) {
    const { status, text } = await get(url);
    results.push({ status, text });
  }
  return results;
}

function tally(texts: string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const text of texts) counts[text] = (counts[text] ?? 0) + 1;
  return counts;
}

proxyTest(
  "balancing: round robin visits three upstreams in exact order a,b,c,a,b,c",
  async (variant) => {
    await using a = startUpstream("a");
    await using b = startUpstream("b");
    await using c = startUpstream("c");
    // One probe each at start (interval and timeout 1 h): the order cannot be disturbed by a
    // probe that a loaded machine delays past a 100 ms timeout.
    await using sluice = await startSluice(variant, [
      "--backends",
      [a.url, b.url, c.url].join(","),
      "--health-interval",
      "1h",
      "--health-timeout",
      "1h",
    ]);
    await waitForPool(sluice.app, () => allUp(sluice.app), HEALTH_BOUND_MS, "all upstreams up");

    const results = await sendMany(sluice.url + "/", 6);
    assert.deepEqual(results.map((r) => r.status), [200, 200, 200, 200, 200, 200]);
    assert.deepEqual(results.map((r) => r.text), ["a", "b", "c", "a", "b", "c"]);
    assert.equal(a.seen.length, 2);
    assert.equal(b.seen.length, 2);
    assert.equal(c.seen.length, 2);
  },
);

proxyTest(
  "balancing: a stopped upstream costs no failed request, then health takes it out",
  async (variant) => {
    await using a = startUpstream("a");
    await using b = startUpstream("b");
    await using c = startUpstream("c");
    await using sluice = await startSluice(variant, [
      "--backends",
      [a.url, b.url, c.url].join(","),
      "--health-interval",
      "100ms",
      "--health-timeout",
      "100ms",
    ]);
    const app = sluice.app;
    await waitForPool(app, () => allUp(app), HEALTH_BOUND_MS, "all upstreams up");
    // Warm Sluice's keep-alive pool to every upstream, so stopping b also closes a pooled
    // connection (the case where a reused dead connection could surface as a 502).
    assert.deepEqual((await sendMany(sluice.url + "/", 3)).map((r) => r.text), ["a", "b", "c"]);

    const upstreamB = upstreamAt(app, b.url);
    await b.close();

    // Right after the stop, before health notices: b is still in the available set, so round
    // robin keeps choosing it, the connect fails, and the request is retried on another upstream.
    assert.equal(upstreamB.health, "up", "health noticed the stop too early for this test");
    const failuresBefore = upstreamB.failuresTotal;
    const results = await sendMany(sluice.url + "/", 30);
    assert.deepEqual(
      results.filter((r) => r.status !== 200),
      [],
      "requests failed right after an upstream stopped",
    );
    assert.ok(results.every((r) => r.text === "a" || r.text === "c"));
    assert.ok(
      upstreamB.failuresTotal > failuresBefore,
      "no attempt went to the stopped upstream, so the retry path was not exercised",
    );

    // After the fall threshold the pool marks it down and it gets no more attempts.
    await waitForPool(app, () => upstreamB.health === "down", HEALTH_BOUND_MS, "b marked down");
    assert.deepEqual(
      app.pool.available().map((u) => u.url),
      [a.url, c.url],
    );
    const attemptsBefore = upstreamB.requestsTotal;
    const after = await sendMany(sluice.url + "/", 10);
    assert.deepEqual(after.map((r) => r.status), Array(10).fill(200));
    assert.deepEqual(tally(after.map((r) => r.text)), { a: 5, c: 5 });
    assert.equal(upstreamB.requestsTotal, attemptsBefore, "a down upstream still got attempts");
  },
);

proxyTest(
  "balancing: an upstream restarted on the same port is back in rotation after rise",
  async (variant) => {
    await using a = startUpstream("a");
    await using b = startUpstream("b");
    await using c = startUpstream("c");
    await using sluice = await startSluice(variant, [
      "--backends",
      [a.url, b.url, c.url].join(","),
      "--health-interval",
      "100ms",
      "--health-timeout",
      "100ms",
    ]);
    const app = sluice.app;
    await waitForPool(app, () => allUp(app), HEALTH_BOUND_MS, "all upstreams up");
    const upstreamB = upstreamAt(app, b.url);

    await b.close();
    await waitForPool(app, () => upstreamB.health === "down", HEALTH_BOUND_MS, "b marked down");
    const whileDown = await sendMany(sluice.url + "/", 4);
    assert.deepEqual(tally(whileDown.map((r) => r.text)), { a: 2, c: 2 });

    await using b2 = startUpstream("b again", undefined, b.port);
    await waitForPool(app, () => upstreamB.health === "up", HEALTH_BOUND_MS, "b marked up again");
    const results = await sendMany(sluice.url + "/", 6);
    assert.deepEqual(results.map((r) => r.status), Array(6).fill(200));
    assert.deepEqual(tally(results.map((r) => r.text)), { a: 2, "b again": 2, c: 2 });
    assert.equal(b2.seen.length, 2);
  },
);

proxyTest(
  "balancing: request bodies are resent intact when the first upstream refuses",
  async (variant) => {
    const echo = async (request: Request) => new Response(await request.text());
    await using a = startUpstream("a", echo);
    await using b = startUpstream("b", echo);
    // One health check at start-up, then none during the test: a stays "up" after it stops; and
    // no outlier detection, so every request still tries a first.
    await using sluice = await startSluice(variant, [
      "--backends",
      [a.url, b.url].join(","),
      "--health-interval",
      "1m",
      "--passive-failures",
      "0",
    ]);
    const app = sluice.app;
    await waitForPool(app, () => allUp(app), HEALTH_BOUND_MS, "all upstreams up");
    await a.close();
    const upstreamA = upstreamAt(app, a.url);

    const text = "payload-".repeat(1_000);
    const bodies: [string, () => BodyInit][] = [
      ["with Content-Length", () => text],
      [
        "chunked",
        () =>
          ReadableStream.from([text.slice(0, 3_000), text.slice(3_000)]).pipeThrough(
            new TextEncoderStream(),
          ),
      ],
    ];
    // Round robin sends every other request to a first: two of each kind means one of them is
    // refused by a and resent to b.
    for (const [kind, body] of bodies) {
      for (const method of ["POST", "PUT"]) {
        const failures = upstreamA.failuresTotal;
        for (let i = 0; i < 2; i++) {
          const response = await fetch(sluice.url + "/echo", { method, body: body() });
          assert.equal(response.status, 200, `${method} ${kind}`);
          assert.equal(await response.text(), text, `${method} ${kind}`);
        }
        assert.ok(upstreamA.failuresTotal > failures, `${method} ${kind}: never tried on a`);
      }
    }
    assert.equal(b.seen.length, 8);
  },
);
