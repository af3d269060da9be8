import assert from "node:assert/strict";
import FakeTimers from "@sinonjs/fake-timers";
import { Pool, type PoolEvent } from "./pool.ts";

function threeUpstreams(): Pool {
  return new Pool([
    { id: "a", name: "a", url: "http://127.0.0.1:9001" },
    { id: "b", name: "b", url: "http://127.0.0.1:9002/" },
    { id: "c", name: "c", url: "http://127.0.0.1:9003", weight: 5 },
  ]);
}

Deno.test("pool: start-up upstreams are available in order, unknown health counts as available", () => {
  const pool = threeUpstreams();
  assert.deepEqual(pool.available().map((u) => u.id), ["a", "b", "c"]);
  assert.equal(pool.get("b")?.url, "http://127.0.0.1:9002");
  assert.equal(pool.get("b")?.host, "127.0.0.1:9002");
  assert.equal(pool.get("c")?.weight, 5);
  assert.equal(pool.get("a")?.weight, 1);
  assert.ok(Object.isFrozen(pool.available()));
});

Deno.test("pool: the available snapshot is reused until something changes", () => {
  const pool = threeUpstreams();
  const before = pool.available();
  assert.equal(pool.available(), before);
  pool.setHealth("a", true); // unknown -> up: a change of state, not of availability
  const afterUp = pool.available();
  pool.setHealth("a", true); // no change at all
  assert.equal(pool.available(), afterUp);
  pool.setHealth("b", false);
  assert.notEqual(pool.available(), afterUp);
  assert.deepEqual(pool.available().map((u) => u.id), ["a", "c"]);
  assert.deepEqual(before.map((u) => u.id), ["a", "b", "c"], "old snapshot is never mutated");
});

Deno.test("pool: admin state draining and maintenance remove from rotation, ready restores", () => {
  const pool = threeUpstreams();
  assert.equal(pool.setAdminState("a", "draining"), true);
  assert.equal(pool.setAdminState("c", "maintenance"), true);
  assert.deepEqual(pool.available().map((u) => u.id), ["b"]);
  pool.setAdminState("a", "ready");
  assert.deepEqual(pool.available().map((u) => u.id), ["a", "b"]);
  assert.equal(pool.setAdminState("nope", "ready"), false);
});

Deno.test("pool: add, remove and events", () => {
  const pool = threeUpstreams();
  const events: string[] = [];
  const off = pool.onChange((e: PoolEvent) => {
    events.push(
      e.type === "health" || e.type === "admin"
        ? `${e.type}:${e.upstream.id}:${e.from}->${e.to}`
        : `${e.type}:${e.upstream.id}`,
    );
  });
  pool.add({ id: "d", name: "d", url: "http://127.0.0.1:9004", servesBeforeCheck: false });
  assert.deepEqual(pool.available().map((u) => u.id), ["a", "b", "c"], "a newcomer waits");
  pool.setHealth("d", true);
  assert.deepEqual(pool.available().map((u) => u.id), ["a", "b", "c", "d"]);
  assert.equal(pool.remove("b")?.id, "b");
  assert.equal(pool.remove("b"), undefined);
  assert.deepEqual(pool.available().map((u) => u.id), ["a", "c", "d"]);
  pool.setAdminState("a", "draining");
  off();
  pool.setHealth("c", false);
  assert.deepEqual(events, [
    "added:d",
    "health:d:unknown->up",
    "removed:b",
    "admin:a:ready->draining",
  ]);
  assert.throws(() => pool.add({ id: "a", name: "x", url: "http://x:1" }), RangeError);
});

Deno.test("pool: weight changes rebuild the snapshot and are announced", () => {
  const pool = threeUpstreams();
  const before = pool.available();
  const seen: string[] = [];
  pool.onChange((e) => e.type === "weight" && seen.push(`${e.upstream.id}:${e.from}->${e.to}`));
  assert.equal(pool.setWeight("a", 3), true);
  assert.equal(pool.get("a")?.weight, 3);
  assert.notEqual(pool.available(), before);
  assert.equal(pool.setWeight("zz", 2), false);
  assert.throws(() => pool.setWeight("a", 0), RangeError);
  assert.throws(() => pool.setWeight("a", 1.5), RangeError);
  assert.deepEqual(seen, ["a:1->3"]);
});

