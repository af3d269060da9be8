/**
 * Micro benchmarks of `Strategy.select()` for every strategy `createStrategy` knows, with 3, 100
 * and 1000 available upstreams of mixed weights (1–3) and mixed in-flight counts (0–10), and a
 * request that carries a client IP, a header and a cookie so hashing strategies have a key.
 * Strategies are found by trying every name in `STRATEGY_NAMES`: names `createStrategy` does not
 * know yet are skipped, new ones are measured as soon as they are registered.
 *
 * Targets (issue 4): every strategy under 1 µs per select at 100 upstreams; round robin, power
 * of two choices and weighted round robin allocation-free.
 *
 * Run: `deno bench bench/strategies_bench.ts`
 *
 * ## Allocation check
 *
 * Before the benchmarks run, each strategy makes 1,000,000 selects per pool size and the bytes
 * it allocates per select are printed (method: `bench/_alloc.ts`); a strategy in
 * {@linkcode ALLOCATION_FREE} that allocates fails the run. The same method showed that
 * `Math.random()` allocates a 16-byte heap number per call even in optimised code, which is why
 * the randomised strategies default to `createRandom()` from `internal/balancer/random.ts`.
 *
 * @module
 */

import { assertNotBlind, bytesPerCall as bytesPer, keep } from "./_alloc.ts";
import { createStrategy, type Strategy } from "../internal/balancer/mod.ts";
import { STRATEGY_NAMES, type StrategyName } from "../internal/config/types.ts";
import { Pool, type Upstream } from "../internal/pool/mod.ts";

/** Strategies that must not allocate per select; the run fails if one does. */
const ALLOCATION_FREE: readonly StrategyName[] = [
  "round_robin",
  "random",
  "weighted_round_robin",
  "least_connections",
  "power_of_two_choices",
];
const SIZES = [3, 100, 1000] as const;
const WARM_UP = 100_000;
const CHUNK = 10_000;
const CHUNKS = 100;

const ctx = {
  request: new Request("http://shop.example/api/v1/items/42?expand=price", {
    headers: {
      "user-agent": "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko)",
      "x-user-id": "user-8812",
      "cookie": "session=9b2c6a0e2f4d4c1b; theme=dark",
    },
  }),
  clientIp: "203.0.113.9",
};

/** Available upstreams with weights 1–3 and in-flight counts 0–10, varied but reproducible. */
function snapshot(n: number): readonly Upstream[] {
  const pool = new Pool(Array.from({ length: n }, (_, i) => ({
    id: `u${i}`,
    name: `10.0.${i >> 8}.${i & 255}:8080`,
    url: `http://10.0.${i >> 8}.${i & 255}:8080`,
    weight: 1 + (i % 3),
  })));
  pool.list().forEach((upstream, i) => upstream.inFlight = (i * 7) % 11);
  return pool.available();
}

function tryCreate(name: StrategyName): Strategy | undefined {
  try {
    return createStrategy(name);
  } catch (error) {
    if (error instanceof RangeError) return undefined; // not registered yet
    throw error;
  }
}

/** Bytes allocated per call of `fn`: 100 chunks of 10,000 after 100,000 warm-up calls. */
function bytesPerCall(fn: () => void): number {
  return bytesPer(fn, { warmUp: WARM_UP, chunk: CHUNK, chunks: CHUNKS });
}

const snapshots = SIZES.map(snapshot);
const strategies = STRATEGY_NAMES.flatMap((name) => {
  // One strategy per pool size: strategies keep state per snapshot.
  const perSize = SIZES.map(() => tryCreate(name));
  return perSize.every((s) => s !== undefined) ? [{ name, perSize }] : [];
});

// Allocation check.
const control = assertNotBlind();
const rows: string[] = [];
const failures: string[] = [];
for (const { name, perSize } of strategies) {
  const cells = SIZES.map((n, s) => {
    const strategy = perSize[s]!;
    const upstreams = snapshots[s]!;
    const bytes = bytesPerCall(() => keep(strategy.select(upstreams, ctx)));
    if (ALLOCATION_FREE.includes(name) && bytes >= 1) failures.push(`${name} at ${n}`);
    return bytes.toFixed(2).padStart(8);
  });
  rows.push(`${name.padEnd(22)}${cells.join("")}`);
}
// deno-lint-ignore no-console
console.log(
  `Bytes allocated per select (median of ${CHUNKS} chunks of ${CHUNK}; control object: ${control} B)\n` +
    `${"strategy".padEnd(22)}${SIZES.map((n) => String(n).padStart(8)).join("")}\n` +
    rows.join("\n"),
);
if (failures.length > 0) {
  throw new Error(`Allocation-free strategies allocated per select: ${failures.join(", ")}`);
}

for (const { name, perSize } of strategies) {
  SIZES.forEach((n, s) => {
    const strategy = perSize[s]!;
    const upstreams = snapshots[s]!;
    Deno.bench(`${name}, ${n} upstreams`, {
      group: `${n} upstreams`,
      baseline: name === "round_robin",
    }, () => {
      strategy.select(upstreams, ctx);
    });
  });
}
