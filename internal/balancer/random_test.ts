import assert from "node:assert/strict";
import { Pool } from "../pool/mod.ts";
import { createStrategy } from "./create_strategy.ts";
import { createRandom, randomIndex, RandomStrategy } from "./random.ts";
import type { SelectContext } from "./strategy.ts";

const ctx: SelectContext = { request: new Request("http://lb/"), clientIp: "127.0.0.1" };

function pool(n: number): Pool {
  return new Pool(
    Array.from({ length: n }, (_, i) => ({ id: `u${i}`, name: `u${i}`, url: `http://h${i}:80` })),
  );
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

function counts(picks: (string | undefined)[]): Record<string, number> {
  const result: Record<string, number> = {};
  for (const id of picks) result[String(id)] = (result[String(id)] ?? 0) + 1;
  return result;
}

Deno.test("random: none available gives undefined, not a throw", () => {
  assert.equal(new RandomStrategy().select([], ctx), undefined);
});

Deno.test("random: each of 4 upstreams within ±10% of a fair share over 40k picks", () => {
  const p = pool(4);
  const strategy = new RandomStrategy({ random: mulberry32(42) });
  const tally = counts(
    Array.from({ length: 40_000 }, () => strategy.select(p.available(), ctx)?.id),
  );
  assert.deepEqual(Object.keys(tally).toSorted(), ["u0", "u1", "u2", "u3"]);
  for (const [id, n] of Object.entries(tally)) {
    assert.ok(n >= 9_000 && n <= 11_000, `${id} picked ${n} times, expected 10000 ± 10%`);
  }
});

Deno.test("random: the injected source decides, through createStrategy too", () => {
  const p = pool(4);
  const draws = [0, 0.25, 0.5, 0.999];
  const strategy = createStrategy("random", { random: () => draws.shift() ?? 0 });
  const picks = Array.from({ length: 4 }, () => strategy.select(p.available(), ctx)?.id);
  assert.deepEqual(picks, ["u0", "u1", "u2", "u3"]);
});

Deno.test("random: a source that breaks its [0, 1) contract still yields an upstream", () => {
  const p = pool(3);
  for (const bad of [1, 1.5, -0.1, Number.NaN]) {
    const picked = new RandomStrategy({ random: () => bad }).select(p.available(), ctx);
    assert.ok(picked !== undefined, `random() = ${bad}`);
  }
  assert.equal(randomIndex(1, 3), 2);
  assert.equal(randomIndex(-0.5, 3), 0);
  assert.equal(randomIndex(0.999_999_999, 3), 2);
});

Deno.test("random: only the snapshot given is chosen from", () => {
  const p = pool(3);
  p.setHealth("u1", false);
  const strategy = new RandomStrategy({ random: mulberry32(7) });
  const tally = counts(
    Array.from({ length: 1_000 }, () => strategy.select(p.available(), ctx)?.id),
  );
  assert.deepEqual(Object.keys(tally).toSorted(), ["u0", "u2"]);
});

Deno.test("createRandom: seeded sequences repeat, stay in [0, 1) and are uniform", () => {
  const a = createRandom([1, 2, 3, 4]);
  const b = createRandom([1, 2, 3, 4]);
  const c = createRandom([1, 2, 3, 5]);
  const first = Array.from({ length: 8 }, a);
  assert.deepEqual(Array.from({ length: 8 }, b), first);
  assert.notDeepEqual(Array.from({ length: 8 }, c), first);
  const buckets = new Array<number>(10).fill(0);
  for (let i = 0; i < 100_000; i++) {
    const x = a();
    assert.ok(x >= 0 && x < 1, `out of range: ${x}`);
    buckets[Math.floor(x * 10)]!++;
  }
  for (const n of buckets) assert.ok(n > 9_500 && n < 10_500, `bucket of ${n}, expected 10000`);
});

Deno.test("createRandom: unseeded generators differ", () => {
  const a = createRandom();
  const b = createRandom();
  assert.notDeepEqual(Array.from({ length: 4 }, a), Array.from({ length: 4 }, b));
});
