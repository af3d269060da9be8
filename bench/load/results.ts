/**
 * The shape of a run's results (`bench/results/latest.json`).
 *
 * @module
 */

import type { Cell, RunRecord } from "./figures.ts";
import type { WarmupScope } from "./options.ts";
import type { Scenario } from "./scenarios.ts";
import type { Environment } from "./versions.ts";

/** Everything one harness run measured, and how. */
export interface BenchResults {
  /** Shape version of this file. */
  format: 1;
  /** ISO 8601 times. */
  startedAt: string;
  finishedAt: string;
  /** The command line that produced it. */
  command: string;
  settings: {
    rounds: number;
    durationSeconds: number;
    warmupSeconds: number;
    warmupScope: WarmupScope;
    threads: number;
  };
  /** What served the upstreams. */
  upstreams: "nginx" | "deno";
  /** The system ratios are taken against. */
  reference: string;
  environment: Environment;
  scenarios: Pick<Scenario, "id" | "label" | "connections" | "headline">[];
  /** The systems measured, in first-round order. */
  systems: { id: string; label: string; command?: string }[];
  /** Systems not run, and why (not installed, failed to start, exited). */
  skipped: { id: string; reason: string }[];
  /** Runs that gave no figures. */
  failures: { round: number; system: string; scenario: string; error: string }[];
  /** Every measured run. */
  runs: RunRecord[];
  /** Medians per system × scenario, with ratios to the reference. */
  cells: Cell[];
}