Deno.test("pool: drainAndRemove waits for in-flight requests, then removes", async () => {
  const pool = threeUpstreams();
  const a = pool.get("a")!;
  a.acquire();
  a.acquire();
  const removed = pool.drainAndRemove("a", 60_000);
  assert.equal(a.admin, "draining");
  assert.deepEqual(pool.available().map((u) => u.id), ["b", "c"], "no new requests");
  a.release();
  assert.ok(pool.get("a"), "still one in flight");
  a.release();
  assert.equal(await removed, true);
  assert.equal(pool.get("a"), undefined);
  assert.equal(await pool.drainAndRemove("a", 10), false);
});

Deno.test("pool: drainAndRemove gives up waiting after the timeout", async () => {
  const pool = threeUpstreams();
  pool.get("b")!.acquire();
  assert.equal(await pool.drainAndRemove("b", 1), true);
  assert.equal(pool.get("b"), undefined);
});

Deno.test("pool: another admin state during the drain cancels the removal", async () => {
  const pool = threeUpstreams();
  const c = pool.get("c")!;
  c.acquire();
  const removed = pool.drainAndRemove("c", 60_000);
  pool.setAdminState("c", "ready");
  c.release();
  assert.equal(await removed, false);
  assert.equal(pool.get("c"), c);
  assert.equal(c.available, true);
});

Deno.test("pool: an ejected upstream leaves the snapshot until it returns; both are announced", () => {
  const pool = threeUpstreams();
  const seen: string[] = [];
  pool.onChange((e) => e.type === "ejection" && seen.push(`${e.upstream.id}:${e.ejected}`));
  const before = pool.available();
  assert.equal(pool.setEjected("b", 1_000), true);
  const b = pool.get("b")!;
  assert.equal(b.ejected, true);
  assert.equal(b.ejectedUntil, 1_000);
  assert.equal(b.available, false);
  assert.deepEqual(pool.available().map((u) => u.id), ["a", "c"]);
  assert.notEqual(pool.available(), before);
  const during = pool.available();
  assert.equal(pool.setEjected("b", 2_000), true, "a new end time only");
  assert.equal(b.ejectedUntil, 2_000);
  assert.equal(pool.available(), during);
  assert.equal(pool.setEjected("b", null), true);
  assert.equal(b.ejected, false);
  assert.deepEqual(pool.available().map((u) => u.id), ["a", "b", "c"]);
  assert.equal(pool.setEjected("b", null), true, "not ejected: nothing happens");
  assert.equal(pool.setEjected("nope", 1), false);
  assert.equal(b.ejectionsTotal, 1);
  assert.deepEqual(seen, ["b:true", "b:false"]);
});

Deno.test("pool: an ejected upstream stays out whatever its health and admin state", () => {
  const pool = threeUpstreams();
  pool.setEjected("a", 1);
  pool.setHealth("a", true);
  pool.setAdminState("a", "ready");
  assert.equal(pool.get("a")?.available, false);
  pool.setEjected("a", null);
  assert.equal(pool.get("a")?.available, true);
});

Deno.test("upstream: slow start share is 10% at first, then linear to 100% over the window", () => {
  const pool = threeUpstreams();
  const c = pool.get("c")!; // weight 5
  assert.equal(c.effectiveWeight, 5);
  assert.equal(c.effectiveWeightAt(123), 5, "no slow start: the weight");
  c.startSlowStart(1_000, 10_000);
  assert.equal(c.slowStarting, true);
  assert.equal(c.effectiveWeight, 0.5, "10% of 5");
  assert.equal(c.effectiveWeightAt(1_000), 0.5);
  assert.equal(c.effectiveWeightAt(1_500), 0.5, "5% elapsed: still the 10% floor");
  assert.equal(c.effectiveWeightAt(6_000), 2.5, "half way");
  assert.equal(c.effectiveWeightAt(11_000), 5);
  assert.equal(c.advanceSlowStart(6_000), true);
  assert.equal(c.effectiveWeight, 2.5);
  c.weight = 2; // a weight change applies to the share at once
  assert.equal(c.effectiveWeight, 1);
  assert.equal(c.advanceSlowStart(11_000), false, "the window is over");
  assert.equal(c.slowStarting, false);
  assert.equal(c.effectiveWeight, 2);
  assert.equal(c.rampStartedAt, 1_000);
});

