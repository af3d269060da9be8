/**
 * The measuring loop: rounds × scenarios × systems, the systems' order rotated each round so
 * that drift (other load, heat, a growing heap) hits every system alike.
 *
 * @module
 */

import { runFigures, type RunRecord } from "./figures.ts";
import type { ProcessGroups, Spawned } from "./process_groups.ts";
import type { WarmupScope } from "./options.ts";
import type { Scenario } from "./scenarios.ts";
import { TreeSampler } from "./tree_sampler.ts";
import { runWrk } from "./wrk.ts";

/** A system that is serving. */
export interface RunningSystem {
  id: string;
  label: string;
  port: number;
  /** Its process; absent for direct. */
  spawned?: Spawned;
  /** How it was started (the binary's base name, then its arguments); absent for direct. */
  command?: string;
  /** Set once its process has exited: it is not run any more. */
  exited: boolean;
}

/** What the loop needs. */
export interface RoundsOptions {
  systems: readonly RunningSystem[];
  scenarios: readonly Scenario[];
  rounds: number;
  durationSeconds: number;
  warmupSeconds: number;
  warmupScope: WarmupScope;
  threads: number;
  wrk: string;
  groups: ProcessGroups;
  /** Directory for wrk's output files. */
  dir: string;
  signal: AbortSignal;
  /** Progress lines. */
  log: (line: string) => void;
}

/** What the loop measured. */
export interface RoundsResult {
  runs: RunRecord[];
  failures: { round: number; system: string; scenario: string; error: string }[];
}

/**
 * The list rotated left by `by` places.
 * @example rotate([1, 2, 3], 1) // [2, 3, 1]
 */
export function rotate<T>(list: readonly T[], by: number): T[] {
  if (list.length === 0) return [];
  const shift = ((by % list.length) + list.length) % list.length;
  return [...list.slice(shift), ...list.slice(0, shift)];
}

function format(value: number | null, digits = 0): string {
  return value === null ? "-" : value.toFixed(digits);
}

/**
 * Runs every round. A run that fails is recorded and the loop goes on; a system whose process
 * has exited is skipped from then on.
 * @throws {DOMException} AbortError when the signal aborts (Ctrl-C).
 */
export async function runRounds(options: RoundsOptions): Promise<RoundsResult> {
  const runs: RunRecord[] = [];
  const failures: RoundsResult["failures"] = [];
  for (const system of options.systems) {
    system.spawned?.done.then(() => system.exited = true);
  }
  for (let round = 1; round <= options.rounds; round++) {
    for (const scenario of options.scenarios) {
      for (const system of rotate(options.systems, round - 1)) {
        options.signal.throwIfAborted();
        if (system.exited) continue;
        const base = {
          wrk: options.wrk,
          port: system.port,
          scenario,
          threads: options.threads,
          outputFile: `${options.dir}/wrk-${system.id}-${scenario.id}.txt`,
        };
        try {
          const warm = round === 1 && options.warmupSeconds > 0 &&
            (options.warmupScope === "every-scenario" || scenario === options.scenarios[0]);
          if (warm) {
            await runWrk(options.groups, { ...base, durationSeconds: options.warmupSeconds });
          }
          const sampler = system.spawned ? new TreeSampler(system.spawned.pid) : undefined;
          sampler?.start();
          let usage;
          let report;
          try {
            report = await runWrk(options.groups, {
              ...base,
              durationSeconds: options.durationSeconds,
            });
          } finally {
            usage = sampler?.stop();
          }
          options.signal.throwIfAborted();
          if (system.exited) throw new Error("the process exited during the run");
          const figures = runFigures(scenario, report, usage);
          runs.push({ round, system: system.id, scenario: scenario.id, figures });
          options.log(
            `round ${round}/${options.rounds} ${scenario.id.padEnd(11)} ${system.id.padEnd(24)} ` +
              `${format(figures.rps).padStart(7)} rps  p99 ${format(figures.p99Ms, 1)} ms  ` +
              `${format(figures.mibPerSec)} MiB/s  cpu ${
                format(figures.cpuUsPerRequest)
              } µs/req  ` +
              `rss ${format(figures.peakRssMiB)} MiB` +
              (figures.errors > 0 ? `  errors ${figures.errors}` : ""),
          );
        } catch (error) {
          options.signal.throwIfAborted();
          const message = error instanceof Error ? error.message : String(error);
          failures.push({ round, system: system.id, scenario: scenario.id, error: message });
          options.log(`round ${round} ${scenario.id} ${system.id}: FAILED ${message}`);
        }
      }
    }
  }
  return { runs, failures };
}
