/**
 * Starting the selected systems one after another and waiting until each serves; a system that
 * is not installed or does not come up is skipped with the reason (and its stderr's tail), the
 * others still run.
 *
 * @module
 */

import { findBinary } from "./binaries.ts";
import type { BenchResults } from "./results.ts";
import { waitUntilServing } from "./ready.ts";
import type { Spawned } from "./process_groups.ts";
import type { RunningSystem } from "./runner.ts";
import type { SystemContext, SystemSpec } from "./systems.ts";

async function tail(path: string, lines = 8): Promise<string> {
  const text = await Deno.readTextFile(path).catch(() => "");
  return text.trim().split("\n").slice(-lines).join("\n");
}

/**
 * Starts each system and waits until it answers `GET /` like the upstreams.
 * @param log progress lines.
 * @returns the systems serving, and those skipped with why.
 * @throws {DOMException} AbortError when the signal aborts.
 */
export async function startSystems(
  specs: readonly SystemSpec[],
  context: SystemContext,
  signal: AbortSignal,
  log: (line: string) => void,
): Promise<{ running: RunningSystem[]; skipped: BenchResults["skipped"] }> {
  const running: RunningSystem[] = [];
  const skipped: BenchResults["skipped"] = [];
  for (const spec of specs) {
    if (spec.requires && !findBinary(spec.requires)) {
      skipped.push({ id: spec.id, reason: `${spec.requires} is not installed` });
      continue;
    }
    const { port, spawned } = await spec.start(context);
    try {
      await waitUntilServing(`http://127.0.0.1:${port}/`, {
        signal,
        ...(spawned ? { exited: spawned.done } : {}),
      });
    } catch (error) {
      signal.throwIfAborted();
      if (spawned) await context.groups.stop(spawned);
      const stderr = await tail(`${context.dir}/${spec.id}.stderr.log`);
      const reason = `did not start: ${(error as Error).message}` +
        (stderr ? `; stderr: ${stderr}` : "");
      skipped.push({ id: spec.id, reason });
      log(`${spec.id}: ${reason}`);
      continue;
    }
    const command = spawned && commandLine(spawned);
    running.push({
      id: spec.id,
      label: spec.label,
      port,
      exited: false,
      ...(spawned ? { spawned, command } : {}),
    });
    log(`${spec.id}: serving on 127.0.0.1:${port}${spawned ? `, pid ${spawned.pid}` : ""}`);
  }
  return { running, skipped };
}

/**
 * How a started system is shown in the report: its shown variables, the program's file name and
 * its arguments, as a shell line (`DENO_TOKIO_EVENT_INTERVAL=1 deno run … main.ts …`).
 * @param spawned the started child.
 * @returns the line.
 */
export function commandLine(spawned: Pick<Spawned, "argv" | "shownEnv">): string {
  return [
    ...Object.entries(spawned.shownEnv).map(([name, value]) => `${name}=${value}`),
    spawned.argv[0]!.replace(/^.*\//, ""),
    ...spawned.argv.slice(1),
  ].join(" ");
}
