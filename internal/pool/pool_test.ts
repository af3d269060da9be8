import assert from "node:assert/strict";
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
