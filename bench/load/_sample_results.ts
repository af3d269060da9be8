/**
 * A small results object for the report tests (private to this folder).
 *
 * @module
 */

import { cells, type RunFigures, type RunRecord } from "./figures.ts";
import type { BenchResults } from "./results.ts";

function figures(rps: number, cpu: number | null): RunFigures {
  return {
    requests: rps * 2,
    rps,
    p50Ms: 1,
    p99Ms: 100_000 / rps,
    mibPerSec: rps / 1000,
    cpuUsPerRequest: cpu,
    peakRssMiB: cpu === null ? null : cpu * 2,
    errors: 0,
  };
}

const runs: RunRecord[] = [
  { round: 1, system: "direct", scenario: "small-c50", figures: figures(40_000, null) },
  { round: 1, system: "sluice", scenario: "small-c50", figures: figures(5_000, 200) },
  { round: 1, system: "nginx", scenario: "small-c50", figures: figures(20_000, 20) },
  { round: 1, system: "sluice", scenario: "download-1m", figures: figures(500, 3000) },
  { round: 1, system: "nginx", scenario: "download-1m", figures: figures(1000, 1000) },
];

/** Results of one round, two scenarios, three systems, Sluice with a <label> to escape. */
export const SAMPLE_RESULTS: BenchResults = {
  format: 1,
  startedAt: "2026-12-03T15:00:00.000Z",
  finishedAt: "2026-12-03T15:01:00.000Z",
  command: "deno task bench:load --quick",
  settings: {
    rounds: 1,
    durationSeconds: 1,
    warmupSeconds: 0,
    warmupScope: "every-scenario",
    threads: 1,
  },
  upstreams: "nginx",
  reference: "nginx",
  environment: {
    cores: 2,
    cpu: "Test CPU",
    loadAverage: 1.5,
    kernel: "6.1",
    commit: "abc1234",
    versions: {
      deno: "deno 2.9.6",
      wrk: "wrk 4.1.0",
      nginx: "nginx/1.22.1",
      haproxy: undefined,
      caddy: undefined,
    },
  },
  scenarios: [
    { id: "small-c50", label: "small, 50 conns", connections: 50, headline: "rps" },
    { id: "download-1m", label: "1 MiB download", connections: 50, headline: "download" },
  ],
  systems: [
    { id: "direct", label: "direct" },
    { id: "sluice", label: "Sluice <defaults> & co" },
    { id: "nginx", label: "nginx", command: "nginx -c /tmp/x/nginx-proxy.conf" },
  ],
  skipped: [{ id: "haproxy", reason: "haproxy is not installed" }],
  failures: [],
  runs,
  cells: cells(runs, "nginx"),
};
