/**
 * End-to-end tests of passive health checks (outlier detection) and slow start over real
 * sockets: upstreams that answer 500 are ejected from rotation, come back after the ejection
 * time, and ramp up their share of traffic when slow start is on.
 *
 * Active checks run every minute (a TCP connect, which a server answering 500 passes), so they
 * decide nothing during a test.
 */

import assert from "node:assert/strict";
import type { Upstream } from "../internal/pool/mod.ts";
import {
  get,
  startSluice,
  startUpstream,
  type TestSluice,
  type TestUpstream,
  waitForPool,
} from "./_fixtures.ts";
import { proxyTest } from "./_matrix.ts";

const ARTIFACTS = new URL("./artifacts/", import.meta.url).pathname;

/** An upstream that answers 500 while `state.failing`, else 200 with its name. */
function flakyUpstream(
  name: string,
  failing: boolean,
): TestUpstream & { state: { failing: boolean } } {
  const state = { failing };
  const upstream = startUpstream(
    name,
    () => state.failing ? new Response("broken", { status: 500 }) : new Response(name),
  );
  return Object.assign(upstream, { state });
}

/** The pool entry of a test upstream. */
function poolEntry(sluice: TestSluice, upstream: TestUpstream): Upstream {
  const entry = sluice.app.pool.list().find((u) => u.url === upstream.url);
  assert.ok(entry, `no upstream ${upstream.url}`);
  return entry;
}

/** Sends `n` GETs one after the other; the bodies of the answers, in order. */
async function send(sluice: TestSluice, n: number): Promise<string[]> {
  const texts: string[] = [];
  for (let i = 0; i < n; i++) texts.push((await get(sluice.url + "/")).text);
  return texts;
}

/** Sends GETs until `done()` holds; at most `limit` of them. Returns how many were sent. */
async function sendUntil(sluice: TestSluice, done: () => boolean, limit: number): Promise<number> {
  let sent = 0;
  while (!done()) {
    assert.ok(sent < limit, `condition not reached after ${limit} requests`);
    await get(sluice.url + "/");
    sent++;
  }
  return sent;
}

