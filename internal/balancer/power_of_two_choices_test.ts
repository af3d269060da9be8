import assert from "node:assert/strict";
import { Pool } from "../pool/mod.ts";
import { createStrategy } from "./create_strategy.ts";
import { PowerOfTwoChoicesStrategy } from "./power_of_two_choices.ts";
import type { SelectContext } from "./strategy.ts";

const ctx: SelectContext = { request: new Request("http://lb/"), clientIp: "127.0.0.1" };

/** A pool of upstreams named a, b, c… given as [weight, in-flight] pairs. */
function pool(...upstreams: [weight: number, inFlight: number][]): Pool {
  const p = new Pool(upstreams.map(([weight], i) => {
    const id = String.fromCharCode(97 + i);
    return { id, name: id, url: `http://${id}:80`, weight };
  }));
  p.list().forEach((u, i) => u.inFlight = upstreams[i]![1]);
  return p;
}

/** mulberry32 (Tommy Ettinger): a tiny seeded PRNG so distribution tests are exact. */
function mulberry32(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A random source that replays `draws`, then fails the test if asked for more. */
function scripted(...draws: number[]): () => number {
  return () => {
    const next = draws.shift();
    if (next === undefined) throw new Error("more random draws than expected");
    return next;
  };
}

function tally(strategy: PowerOfTwoChoicesStrategy, p: Pool, n: number): Record<string, number> {
  const result: Record<string, number> = {};
  for (let i = 0; i < n; i++) {
    const id = String(strategy.select(p.available(), ctx)?.id);
    result[id] = (result[id] ?? 0) + 1;
  }
  return result;
}

Deno.test("power of two choices: none available gives undefined, not a throw", () => {
  assert.equal(new PowerOfTwoChoicesStrategy().select([], ctx), undefined);
});

Deno.test("power of two choices: a single upstream is returned without drawing", () => {
  const p2c = new PowerOfTwoChoicesStrategy({ random: scripted() });
  assert.equal(p2c.select(pool([1, 9]).available(), ctx)?.id, "a");
});

Deno.test("power of two choices: the two candidates are distinct", () => {
  const p = pool([1, 0], [1, 5]);
  // Both draws land on index 0 of their range: the second is shifted past the first, so a
  // (idle) is compared with b, not with itself, and the result is the same either way round.
  assert.equal(
    createStrategy("power_of_two_choices", { random: scripted(0, 0) })
      .select(p.available(), ctx)?.id,
    "a",
  );
  assert.equal(
    new PowerOfTwoChoicesStrategy({ random: scripted(0.9, 0.9) })
      .select(p.available(), ctx)?.id,
    "a",
  );
  const q = pool([1, 5], [1, 0]);
  assert.equal(
    new PowerOfTwoChoicesStrategy({ random: scripted(0, 0) })
      .select(q.available(), ctx)?.id,
    "b",
  );
});

Deno.test("power of two choices: a tie goes to the first candidate drawn", () => {
  const p = pool([1, 2], [1, 2], [1, 2]);
  const p2c = new PowerOfTwoChoicesStrategy({ random: scripted(0.7, 0.1, 0.1, 0.7) });
  assert.equal(p2c.select(p.available(), ctx)?.id, "c");
  assert.equal(p2c.select(p.available(), ctx)?.id, "a");
});

Deno.test("power of two choices: never the most loaded of 3 when loads differ strongly", () => {
  const p = pool([1, 0], [1, 10], [1, 100]);
  const counts = tally(new PowerOfTwoChoicesStrategy({ random: mulberry32(1) }), p, 30_000);
  assert.equal(counts.c, undefined, "the most loaded upstream must never win a pair");
  // a wins every pair it is in (2 of 3 pairs), b only the pair {b, c}.
  assert.ok(counts.a! > 19_000 && counts.a! < 21_000, `a: ${counts.a}`);
  assert.ok(counts.b! > 9_000 && counts.b! < 11_000, `b: ${counts.b}`);
});

Deno.test("power of two choices: load is weight-aware, counting the request being sent", () => {
  // Both idle: the heavier one wins, whichever is drawn first.
  for (const draws of [[0, 0], [0.9, 0.9]]) {
    const p2c = new PowerOfTwoChoicesStrategy({ random: scripted(...draws) });
    assert.equal(p2c.select(pool([1, 0], [3, 0]).available(), ctx)?.id, "b");
  }
  // Weight 3 with 1 in flight ((1+1)/3) is less loaded than weight 1 idle ((0+1)/1).
  const p2c = new PowerOfTwoChoicesStrategy({ random: scripted(0, 0) });
  assert.equal(p2c.select(pool([1, 0], [3, 1]).available(), ctx)?.id, "b");
});

Deno.test("power of two choices: equal loads spread evenly (each of 4 within ±10%)", () => {
  const p = pool([1, 0], [1, 0], [1, 0], [1, 0]);
  const counts = tally(new PowerOfTwoChoicesStrategy({ random: mulberry32(42) }), p, 40_000);
  assert.deepEqual(Object.keys(counts).toSorted(), ["a", "b", "c", "d"]);
  for (const [id, n] of Object.entries(counts)) {
    assert.ok(n >= 9_000 && n <= 11_000, `${id} picked ${n} times, expected 10000 ± 10%`);
  }
});

Deno.test("power of two choices: requests that stay in flight even out the load", () => {
  const p = pool([1, 0], [1, 0], [1, 0], [1, 0], [1, 0]);
  const p2c = new PowerOfTwoChoicesStrategy({ random: mulberry32(3) });
  for (let i = 0; i < 1_000; i++) p2c.select(p.available(), ctx)!.acquire();
  const loads = p.list().map((u) => u.inFlight);
  // Random alone spreads 1000 over 5 with a gap of ~50; two choices keep it within a few.
  assert.ok(Math.max(...loads) - Math.min(...loads) <= 4, `loads ${loads}`);
});
