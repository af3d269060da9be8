import assert from "node:assert/strict";
import { Pool } from "../pool/mod.ts";
import { createStrategy } from "./create_strategy.ts";
import { RoundRobinStrategy } from "./round_robin.ts";
import type { SelectContext } from "./strategy.ts";

const ctx: SelectContext = { request: new Request("http://lb/"), clientIp: "127.0.0.1" };

function pool(n: number): Pool {
  return new Pool(
    Array.from({ length: n }, (_, i) => ({ id: `u${i}`, name: `u${i}`, url: `http://h${i}:80` })),
  );
}

Deno.test("round robin: exact rotation in pool order", () => {
  const p = pool(3);
  const rr = new RoundRobinStrategy();
  const picks = Array.from({ length: 7 }, () => rr.select(p.available(), ctx)?.id);
  assert.deepEqual(picks, ["u0", "u1", "u2", "u0", "u1", "u2", "u0"]);
});

Deno.test("round robin: none available gives undefined, not a throw", () => {
  assert.equal(new RoundRobinStrategy().select([], ctx), undefined);
});

Deno.test("round robin: keeps rotating when an upstream leaves and comes back", () => {
  const p = pool(3);
  const rr = createStrategy("round_robin");
  assert.equal(rr.select(p.available(), ctx)?.id, "u0");
  p.setHealth("u1", false);
  assert.deepEqual(
    [rr.select(p.available(), ctx)?.id, rr.select(p.available(), ctx)?.id],
    ["u2", "u0"],
  );
  p.setHealth("u1", true);
  const picks = Array.from({ length: 3 }, () => rr.select(p.available(), ctx)?.id);
  assert.deepEqual(picks.toSorted(), ["u0", "u1", "u2"], "each once per cycle");
});
