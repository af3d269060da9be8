import assert from "node:assert/strict";
import { Pool, type Upstream } from "../pool/mod.ts";
import { createStrategy } from "./create_strategy.ts";
import { LeastTimeStrategy } from "./least_time.ts";
import type { SelectContext } from "./strategy.ts";

const ctx: SelectContext = { request: new Request("http://lb/"), clientIp: "127.0.0.1" };

function pool(n: number, weights: number[] = []): Pool {
  return new Pool(
    Array.from({ length: n }, (_, i) => ({
      id: `u${i}`,
      name: `u${i}`,
      url: `http://h${i}:80`,
      weight: weights[i] ?? 1,
    })),
  );
}

/** Mulberry32: a small seeded generator, so simulations are exact and repeatable. */
function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

Deno.test("least time: none gives undefined, one gives that one", () => {
  const strategy = new LeastTimeStrategy();
  assert.equal(strategy.select([], ctx), undefined);
  const [only] = pool(1).available();
  only!.latency.observe(5_000, performance.now());
  only!.acquire();
  assert.equal(strategy.select(pool(1).available(), ctx)?.id, "u0");
  assert.equal(createStrategy("least_time").name, "least_time");
});

Deno.test("least time: the cheaper of two distinct candidates, cost = estimate × (in flight + 1) / weight", () => {
  const p = pool(3, [1, 1, 3]);
  const [u0, u1, u2] = p.available() as Upstream[];
  u0!.latency.observe(10, 0);
  u1!.latency.observe(30, 0);
  u2!.latency.observe(10, 0);
  // random() = 0 draws indexes 0 and then 0 again, which must become 1: u0 against u1.
  const first = new LeastTimeStrategy({ random: () => 0, now: () => 0 });
  assert.equal(first.select(p.available(), ctx), u0, "10 against 30");
  u0!.acquire();
  u0!.acquire();
  u0!.acquire();
  assert.equal(first.select(p.available(), ctx), u1, "10 × 4 against 30 × 1");
  // random() = 0.99 draws u2 and u1 (index 1 of the two others).
  const last = new LeastTimeStrategy({ random: () => 0.99, now: () => 0 });
  u2!.acquire();
  u2!.acquire();
  assert.equal(last.select(p.available(), ctx), u2, "10 × 3 / 3 against 30");
});

Deno.test("least time: a new upstream is tried once, then waits for its first answer", () => {
  const p = pool(2);
  const [known, fresh] = p.available() as Upstream[];
  known!.latency.observe(1, 0);
  const strategy = new LeastTimeStrategy({ random: seeded(1), now: () => 10 });
  assert.equal(strategy.select(p.available(), ctx), fresh, "no estimate yet: costs 0");
  fresh!.acquire();
  for (let i = 0; i < 50; i++) {
    known!.acquire();
    assert.equal(strategy.select(p.available(), ctx), known, "penalty until it answers");
  }
  fresh!.latency.observe(3, 10);
  fresh!.release();
  assert.equal(strategy.select(p.available(), ctx), fresh, "3 × 1 against 1 × 51");
});

interface SimUpstream {
  upstream: Upstream;
  latencyMs: number;
}

/**
 * Discrete-event simulation: a request arrives every `gapMs`, goes where the strategy says,
 * holds its upstream for that upstream's current latency, then feeds the estimate.
 */
class Simulation {
  now = 0;
  readonly picks: { at: number; id: string }[] = [];
  readonly #pending: { done: number; sent: number; sim: SimUpstream }[] = [];
  readonly #sims: SimUpstream[];
  readonly #upstreams: readonly Upstream[];
  readonly strategy: LeastTimeStrategy;

  constructor(latencies: number[], seed: number) {
    this.#upstreams = pool(latencies.length).available();
    this.#sims = this.#upstreams.map((upstream, i) => ({ upstream, latencyMs: latencies[i]! }));
    this.strategy = new LeastTimeStrategy({ random: seeded(seed), now: () => this.now });
  }

  setLatency(index: number, ms: number): void {
    this.#sims[index]!.latencyMs = ms;
  }