Deno.test("pool: slow start ramps upstreams that become available, on a timer, and close ends it", () => {
  const clock = FakeTimers.install({ toFake: ["setTimeout", "clearTimeout"] });
  const pool = new Pool([
    { id: "a", name: "a", url: "http://127.0.0.1:9001", weight: 2 },
    { id: "b", name: "b", url: "http://127.0.0.1:9002", weight: 2 },
  ], { slowStartMs: 10_000, now: () => clock.now });
  try {
    const [a, b] = [pool.get("a")!, pool.get("b")!];
    assert.equal(a.effectiveWeight, 2, "start-up upstreams start at full weight");
    assert.equal(clock.countTimers(), 0);

    pool.setHealth("b", false);
    assert.equal(clock.countTimers(), 0, "going down starts nothing");
    pool.setHealth("b", true);
    assert.equal(b.rampStartedAt, clock.now);
    assert.equal(b.effectiveWeight, 0.2);
    clock.tick(5_000);
    assert.equal(b.effectiveWeight, 1, "half way, moved by the timer");
    clock.tick(5_000);
    assert.equal(b.effectiveWeight, 2);
    assert.equal(b.slowStarting, false);
    assert.equal(clock.countTimers(), 0, "the timer stops with the last ramp");

    pool.setEjected("a", Date.now());
    pool.setEjected("a", null);
    assert.equal(a.effectiveWeight, 0.2, "back from an ejection");
    const c = pool.add({ id: "c", name: "c", url: "http://127.0.0.1:9003", weight: 4 });
    assert.equal(c.effectiveWeight, 0.4, "added and available at once");
    const d = pool.add({
      id: "d",
      name: "d",
      url: "http://127.0.0.1:9004",
      servesBeforeCheck: false,
    });
    clock.tick(5_000);
    pool.setHealth("d", true);
    assert.equal(d.effectiveWeight, 0.1, "from its first passing check");
    assert.equal(c.effectiveWeight, 2, "the others carry on");
    pool.setAdminState("b", "maintenance");
    pool.setAdminState("b", "ready");
    assert.equal(b.effectiveWeight, 0.2, "back to ready");
    pool.close();
    assert.equal(clock.countTimers(), 0);
    assert.deepEqual([a, b, c, d].map((u) => u.effectiveWeight), [2, 2, 4, 1]);
  } finally {
    pool.close();
    clock.uninstall();
  }
});

Deno.test("pool: setSlowStart(0) ends ramps in progress; a negative window is refused", () => {
  const clock = FakeTimers.install({ toFake: ["setTimeout", "clearTimeout"] });
  const pool = threeUpstreams();
  try {
    assert.equal(pool.slowStartMs, 0);
    pool.setHealth("a", false);
    pool.setHealth("a", true);
    assert.equal(pool.get("a")?.effectiveWeight, 1, "off by default");
    pool.setSlowStart(30_000);
    pool.setHealth("a", false);
    pool.setHealth("a", true);
    assert.equal(pool.get("a")?.effectiveWeight, 0.1);
    pool.setSlowStart(0);
    assert.equal(pool.get("a")?.effectiveWeight, 1);
    assert.equal(clock.countTimers(), 0);
    assert.throws(() => pool.setSlowStart(-1), RangeError);
    assert.throws(() => new Pool([], { slowStartMs: Number.NaN }), RangeError);
  } finally {
    pool.close();
    clock.uninstall();
  }
});
