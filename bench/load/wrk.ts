/**
 * Running wrk for one scenario against one system, in its own process group (so Ctrl-C stops
 * it with the rest).
 *
 * @module
 */

import type { ProcessGroups } from "./process_groups.ts";
import type { Scenario } from "./scenarios.ts";
import { parseWrkOutput, type WrkReport } from "./wrk_output.ts";

/** How wrk is run. */
export interface WrkRun {
  /** The wrk binary. */
  wrk: string;
  /** Port of the system under load, 127.0.0.1. */
  port: number;
  scenario: Scenario;
  durationSeconds: number;
  threads: number;
  /** Where wrk's output is kept. */
  outputFile: string;
}

/**
 * wrk's arguments for a scenario (`--latency` for the percentiles).
 * @returns the argument list, URL last.
 */
export function wrkArgs(run: Omit<WrkRun, "wrk" | "outputFile">): string[] {
  const { scenario } = run;
  const args = [
    "-t",
    String(run.threads),
    "-c",
    String(scenario.connections),
    "-d",
    `${run.durationSeconds}s`,
    "--timeout",
    "10s",
    "--latency",
  ];
  for (const header of scenario.headers) args.push("-H", header);
  if (scenario.script) {
    args.push("-s", new URL(`./${scenario.script}`, import.meta.url).pathname);
  }
  args.push(`http://127.0.0.1:${run.port}${scenario.path}`);
  return args;
}

/**
 * Runs wrk and parses its report.
 * @throws {Error} when wrk fails or prints no report (e.g. nothing listens), with its output.
 */
export async function runWrk(groups: ProcessGroups, run: WrkRun): Promise<WrkReport> {
  const spawned = groups.spawn({
    name: "wrk",
    command: run.wrk,
    args: wrkArgs(run),
    stdoutFile: run.outputFile,
    stderrFile: `${run.outputFile}.stderr`,
  });
  const status = await spawned.done;
  const output = await Deno.readTextFile(run.outputFile);
  if (!status.success) {
    const stderr = await Deno.readTextFile(`${run.outputFile}.stderr`).catch(() => "");
    throw new Error(`wrk exited with ${status.code}: ${(output + stderr).trim().slice(0, 300)}`);
  }
  return parseWrkOutput(output);
}
