import assert from "node:assert/strict";
import { PeakEwma } from "./peak_ewma.ts";

const TAU = 10_000;

function near(actual: number, expected: number, message?: string): void {
  assert.ok(Math.abs(actual - expected) < 1e-9, `${message ?? ""} ${actual} != ${expected}`);
}

Deno.test("peak ewma: 0 and stale before the first observation, which sets it", () => {
  const latency = new PeakEwma();
  assert.equal(latency.estimate(0), 0);
  assert.equal(latency.isStale(0), true);
  assert.equal(latency.observedAt, -Infinity);
  latency.observe(7, 100);
  assert.equal(latency.estimate(100), 7);
  assert.equal(latency.isStale(100), false);
  assert.equal(latency.observedAt, 100);
});

Deno.test("peak ewma: a peak replaces the estimate at once, a lower value barely moves it", () => {
  const latency = new PeakEwma();
  latency.observe(5, 0);
  latency.observe(80, 10);
  assert.equal(latency.estimate(10), 80, "jumps to the peak");
  latency.observe(5, 20);
  // 10 ms of a 10 s time constant: weight 1 - e^-0.001 for the new value.
  const w = Math.exp(-10 / TAU);
  near(latency.estimate(20), 80 * w * w + 5 * (1 - w));
  assert.ok(latency.estimate(20) > 79.8);
});

Deno.test("peak ewma: a lower value's weight grows with the time it covers", () => {
  const latency = new PeakEwma();
  latency.observe(100, 0);
  latency.observe(10, 1_000);
  const w = Math.exp(-1_000 / TAU);
  const expected = 100 * w * w + 10 * (1 - w);
  near(latency.estimate(1_000), expected);
  assert.ok(expected < 100 * w, "lower than the decayed value it replaced: moves toward 10");
  assert.ok(expected > 10);
});

Deno.test("peak ewma: decays toward 0 with τ while nothing is observed; reads change nothing", () => {
  const latency = new PeakEwma();
  latency.observe(50, 0);
  const reads = [0, 1_000, 5_000, TAU, 2 * TAU].map((t) => latency.estimate(t));
  near(reads[3]!, 50 / Math.E, "e-fold after τ");
  near(reads[4]!, 50 / Math.E ** 2);
  for (let i = 1; i < reads.length; i++) assert.ok(reads[i]! < reads[i - 1]!);
  // Same observations, no reads in between: same estimate (the read is pure).
  const unread = new PeakEwma();
  unread.observe(50, 0);
  latency.observe(20, 1_500);
  unread.observe(20, 1_500);
  assert.equal(latency.estimate(3_000), unread.estimate(3_000));
});

Deno.test("peak ewma: a peak nobody reaches for staleAfterMs goes stale; the next value replaces it", () => {
  const latency = new PeakEwma({ staleAfterMs: 2_000 });
  latency.observe(50, 0);
  latency.observe(2, 500);
  latency.observe(2, 1_000);
  assert.ok(latency.estimate(1_000) > 40, "averaged in: the 50 ms peak still dominates");
  assert.equal(latency.isStale(1_999), false);
  assert.equal(latency.isStale(2_000), true);
  latency.observe(2, 2_000);
  assert.equal(latency.estimate(2_000), 2, "learned again from one observation");
  assert.equal(latency.isStale(2_000), false);
});

Deno.test("peak ewma: values at the estimate keep it fresh", () => {
  const latency = new PeakEwma({ staleAfterMs: 2_000 });
  for (let t = 0; t <= 10_000; t += 100) latency.observe(t % 1_000 === 0 ? 12 : 10, t);
  assert.equal(latency.isStale(10_000), false);
  assert.ok(latency.estimate(10_000) >= 10);
});

Deno.test("peak ewma: odd inputs", () => {
  const latency = new PeakEwma();
  latency.observe(-3, 0);
  assert.equal(latency.estimate(0), 0);
  latency.observe(Number.NaN, 1);
  assert.equal(latency.estimate(1), 0);
  latency.observe(10, 100);
  assert.equal(latency.estimate(50), 10, "a clock read before the observation: no decay");
  assert.throws(() => new PeakEwma({ decayMs: 0 }), RangeError);
  assert.throws(() => new PeakEwma({ staleAfterMs: -1 }), RangeError);
});
