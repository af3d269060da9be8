import assert from "node:assert/strict";
import { cells, median, ratio, type RunFigures, runFigures, type RunRecord } from "./figures.ts";
import { SCENARIOS } from "./scenarios.ts";
import type { WrkReport } from "./wrk_output.ts";

const report: WrkReport = {
  requests: 1000,
  durationSeconds: 2,
  rps: 500,
  p50Ms: 1,
  p99Ms: 4,
  readBytesPerSecond: 2 * 1024 * 1024,
  non2xx: 2,
  socketErrors: 1,
};

function figures(rps: number, cpu: number | null = 10): RunFigures {
  return {
    requests: rps,
    rps,
    p50Ms: 1000 / rps,
    p99Ms: 2000 / rps,
    mibPerSec: rps / 100,
    cpuUsPerRequest: cpu,
    peakRssMiB: cpu === null ? null : 50,
    errors: 0,
  };
}

Deno.test("runFigures: CPU per request, RSS in MiB, errors summed", () => {
  const small = SCENARIOS.find((s) => s.id === "small-c50")!;
  const result = runFigures(small, report, { cpuMicros: 30_000, peakRssBytes: 64 * 1024 * 1024 });
  assert.equal(result.cpuUsPerRequest, 30);
  assert.equal(result.peakRssMiB, 64);
  assert.equal(result.mibPerSec, 2);
  assert.equal(result.errors, 3);
  const direct = runFigures(small, report, undefined);
  assert.equal(direct.cpuUsPerRequest, null);
  assert.equal(direct.peakRssMiB, null);
});

Deno.test("runFigures counts the request bodies in the upload scenario", () => {
  const upload = SCENARIOS.find((s) => s.headline === "upload")!;
  assert.equal(runFigures(upload, report, undefined).mibPerSec, 500);
});

Deno.test("median of odd and even counts, null when empty", () => {
  assert.equal(median([3, 1, 2]), 2);
  assert.equal(median([4, 1, 3, 2]), 2.5);
  assert.equal(median([]), null);
  assert.equal(ratio(1, 0), null);
  assert.equal(ratio(null, 2), null);
  assert.equal(ratio(1, 4), 0.25);
});

Deno.test("cells: medians over rounds, ratios to the reference of the same scenario", () => {
  const runs: RunRecord[] = [
    { round: 1, system: "nginx", scenario: "a", figures: figures(1000) },
    { round: 1, system: "sluice", scenario: "a", figures: figures(100) },
    { round: 1, system: "direct", scenario: "a", figures: figures(4000, null) },
    { round: 2, system: "nginx", scenario: "a", figures: figures(3000) },
    { round: 2, system: "sluice", scenario: "a", figures: figures(500) },
    { round: 3, system: "sluice", scenario: "a", figures: figures(300) },
    { round: 1, system: "sluice", scenario: "b", figures: { ...figures(10), errors: 4 } },
  ];
  const result = cells(runs, "nginx");
  assert.deepEqual(result.map((c) => `${c.system}/${c.scenario}`), [
    "nginx/a",
    "sluice/a",
    "direct/a",
    "sluice/b",
  ]);
  const sluice = result[1]!;
  assert.equal(sluice.rounds, 3);
  assert.equal(sluice.median.rps, 300);
  assert.equal(sluice.ratio.rps, 300 / 2000);
  assert.equal(sluice.ratio.cpuUsPerRequest, 1);
  assert.equal(result[0]!.ratio.rps, 1);
  assert.equal(result[2]!.median.cpuUsPerRequest, null);
  assert.equal(result[2]!.ratio.cpuUsPerRequest, null);
  assert.equal(result[3]!.ratio.rps, null, "no nginx cell in scenario b");
  assert.equal(result[3]!.errors, 4);
});
