import assert from "node:assert/strict";
import { soakMarkdown, type SoakSegment, summariseSoak } from "./soak_report.ts";

const MIB = 1024 * 1024;

function segment(requests: number, rssMib: number): SoakSegment {
  return { requests, seconds: 5, peakRssBytes: rssMib * MIB, cpuMicros: requests * 50, errors: 0 };
}

Deno.test("soak summary: quarters by request count, spread of their medians", () => {
  const segments = [100, 100, 104, 104, 100, 108, 106, 106].map((rss) => segment(1000, rss));
  const summary = summariseSoak(segments);
  assert.equal(summary.requests, 8000);
  assert.deepEqual(summary.quarters.map((q) => q.requests), [2000, 2000, 2000, 2000]);
  assert.deepEqual(summary.quarters.map((q) => q.medianPeakRssBytes / MIB), [100, 104, 104, 106]);
  assert.ok(Math.abs(summary.spread - 0.06) < 1e-9);
  assert.equal(summary.flat, true);
  assert.equal(summary.cpuMicrosPerRequest, 50);
  assert.equal(summary.peakRssBytes, 108 * MIB);
});

Deno.test("soak summary: growing memory is not flat", () => {
  const segments = [100, 110, 120, 130, 140, 150, 160, 170].map((rss) => segment(1000, rss));
  const summary = summariseSoak(segments);
  assert.equal(summary.flat, false);
  assert.match(soakMarkdown("Sluice", summary), /NOT flat/);
});

Deno.test("soak summary: uneven segments still fill four quarters; fewer than 4 refused", () => {
  const summary = summariseSoak([
    segment(5000, 100),
    segment(100, 101),
    segment(100, 102),
    segment(100, 103),
  ]);
  assert.equal(summary.quarters.length, 4);
  assert.ok(summary.quarters.every((quarter) => quarter.requests > 0));
  assert.throws(() => summariseSoak([segment(1, 1), segment(1, 1), segment(1, 1)]), RangeError);
});
