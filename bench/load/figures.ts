/**
 * The figures of the benchmark: per run (one system × scenario × round), then per cell as
 * medians over rounds with ratios to the reference system (nginx) of the same run.
 *
 * @module
 */

import { LARGE_BODY_BYTES, type Scenario } from "./scenarios.ts";
import type { TreeUsage } from "./tree_sampler.ts";
import type { WrkReport } from "./wrk_output.ts";

const MIB = 1024 * 1024;

/** What one measured run gave. */
export interface RunFigures {
  /** Completed requests. */
  requests: number;
  /** Requests per second. */
  rps: number;
  /** Median latency, ms. */
  p50Ms: number;
  /** 99th percentile latency, ms. */
  p99Ms: number;
  /** Payload MiB/s: responses read, or request bodies sent in the upload scenario. */
  mibPerSec: number;
  /** CPU time of the proxy's process tree per request, µs; null when not measured (direct). */
  cpuUsPerRequest: number | null;
  /** Peak resident memory of the proxy's process tree, MiB; null when not measured. */
  peakRssMiB: number | null;
  /** Non-2xx/3xx responses plus socket errors. */
  errors: number;
}

/** The names of the figures that are medians and ratios in a cell. */
export const FIGURE_NAMES = [
  "rps",
  "p50Ms",
  "p99Ms",
  "mibPerSec",
  "cpuUsPerRequest",
  "peakRssMiB",
] as const;

/** One of {@linkcode FIGURE_NAMES}. */
export type FigureName = typeof FIGURE_NAMES[number];

/** One measured run, as kept in the JSON. */
export interface RunRecord {
  round: number;
  system: string;
  scenario: string;
  figures: RunFigures;
}

/** Medians over rounds of one system × scenario, and their ratios to the reference. */
export interface Cell {
  system: string;
  scenario: string;
  /** Rounds measured. */
  rounds: number;
  /** Medians over rounds (null where not measured). */
  median: Record<FigureName, number | null>;
  /** Median divided by the reference system's median in the same scenario (null if absent). */
  ratio: Record<FigureName, number | null>;
  /** Errors summed over rounds. */
  errors: number;
}

/**
 * Turns wrk's report and the proxy's usage into the run's figures.
 * @param usage the proxy tree's usage, or undefined when nothing is in between (direct).
 */
export function runFigures(
  scenario: Scenario,
  report: WrkReport,
  usage: TreeUsage | undefined,
): RunFigures {
  const mibPerSec = scenario.headline === "upload"
    ? report.rps * LARGE_BODY_BYTES / MIB
    : report.readBytesPerSecond / MIB;
  return {
    requests: report.requests,
    rps: report.rps,
    p50Ms: report.p50Ms,
    p99Ms: report.p99Ms,
    mibPerSec,
    cpuUsPerRequest: usage && report.requests > 0 ? usage.cpuMicros / report.requests : null,
    peakRssMiB: usage ? usage.peakRssBytes / MIB : null,
    errors: report.non2xx + report.socketErrors,
  };
}

/**
 * The median of the numbers (mean of the middle two for an even count).
 * @returns null for an empty list.
 */
export function median(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** `value / reference`, or null when either is missing or the reference is 0. */
export function ratio(value: number | null, reference: number | null): number | null {
  if (value === null || reference === null || reference === 0) return null;
  return value / reference;
}

function medians(runs: readonly RunRecord[]): Record<FigureName, number | null> {
  const result = {} as Record<FigureName, number | null>;
  for (const name of FIGURE_NAMES) {
    const values = runs.map((run) => run.figures[name]).filter((v): v is number => v !== null);
    result[name] = median(values);
  }
  return result;
}

/**
 * Groups runs into cells (system × scenario, in first-seen order) with medians over rounds and
 * ratios to the reference system's cell of the same scenario.
 * @param reference system id of the reference, e.g. `nginx`.
 */
export function cells(runs: readonly RunRecord[], reference: string): Cell[] {
  const groups = new Map<string, RunRecord[]>();
  for (const run of runs) {
    const key = `${run.system}\u0000${run.scenario}`;
    const group = groups.get(key);
    if (group) group.push(run);
    else groups.set(key, [run]);
  }
  const partial = [...groups.values()].map((group) => ({
    system: group[0]!.system,
    scenario: group[0]!.scenario,
    rounds: group.length,
    median: medians(group),
    errors: group.reduce((sum, run) => sum + run.figures.errors, 0),
  }));
  return partial.map((cell) => {
    const base = partial.find((other) =>
      other.system === reference && other.scenario === cell.scenario
    );
    const ratios = {} as Record<FigureName, number | null>;
    for (const name of FIGURE_NAMES) {
      ratios[name] = ratio(cell.median[name], base?.median[name] ?? null);
    }
    return { ...cell, ratio: ratios };
  });
}
