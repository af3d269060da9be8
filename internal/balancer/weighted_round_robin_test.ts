import assert from "node:assert/strict";
import { Pool } from "../pool/mod.ts";
import { createStrategy } from "./create_strategy.ts";
import type { SelectContext, Strategy } from "./strategy.ts";
import { WeightedRoundRobinStrategy } from "./weighted_round_robin.ts";

const ctx: SelectContext = { request: new Request("http://lb/"), clientIp: "127.0.0.1" };

/** A pool of upstreams named a, b, c… with these weights. */
function pool(...weights: number[]): Pool {
  return new Pool(weights.map((weight, i) => {
    const id = String.fromCharCode(97 + i);
    return { id, name: id, url: `http://${id}:80`, weight };
  }));
}

function picks(strategy: Strategy, p: Pool, n: number): string {
  return Array.from({ length: n }, () => strategy.select(p.available(), ctx)?.id).join(" ");
}

Deno.test("weighted round robin: weights 5,1,1 give nginx's a a b a c a a, cycle after cycle", () => {
  const p = pool(5, 1, 1);
  const wrr = new WeightedRoundRobinStrategy();
  assert.equal(picks(wrr, p, 7), "a a b a c a a");
  assert.equal(picks(wrr, p, 7), "a a b a c a a");
});

Deno.test("weighted round robin: no burst of 5 and exact shares over many cycles", () => {
  const p = pool(5, 1, 1);
  const wrr = createStrategy("weighted_round_robin");
  const sequence = picks(wrr, p, 700).split(" ");
  let run = 0;
  let longest = 0;
  for (const id of sequence) {
    run = id === "a" ? run + 1 : 0;
    longest = Math.max(longest, run);
  }
  // Within a cycle the longest run is 2; across the seam of two cycles (…a a | a a…) it is 4.
  assert.equal(longest, 4);
  assert.deepEqual(
    ["a", "b", "c"].map((id) => sequence.filter((x) => x === id).length),
    [500, 100, 100],
  );
});

Deno.test("weighted round robin: equal weights are a plain rotation", () => {
  const p = pool(1, 1, 1);
  assert.equal(picks(new WeightedRoundRobinStrategy(), p, 6), "a b c a b c");
});

Deno.test("weighted round robin: a weight change applies on the next pick, current weights carry over", () => {
  const p = pool(5, 1, 1);
  const wrr = new WeightedRoundRobinStrategy();
  assert.equal(picks(wrr, p, 3), "a a b"); // current weights now a=1, b=-4, c=3
  p.setWeight("a", 1);
  // As nginx: c starts ahead (3), b behind (-4), so c leads until they even out, then a c b.
  assert.equal(picks(wrr, p, 9), "c a c a c b a c b");
  const sequence = picks(wrr, p, 300).split(" ");
  assert.deepEqual(["a", "b", "c"].map((id) => sequence.filter((x) => x === id).length), [
    100,
    100,
    100,
  ]);
});

Deno.test("weighted round robin: raising a weight at the end of a cycle", () => {
  const p = pool(5, 1, 1);
  const wrr = new WeightedRoundRobinStrategy();
  assert.equal(picks(wrr, p, 7), "a a b a c a a"); // current weights all back at 0
  p.setWeight("b", 5);
  assert.equal(picks(wrr, p, 11), "a b a b c a b a b a b");
});

Deno.test("weighted round robin: an upstream that leaves keeps its place and resumes it", () => {
  const p = pool(5, 1, 1);
  const wrr = new WeightedRoundRobinStrategy();
  assert.equal(picks(wrr, p, 3), "a a b"); // a=1, b=-4, c=3
  p.setHealth("c", false);
  // a and b share the traffic 5:1; c's current weight (3) is frozen meanwhile.
  assert.equal(picks(wrr, p, 6), "a a a a a b"); // back to a=1, b=-4
  p.setHealth("c", true);
  // c resumes with 3, so the cycle continues exactly where it was cut: (a a b) a c a a.
  assert.equal(picks(wrr, p, 4), "a c a a");
  assert.equal(picks(wrr, p, 7), "a a b a c a a");
});

Deno.test("weighted round robin: removed upstreams are forgotten, new ones start from zero", () => {
  const p = pool(1, 1, 1);
  const wrr = new WeightedRoundRobinStrategy();
  assert.equal(picks(wrr, p, 1), "a");
  p.remove("b");
  // c was one pick ahead of a (current weights a=-2, c=1), so it leads once more, then rotation.
  assert.equal(picks(wrr, p, 4), "c c a c");
  p.add({ id: "d", name: "d", url: "http://d:80", weight: 2 });
  const sequence = picks(wrr, p, 400).split(" ");
  assert.deepEqual(["a", "c", "d"].map((id) => sequence.filter((x) => x === id).length), [
    100,
    100,
    200,
  ]);
  assert.ok(!sequence.includes("b"));
});

Deno.test("weighted round robin: alternating between snapshot arrays keeps one state per upstream", () => {
  // The director's retry path may hand over a filtered copy; the sequence must not restart.
  const p = pool(5, 1, 1);
  const wrr = new WeightedRoundRobinStrategy();
  const copy = [...p.available()];
  const sequence = Array.from(
    { length: 14 },
    (_, i) => wrr.select(i % 2 === 0 ? p.available() : copy, ctx)?.id,
  );
  assert.equal(sequence.join(" "), "a a b a c a a a a b a c a a");
});

Deno.test("weighted round robin: none available gives undefined, one is always chosen", () => {
  const wrr = new WeightedRoundRobinStrategy();
  assert.equal(wrr.select([], ctx), undefined);
  const p = pool(3);
  assert.equal(picks(wrr, p, 3), "a a a");
});
