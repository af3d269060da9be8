// deno-lint-ignore-file no-console -- a command-line tool: its console output is the interface.
/**
 * The soak: `deno task bench:soak [--requests N] [--connections C]`. Sluice with its defaults in
 * front of the harness's three upstreams, driven by back-to-back wrk runs of small responses
 * until N requests (default 1,000,000) have been served or the time bound passes; the peak RSS of
 * each run, cut into quarters by request count, says whether memory stays flat (±10%). Writes
 * `soak.json` and `soak.md` under the output directory. Not a test: nothing is asserted.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { findBinary } from "./binaries.ts";
import type { ProcessGroups } from "./process_groups.ts";
import { runTool } from "./tool_main.ts";
import type { Scenario } from "./scenarios.ts";
import { soakMarkdown, type SoakSegment, summariseSoak } from "./soak_report.ts";
import { sluiceVariants } from "./sluice_variants.ts";
import { startSystems } from "./start_systems.ts";
import { sluiceSystem, systemContext } from "./systems.ts";
import { TreeSampler } from "./tree_sampler.ts";
import { startUpstreams } from "./upstreams.ts";
import { runWrk } from "./wrk.ts";

const ROOT = new URL("../..", import.meta.url).pathname.replace(/\/$/, "");

const USAGE = `Soak: Sluice with its defaults under small responses until N requests, peak RSS per
quarter of the run. Not a test: nothing is asserted.

Usage: deno task bench:soak [options]

  --requests N       requests to serve (default 1000000)
  --connections C    wrk connections (default 200)
  --segment S        seconds per wrk run; each run is one RSS sample (default 5)
  --warmup S         seconds of unmeasured load first, so the heap reaches its working size
                     (default 5; 0: none)
  --max-seconds T    stop after this long even if N is not reached (default 300)
  --out DIR          where soak.json and soak.md go (default bench/results)
  -h, --help         this text`;

function positive(name: string, text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value <= 0) {
    throw new RangeError(`--${name} must be a positive integer: current value is "${text}"`);
  }
  return value;
}

async function run(signal: AbortSignal, groups: ProcessGroups, dir: string): Promise<number> {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      requests: { type: "string" },
      connections: { type: "string" },
      segment: { type: "string" },
      "max-seconds": { type: "string" },
      warmup: { type: "string" },
      out: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const target = positive("requests", values.requests, 1_000_000);
  const connections = positive("connections", values.connections, 200);
  const segmentSeconds = positive("segment", values.segment, 5);
  const maxSeconds = positive("max-seconds", values["max-seconds"], 300);
  const warmupSeconds = values.warmup === "0" ? 0 : positive("warmup", values.warmup, 5);
  const outDir = values.out ?? `${ROOT}/bench/results`;
  const wrk = findBinary("wrk");
  if (!wrk) {
    console.error("wrk is not installed: apt-get install wrk nginx");
    return 1;
  }
  const upstreams = await startUpstreams(dir, groups, signal);
  const context = await systemContext(ROOT, dir, groups, upstreams.ports);
  const defaults = sluiceVariants("", [])[0]!;
  const log = (line: string) => console.error(line);
  const { running, skipped } = await startSystems([sluiceSystem(defaults)], context, signal, log);
  const sluice = running[0];
  if (!sluice?.spawned) {
    console.error(`Sluice did not start: ${skipped[0]?.reason ?? "unknown"}`);
    return 1;
  }
  const scenario: Scenario = {
    id: "soak",
    label: `small, ${connections} conns`,
    path: "/",
    connections,
    headers: [],
    headline: "rps",
  };
  if (warmupSeconds > 0) {
    await runWrk(groups, {
      wrk,
      port: sluice.port,
      scenario,
      durationSeconds: warmupSeconds,
      threads: 1,
      outputFile: `${dir}/soak-warmup.txt`,
    });
  }
  const segments: SoakSegment[] = [];
  const started = performance.now();
  let served = 0;
  while (served < target && (performance.now() - started) / 1000 < maxSeconds) {
    signal.throwIfAborted();
    const sampler = new TreeSampler(sluice.spawned.pid);
    sampler.start();
    const report = await runWrk(groups, {
      wrk,
      port: sluice.port,
      scenario,
      durationSeconds: segmentSeconds,
      threads: 1,
      outputFile: `${dir}/soak-${segments.length}.txt`,
    });
    const usage = sampler.stop();
    segments.push({
      requests: report.requests,
      seconds: report.durationSeconds,
      peakRssBytes: usage.peakRssBytes,
      cpuMicros: usage.cpuMicros,
      errors: report.non2xx + report.socketErrors,
    });
    served += report.requests;
    log(
      `segment ${segments.length}: ${report.requests} requests, ${Math.round(report.rps)} rps, ` +
        `peak RSS ${(usage.peakRssBytes / 2 ** 20).toFixed(0)} MiB, ${served} in all`,
    );
  }
  const summary = summariseSoak(segments);
  const title = `${defaults.label}, ${connections} connections` +
    (served < target ? ` (stopped at ${maxSeconds} s before ${target} requests)` : "");
  const markdown = soakMarkdown(title, summary);
  await Deno.mkdir(outDir, { recursive: true });
  await Deno.writeTextFile(
    `${outDir}/soak.json`,
    JSON.stringify({ startedAt: new Date().toISOString(), title, segments, summary }, null, 2) +
      "\n",
  );
  await Deno.writeTextFile(`${outDir}/soak.md`, markdown);
  console.log(markdown);
  console.error(`written: ${outDir}/soak.json, ${outDir}/soak.md`);
  return 0;
}

if (import.meta.main) {
  await runTool(run, { prefix: "sluice-soak-" });
}
