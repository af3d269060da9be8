import assert from "node:assert/strict";
import { Pool } from "../pool/mod.ts";
import { createStrategy } from "./create_strategy.ts";
import { LeastConnectionsStrategy } from "./least_connections.ts";
import type { SelectContext, Strategy } from "./strategy.ts";

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

function picks(strategy: Strategy, p: Pool, n: number): string {
  return Array.from({ length: n }, () => strategy.select(p.available(), ctx)?.id).join(" ");
}

Deno.test("least connections: none available gives undefined, not a throw", () => {
  assert.equal(new LeastConnectionsStrategy().select([], ctx), undefined);
});

Deno.test("least connections: picks the upstream with the fewest requests in flight", () => {
  const lc = createStrategy("least_connections");
  assert.equal(picks(lc, pool([1, 3], [1, 1], [1, 2]), 3), "b b b");
  assert.equal(picks(lc, pool([1, 3], [1, 2], [1, 0]), 1), "c");
});

Deno.test("least connections: load is in-flight per weight", () => {
  const lc = new LeastConnectionsStrategy();
  // 2 in flight at weight 3 (0.67 each) is less loaded than 1 at weight 1.
  assert.equal(picks(lc, pool([1, 1], [3, 2]), 1), "b");
  // 4 in flight at weight 2 is more loaded than 1 at weight 1.
  assert.equal(picks(lc, pool([2, 4], [1, 1]), 1), "b");
});

Deno.test("least connections: weight 2 with 2 in flight ties weight 1 with 1, WRR settles it", () => {
  const lc = new LeastConnectionsStrategy();
  const p = pool([1, 3], [2, 2], [1, 1]);
  // b and c tie at 1 per weight; a (3) is never picked; the tie goes 2:1 by weight, smoothly.
  assert.equal(picks(lc, p, 6), "b c b b c b");
});

Deno.test("least connections: with all idle, repeated picks spread evenly, not to the first", () => {
  const lc = new LeastConnectionsStrategy();
  const p = pool([1, 0], [1, 0], [1, 0], [1, 0]);
  assert.equal(picks(lc, p, 8), "a b c d a b c d");
  const sequence = picks(lc, p, 400).split(" ");
  assert.deepEqual(
    ["a", "b", "c", "d"].map((id) => sequence.filter((x) => x === id).length),
    [100, 100, 100, 100],
  );
});

Deno.test("least connections: with all idle, weights still decide the shares", () => {
  const lc = new LeastConnectionsStrategy();
  const p = pool([5, 0], [1, 0], [1, 0]);
  assert.equal(picks(lc, p, 7), "a a b a c a a");
});

Deno.test("least connections: ties after a busier first upstream rotate among themselves", () => {
  const lc = new LeastConnectionsStrategy();
  const p = pool([1, 5], [1, 2], [1, 2], [1, 4], [1, 2]);
  assert.equal(picks(lc, p, 6), "b c e b c e");
});

Deno.test("least connections: requests that stay in flight spread across the pool", () => {
  const lc = new LeastConnectionsStrategy();
  const p = pool([1, 0], [2, 0], [1, 0]);
  for (let i = 0; i < 40; i++) lc.select(p.available(), ctx)!.acquire();
  assert.deepEqual(p.list().map((u) => u.inFlight), [10, 20, 10]);
  // Some finish on b and c: new requests go to whoever is least loaded for its weight.
  const [a, b, c] = p.list();
  for (let i = 0; i < 10; i++) (b!.release(), c!.release());
  for (let i = 0; i < 10; i++) lc.select(p.available(), ctx)!.acquire();
  // a (10 per weight) gets none; c catches up to b's 5 per weight, then they share by weight.
  assert.equal(a!.inFlight, 10);
  assert.equal(b!.inFlight + c!.inFlight, 20);
  assert.ok(Math.abs(b!.inFlight / 2 - c!.inFlight) <= 1, `b=${b!.inFlight} c=${c!.inFlight}`);
});