/** The value of one series in the Prometheus text of the app. */
async function metric(sluice: TestSluice, series: string): Promise<number | undefined> {
  const { body } = await sluice.app.metrics();
  const line = body.split("\n").find((l) => l.startsWith(series + " "));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

proxyTest(
  "passive: 3 answers of 500 in a row eject an upstream, it returns after 1 s, then sits out 2 s",
  async (variant) => {
    await using good = startUpstream("good");
    await using bad = flakyUpstream("bad", true);
    await using sluice = await startSluice(variant, [
      "--backends",
      [good.url, bad.url].join(","),
      "--passive-failures",
      "3",
      "--ejection-time",
      "1s",
      "--health-interval",
      "1m",
    ]);
    const entry = poolEntry(sluice, bad);
    const name = entry.name;

    // Round robin: good, bad, good, bad, good, bad — the third 500 ejects.
    const first = await send(sluice, 5);
    assert.deepEqual(first, ["good", "broken", "good", "broken", "good"]);
    assert.equal(entry.ejected, false, "2 failures in a row are not enough");
    assert.deepEqual(await send(sluice, 1), ["broken"]);
    const ejectedAt = Date.now();
    assert.equal(entry.ejected, true);
    assert.ok(Math.abs(entry.ejectedUntil! - ejectedAt - 1_000) < 100, "ejected for 1 s");
    assert.equal(
      await metric(sluice, `sluice_upstream_ejected{pool="default",upstream="${name}"}`),
      1,
    );
    assert.equal(
      await metric(sluice, `sluice_upstream_ejections_total{pool="default",upstream="${name}"}`),
      1,
    );

    // No traffic while ejected.
    const seenBefore = bad.seen.length;
    assert.deepEqual(await send(sluice, 10), Array(10).fill("good"));
    assert.equal(bad.seen.length, seenBefore);

    await waitForPool(
      sluice.app,
      () => !entry.ejected,
      3_000,
      "the return of the ejected upstream",
    );
    assert.ok(Date.now() - ejectedAt >= 950, `returned after ${Date.now() - ejectedAt}ms`);
    assert.equal(
      await metric(sluice, `sluice_upstream_ejected{pool="default",upstream="${name}"}`),
      0,
    );

    // Still failing: three more 500s eject it again, for twice as long.
    await sendUntil(sluice, () => entry.ejected, 10);
    const again = Date.now();
    const durationMs = entry.ejectedUntil! - again;
    assert.ok(durationMs > 1_900 && durationMs <= 2_000, `second ejection for ${durationMs}ms`);
    assert.equal(bad.seen.length, seenBefore + 3);
    await waitForPool(sluice.app, () => !entry.ejected, 4_000, "the second return");
    assert.ok(Date.now() - again >= 1_900, `returned after ${Date.now() - again}ms`);
    assert.equal(
      await metric(sluice, `sluice_upstream_ejections_total{pool="default",upstream="${name}"}`),
      2,
    );
  },
);

proxyTest(
  "passive: with every upstream failing, the 10% maximum still ejects only one of 3",
  async (variant) => {
    await using a = flakyUpstream("a", true);
    await using b = flakyUpstream("b", true);
    await using c = flakyUpstream("c", true);
    await using sluice = await startSluice(variant, [
      "--backends",
      [a.url, b.url, c.url].join(","),
      "--passive-failures",
      "3",
      "--ejection-time",
      "1m",
      "--health-interval",
      "1m",
    ]);
    const entries = [a, b, c].map((u) => poolEntry(sluice, u));
    const texts = await send(sluice, 30);
    assert.deepEqual(texts, Array(30).fill("broken"), "the failing upstreams keep serving");
    assert.equal(entries.filter((u) => u.ejected).length, 1);
    assert.equal(sluice.app.pool.available().length, 2);
    // The two left in rotation kept taking traffic after the ejection.
    const ejected = [a, b, c].filter((u) => poolEntry(sluice, u).ejected);
    const serving = [a, b, c].filter((u) => !poolEntry(sluice, u).ejected);
    assert.deepEqual(ejected.map((u) => u.seen.length), [3]);
    for (const upstream of serving) {
      assert.ok(
        upstream.seen.length >= 12,
        `${upstream.seen.length}`,
      );
    }
  },
);

proxyTest(
  "passive: with slow start, a returning upstream gets a small share first, its full share later",
  async (variant) => {
    await using steady = startUpstream("steady");
    await using flaky = flakyUpstream("flaky", true);
    await Deno.mkdir(ARTIFACTS, { recursive: true });
    const file = `${ARTIFACTS}passive_slow_start.yaml`;
    await Deno.writeTextFile(
      file,
      [
        "strategy: weighted_round_robin",
        "backends:",
        `  - ${steady.url}`,
        `  - ${flaky.url}`,
        "health:",
        "  interval: 1m",
        "passive:",
        "  failures: 3",
        "  ejection_time: 1s",
        "limits:",
        "  slow_start: 2s",
        "",
      ].join("\n"),
    );
    await using _file = { [Symbol.asyncDispose]: () => Deno.remove(file) };
    await using sluice = await startSluice(variant, ["--config", file]);
    const entry = poolEntry(sluice, flaky);

    await sendUntil(sluice, () => entry.ejected, 10);
    flaky.state.failing = false;
    await waitForPool(
      sluice.app,
      () => !entry.ejected,
      3_000,
      "the return of the ejected upstream",
    );
    assert.equal(entry.slowStarting, true);

    // Right after its return it has 10% of its weight, about 1 request in 11 (4 of 44 on an
    // idle machine; the bound leaves room for the ramp to move on while the requests run).
    const early = (await send(sluice, 44)).filter((text) => text === "flaky").length;
    assert.ok(early >= 1 && early <= 11, `flaky got ${early} of the first 44 requests`);

    // Once the 2 s window has passed it has its whole weight: every other request.
    await sendUntil(sluice, () => !entry.slowStarting, 20_000);
    const late = (await send(sluice, 44)).filter((text) => text === "flaky").length;
    assert.ok(late >= 20 && late <= 24, `flaky got ${late} of 44 requests after the slow start`);
  },
);
