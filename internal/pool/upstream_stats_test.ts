import assert from "node:assert/strict";
import { UpstreamStats } from "./upstream_stats.ts";

function clock(start = 1_000_000_000) {
  let now = start;
  return { now: () => now, advance: (ms: number) => now += ms };
}

Deno.test("upstream stats: rate over the last 10 s, percentiles within one 25% bucket", () => {
  const c = clock();
  const stats = new UpstreamStats({ now: c.now });
  for (let i = 1; i <= 100; i++) stats.record(i, false); // 1..100 ms
  const s = stats.snapshot();
  assert.equal(s.requests, 100);
  assert.equal(s.rps, 10);
  assert.ok(s.p50Ms! >= 50 && s.p50Ms! <= 50 * 1.25, `p50 ${s.p50Ms}`);
  assert.ok(s.p99Ms! >= 99 && s.p99Ms! <= 99 * 1.25, `p99 ${s.p99Ms}`);
  assert.equal(s.errorRate, 0);
});

Deno.test("upstream stats: errors, and old seconds leave the window", () => {
  const c = clock();
  const stats = new UpstreamStats({ now: c.now, windowSeconds: 60 });
  stats.record(5, true);
  stats.record(5, false);
  assert.equal(stats.snapshot().errorRate, 0.5);
  c.advance(11_000);
  assert.equal(stats.snapshot().rps, 0, "rate only counts the last 10 s");
  assert.equal(stats.snapshot().requests, 2, "the 60 s window still has them");
  c.advance(50_000);
  const s = stats.snapshot();
  assert.deepEqual(s, { rps: 0, p50Ms: null, p99Ms: null, errorRate: 0, requests: 0 });
  stats.record(2000, false);
  assert.ok(stats.snapshot().p99Ms! >= 2000);
  c.advance(3_600_000); // a long idle gap expires everything at once
  assert.equal(stats.snapshot().requests, 0);
});