  run(untilMs: number, gapMs: number): void {
    for (; this.now < untilMs; this.now += gapMs) {
      this.#complete(this.now);
      const upstream = this.strategy.select(this.#upstreams, ctx)!;
      const sim = this.#sims.find((s) => s.upstream === upstream)!;
      upstream.acquire();
      this.#pending.push({ done: this.now + sim.latencyMs, sent: this.now, sim });
      this.picks.push({ at: this.now, id: upstream.id });
    }
  }

  /** Share of requests sent to `id` in [from, to). */
  share(id: string, from: number, to: number): number {
    const window = this.picks.filter((p) => p.at >= from && p.at < to);
    return window.filter((p) => p.id === id).length / window.length;
  }

  count(id: string, from: number, to: number): number {
    return this.picks.filter((p) => p.id === id && p.at >= from && p.at < to).length;
  }

  #complete(until: number): void {
    this.#pending.sort((x, y) => x.done - y.done);
    while (this.#pending.length > 0 && this.#pending[0]!.done <= until) {
      const { done, sent, sim } = this.#pending.shift()!;
      sim.upstream.latency.observe(done - sent, done);
      sim.upstream.release();
    }
  }
}

Deno.test("least time: a slowed upstream's share drops; it gets a fair share again soon after it recovers", () => {
  const sim = new Simulation([2, 2, 2], 42);
  sim.run(2_000, 0.5); // 2,000 requests per second, 2 ms each
  for (const id of ["u0", "u1", "u2"]) {
    const share = sim.share(id, 500, 2_000);
    assert.ok(share > 0.25 && share < 0.42, `${id} share while all are equal: ${share}`);
  }

  sim.setLatency(2, 20);
  sim.run(6_000, 0.5);
  assert.ok(sim.share("u2", 2_100, 6_000) < 0.01, `slow share: ${sim.share("u2", 2_100, 6_000)}`);
  // Only probes reach it: at most one per staleAfterMs (2 s).
  assert.ok(sim.count("u2", 2_100, 6_000) <= 2, `probes: ${sim.count("u2", 2_100, 6_000)}`);
  assert.ok(sim.share("u0", 2_100, 6_000) > 0.4 && sim.share("u1", 2_100, 6_000) > 0.4);

  sim.setLatency(2, 2);
  sim.run(10_000, 0.5);
  // Recovered: the first 250 ms window from which on it has a fair share.
  let recoveredAt = Infinity;
  for (let t = 6_000; t + 250 <= 10_000; t += 50) {
    if (sim.share("u2", t, t + 250) > 0.25) {
      recoveredAt = t;
      break;
    }
  }
  assert.ok(recoveredAt - 6_000 <= 2_100, `recovered ${recoveredAt - 6_000} ms after it got fast`);
  assert.ok(sim.share("u2", recoveredAt + 250, 10_000) > 0.25, "and keeps its share");
});

Deno.test("least time: a latency peak sends traffic away at once", () => {
  const sim = new Simulation([2, 2, 2], 7);
  sim.run(1_000, 0.5);
  sim.setLatency(0, 40);
  sim.run(1_040, 0.5); // the first slow answers arrive after 40 ms
  sim.setLatency(0, 2); // a single 40 ms blip
  sim.run(1_500, 0.5);
  assert.ok(
    sim.share("u0", 1_041, 1_500) < 0.02,
    `share after the peak: ${sim.share("u0", 1_041, 1_500)}`,
  );
});

Deno.test("least time: with light traffic a slow upstream gets at most one request in probeEvery", () => {
  const sim = new Simulation([1, 1, 50], 3);
  sim.run(200_000, 500); // 2 requests per second
  const share = sim.share("u2", 10_000, 200_000);
  assert.ok(share > 0 && share <= 1 / 20, `slow share at 2 rps: ${share}`);
});

Deno.test("least time: decay alone brings an idle upstream back, without probes", () => {
  const p = pool(2);
  const [slow, fast] = p.available() as Upstream[];
  let now = 0;
  slow!.latency.observe(50, now);
  fast!.latency.observe(5, now);
  // probeEvery so large that no probe happens: only the decay toward 0 can bring it back.
  const strategy = new LeastTimeStrategy({ random: seeded(9), now: () => now, probeEvery: 1e9 });
  fast!.acquire(); // one request in flight on the fast one: cost 5 × 2 = 10
  let backAt = -1;
  for (now = 0; now <= 60_000; now += 100) {
    fast!.latency.observe(5, now);
    if (strategy.select(p.available(), ctx) === slow) {
      backAt = now;
      break;
    }
  }
  // 50 · e^(-t/τ) < 10 at t = τ · ln 5 ≈ 16.1 s.
  assert.ok(backAt > 15_000 && backAt < 17_000, `picked again at ${backAt} ms`);
});

Deno.test("least time: probeEvery must be a positive integer", () => {
  assert.throws(() => new LeastTimeStrategy({ probeEvery: 0 }), RangeError);
  assert.throws(() => new LeastTimeStrategy({ probeEvery: 1.5 }), RangeError);
});
