import assert from "node:assert/strict";
import { configure, type LogRecord, reset } from "@logtape/logtape";
import FakeTimers from "@sinonjs/fake-timers";
import { Pool, type PoolEvent, type Upstream } from "../pool/mod.ts";
import {
  PassiveHealthTracker,
  type PassiveHealthTrackerOptions,
} from "./passive_health_tracker.ts";

/** A pool of `n` upstreams named a, b, c…, fake timers, and a tracker over them. */
function setUp(n: number, options: PassiveHealthTrackerOptions) {
  const clock = FakeTimers.install({ toFake: ["setTimeout", "clearTimeout", "Date"] });
  const pool = new Pool(Array.from({ length: n }, (_, i) => {
    const id = String.fromCharCode(97 + i);
    return { id, name: id, url: `http://127.0.0.1:${9001 + i}` };
  }));
  const tracker = new PassiveHealthTracker(pool, options);
  const events: string[] = [];
  pool.onChange((e: PoolEvent) => {
    if (e.type === "ejection") events.push(`${e.upstream.id} ${e.ejected ? "out" : "in"}`);
  });
  return {
    clock,
    pool,
    tracker,
    events,
    [Symbol.dispose]() {
      tracker.stop();
      clock.uninstall();
    },
  };
}

function fail(tracker: PassiveHealthTracker, upstream: Upstream, times: number, status = 500) {
  for (let i = 0; i < times; i++) tracker.observe(upstream, { status });
}

const refused = { error: new Deno.errors.ConnectionRefused("connection refused") };

Deno.test("passive: failures in a row eject, for the ejection time, then the upstream returns", () => {
  using t = setUp(3, { failures: 3, ejectionTimeMs: 1_000 });
  const a = t.pool.get("a")!;
  fail(t.tracker, a, 2);
  assert.equal(a.ejected, false, "2 < 3");
  t.tracker.observe(a, refused); // errors count as 5xx do
  assert.equal(a.ejected, true);
  assert.equal(a.ejectedUntil, Date.now() + 1_000);
  assert.deepEqual(t.pool.available().map((u) => u.id), ["b", "c"]);
  assert.equal(a.ejectionsTotal, 1);
  t.clock.tick(999);
  assert.equal(a.ejected, true);
  t.clock.tick(1);
  assert.equal(a.ejected, false);
  assert.equal(a.ejectedUntil, null);
  assert.deepEqual(t.pool.available().map((u) => u.id), ["a", "b", "c"]);
  assert.deepEqual(t.events, ["a out", "a in"]);
});

Deno.test("passive: any response below 500 resets the count; 4xx are not failures", () => {
  using t = setUp(2, { failures: 3, ejectionTimeMs: 1_000 });
  const a = t.pool.get("a")!;
  fail(t.tracker, a, 2, 503);
  t.tracker.observe(a, { status: 404 });
  fail(t.tracker, a, 2, 502);
  t.tracker.observe(a, { status: 200 });
  fail(t.tracker, a, 2, 504);
  assert.equal(a.ejected, false);
  fail(t.tracker, a, 1, 500);
  assert.equal(a.ejected, true);
});

Deno.test("passive: outcomes seen while ejected do not count; the count restarts on return", () => {
  using t = setUp(2, { failures: 2, ejectionTimeMs: 1_000 });
  const a = t.pool.get("a")!;
  fail(t.tracker, a, 2);
  assert.equal(a.ejected, true);
  fail(t.tracker, a, 5); // answers of requests sent before the ejection
  t.clock.tick(1_000);
  assert.equal(a.ejected, false);
  fail(t.tracker, a, 1);
  assert.equal(a.ejected, false, "1 failure since the return");
  fail(t.tracker, a, 1);
  assert.equal(a.ejected, true);
});

Deno.test("passive: ejection time grows 1×, 2×, 3× up to the maximum", () => {
  using t = setUp(2, { failures: 1, ejectionTimeMs: 1_000, maxEjectionTimeMs: 2_500 });
  const a = t.pool.get("a")!;
  const durations: number[] = [];
  for (let i = 0; i < 5; i++) {
    fail(t.tracker, a, 1);
    durations.push(a.ejectedUntil! - Date.now());
    t.clock.tick(durations.at(-1)!);
    assert.equal(a.ejected, false);
  }
  assert.deepEqual(durations, [1_000, 2_000, 2_500, 2_500, 2_500]);
  assert.equal(a.ejectionsTotal, 5);
});

Deno.test("passive: the multiplier decays by one per ejection time of good behaviour", () => {
  using t = setUp(2, { failures: 1, ejectionTimeMs: 1_000, maxEjectionTimeMs: 10_000 });
  const a = t.pool.get("a")!;
  const ejectFor = () => {
    fail(t.tracker, a, 1);
    const ms = a.ejectedUntil! - Date.now();
    t.clock.tick(ms);
    return ms;
  };
  assert.equal(ejectFor(), 1_000);
  assert.equal(ejectFor(), 2_000);
  assert.equal(ejectFor(), 3_000);
  t.clock.tick(1_999); // one whole interval back: 3 -> 2
  assert.equal(ejectFor(), 3_000);
  t.clock.tick(2_000); // two: 3 -> 1
  assert.equal(ejectFor(), 2_000);
  t.clock.tick(60_000); // long enough: back to the start
  assert.equal(ejectFor(), 1_000);
});

Deno.test("passive: decay starts from the cap, not from the number of ejections", () => {
  using t = setUp(2, { failures: 1, ejectionTimeMs: 1_000, maxEjectionTimeMs: 2_000 });
  const a = t.pool.get("a")!;
  for (let i = 0; i < 10; i++) {
    fail(t.tracker, a, 1);
    t.clock.tick(a.ejectedUntil! - Date.now());
  }
  t.clock.tick(1_000); // one interval: 2 -> 1
  fail(t.tracker, a, 1);
  assert.equal(a.ejectedUntil! - Date.now(), 2_000, "multiplier 1 + 1");
  t.clock.tick(2_000);
  t.clock.tick(2_000); // two intervals: 2 -> 0
  fail(t.tracker, a, 1);
  assert.equal(a.ejectedUntil! - Date.now(), 1_000);
});

Deno.test("passive: at most maxEjectionPercent of the pool is ejected, but always one", () => {
  using t = setUp(3, { failures: 2, ejectionTimeMs: 1_000 }); // 10% of 3 -> 0 -> at least 1
  const [a, b, c] = ["a", "b", "c"].map((id) => t.pool.get(id)!) as [Upstream, Upstream, Upstream];
  fail(t.tracker, a, 2);
  fail(t.tracker, b, 5);
  fail(t.tracker, c, 5);
  assert.deepEqual([a.ejected, b.ejected, c.ejected], [true, false, false]);
  assert.deepEqual(t.pool.available().map((u) => u.id), ["b", "c"]);
  t.clock.tick(1_000);
  assert.equal(a.ejected, false);
  fail(t.tracker, c, 1); // still past the threshold: ejected at its next failure
  assert.equal(c.ejected, true);
  fail(t.tracker, a, 2);
  fail(t.tracker, b, 1);
  assert.deepEqual([a.ejected, b.ejected, c.ejected], [false, false, true]);
});

Deno.test("passive: a larger share allows more ejections at once", () => {
  using t = setUp(10, { failures: 1, ejectionTimeMs: 1_000, maxEjectionPercent: 30 });
  for (const upstream of t.pool.list()) fail(t.tracker, upstream, 1);
  assert.equal(t.pool.list().filter((u) => u.ejected).length, 3);
  assert.equal(t.pool.available().length, 7);
});

Deno.test("passive: failures 0 turns it off", () => {
  using t = setUp(2, { failures: 0, ejectionTimeMs: 1_000 });
  fail(t.tracker, t.pool.get("a")!, 100);
  assert.equal(t.pool.get("a")!.ejected, false);
  assert.equal(t.tracker.enabled, false);
  assert.equal(t.clock.countTimers(), 0);
});

Deno.test("passive: a removed upstream is forgotten with its timer; stop brings the ejected back", () => {
  using t = setUp(20, { failures: 1, ejectionTimeMs: 1_000, maxEjectionPercent: 50 });
  const [a, b] = [t.pool.get("a")!, t.pool.get("b")!];
  fail(t.tracker, a, 1);
  fail(t.tracker, b, 1);
  assert.equal(t.clock.countTimers(), 2);
  t.pool.remove("a");
  assert.equal(t.clock.countTimers(), 1);
  fail(t.tracker, a, 1); // late outcome of a removed upstream
  assert.equal(t.clock.countTimers(), 1);
  t.tracker.stop();
  assert.equal(t.clock.countTimers(), 0);
  assert.equal(b.ejected, false);
  assert.equal(b.available, true);
  fail(t.tracker, b, 5);
  assert.equal(b.ejected, false, "a stopped tracker ejects nothing");
  assert.deepEqual(t.events, ["a out", "b out", "b in"]);
});

Deno.test("passive: invalid options are refused", () => {
  const pool = new Pool();
  assert.throws(() => new PassiveHealthTracker(pool, { failures: -1 }), RangeError);
  assert.throws(() => new PassiveHealthTracker(pool, { failures: 1.5 }), RangeError);
  assert.throws(() => new PassiveHealthTracker(pool, { ejectionTimeMs: 0 }), RangeError);
  assert.throws(
    () => new PassiveHealthTracker(pool, { ejectionTimeMs: 2_000, maxEjectionTimeMs: 1_000 }),
    RangeError,
  );
  assert.throws(() => new PassiveHealthTracker(pool, { maxEjectionPercent: 101 }), RangeError);
  const defaults = new PassiveHealthTracker(pool);
  assert.equal(defaults.enabled, true);
  defaults.stop();
});

Deno.test("passive: an ejection is logged at warn with its reason, the return at info", async () => {
  const records: LogRecord[] = [];
  await configure({
    sinks: { capture: (record: LogRecord) => records.push(record) },
    loggers: [
      { category: ["sluice", "health"], lowestLevel: "info", sinks: ["capture"] },
      { category: ["logtape", "meta"], lowestLevel: "warning", sinks: [] },
    ],
  });
  try {
    using t = setUp(2, { failures: 2, ejectionTimeMs: 1_000 });
    const a = t.pool.get("a")!;
    t.tracker.observe(a, { status: 502 });
    t.tracker.observe(a, refused);
    t.clock.tick(1_000);
    assert.deepEqual(records.map((r) => [r.level, r.properties.upstream]), [
      ["warning", "a"],
      ["info", "a"],
    ]);
    assert.equal(records[0]!.properties.durationMs, 1_000);
    assert.equal(records[0]!.properties.reason, "connection refused");
  } finally {
    await reset();
  }
});
