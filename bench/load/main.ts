// deno-lint-ignore-file no-console -- a command-line tool: its console output is the interface.
/**
 * The load harness: `deno task bench:load [--quick] [options]`. Starts three upstreams and every
 * system in front of them on loopback, drives each with wrk through the scenarios in rotated,
 * interleaved rounds, and writes JSON, Markdown and SVG under `bench/results/`. Everything it
 * starts runs in its own process group and is stopped at the end, on error and on Ctrl-C.
 *
 * @module
 */

import { findBinary } from "./binaries.ts";
import { cells } from "./figures.ts";
import { parseOptions, selects, USAGE } from "./options.ts";
import type { ProcessGroups } from "./process_groups.ts";
import { runTool } from "./tool_main.ts";
import type { BenchResults } from "./results.ts";
import { runRounds } from "./runner.ts";
import { startSystems } from "./start_systems.ts";
import { SCENARIOS } from "./scenarios.ts";
import { sluiceVariants } from "./sluice_variants.ts";
import { allSystems, systemContext } from "./systems.ts";
import { startUpstreams } from "./upstreams.ts";
import { readEnvironment } from "./versions.ts";
import { readmeBlock, replaceBetweenMarkers, writeResults } from "./write_results.ts";
import { markdownReport } from "./markdown_report.ts";

const ROOT = new URL("../..", import.meta.url).pathname.replace(/\/$/, "");
/** The system every ratio is taken against. */
const REFERENCE = "nginx";
/** wrk's start-up and the sampling around one run, for the time estimate, seconds. */
const RUN_OVERHEAD_SECONDS = 0.3;

async function sluiceHelp(command: readonly string[]): Promise<string> {
  const output = await new Deno.Command(Deno.execPath(), {
    args: [...command, "--help"],
    cwd: ROOT,
    stdin: "null",
  }).output();
  return new TextDecoder().decode(output.stdout);
}

async function run(signal: AbortSignal, groups: ProcessGroups, dir: string): Promise<number> {
  const options = parseOptions(Deno.args, `${ROOT}/bench/results`);
  if (options.help) {
    console.log(USAGE);
    return 0;
  }
  const wrk = findBinary("wrk");
  if (!wrk) {
    console.error("wrk is not installed: apt-get install wrk nginx haproxy");
    return 1;
  }
  const unknown = (options.scenarios ?? []).filter((id) => !SCENARIOS.some((s) => s.id === id));
  if (unknown.length > 0) {
    console.error(
      `Unknown scenario(s) ${unknown.join(", ")}: one of ${SCENARIOS.map((s) => s.id).join(", ")}`,
    );
    return 1;
  }
  const scenarios = SCENARIOS.filter((s) => !options.scenarios || options.scenarios.includes(s.id));
  const startedAt = new Date().toISOString();
  const environment = await readEnvironment(ROOT);
  const upstreams = await startUpstreams(dir, groups, signal, options.upstreams);
  console.error(`upstreams: ${upstreams.server} on ports ${upstreams.ports.join(", ")}`);

  const context = await systemContext(ROOT, dir, groups, upstreams.ports);
  const variants = sluiceVariants(await sluiceHelp(context.sluiceCommand));
  const specs = allSystems(variants).filter((spec) =>
    spec.id === REFERENCE || selects(options.systems, spec.id)
  );
  const log = (line: string) => console.error(line);
  const { running, skipped } = await startSystems(specs, context, signal, log);
  const pairs = running.length * scenarios.length;
  const seconds = pairs *
      (options.rounds * (options.durationSeconds + RUN_OVERHEAD_SECONDS)) +
    (options.warmupScope === "every-scenario" ? pairs : running.length) * options.warmupSeconds;
  log(
    `measuring ${running.length} systems × ${scenarios.length} scenarios × ${options.rounds} ` +
      `round(s): about ${Math.ceil(seconds / 60)} min`,
  );

  const { runs, failures } = await runRounds({
    systems: running,
    scenarios,
    rounds: options.rounds,
    durationSeconds: options.durationSeconds,
    warmupSeconds: options.warmupSeconds,
    warmupScope: options.warmupScope,
    threads: options.threads,
    wrk,
    groups,
    dir,
    signal,
    log,
  });
  const results: BenchResults = {
    format: 1,
    startedAt,
    finishedAt: new Date().toISOString(),
    command: ["deno task bench:load", ...Deno.args].join(" "),
    settings: {
      rounds: options.rounds,
      durationSeconds: options.durationSeconds,
      warmupSeconds: options.warmupSeconds,
      warmupScope: options.warmupScope,
      threads: options.threads,
    },
    upstreams: upstreams.server,
    reference: REFERENCE,
    environment,
    scenarios: scenarios.map(({ id, label, connections, headline }) => ({
      id,
      label,
      connections,
      headline,
    })),
    systems: running.map(({ id, label, command }) => ({
      id,
      label,
      ...(command ? { command } : {}),
    })),
    skipped,
    failures,
    runs,
    cells: cells(runs, REFERENCE),
  };
  const written = await writeResults(results, options.outDir);
  if (options.updateReadme) {
    const readme = `${ROOT}/README.md`;
    const chart = "bench/results/latest.svg";
    await Deno.writeTextFile(
      readme,
      replaceBetweenMarkers(await Deno.readTextFile(readme), readmeBlock(results, chart)),
    );
    written.push(readme);
  }
  // The files as `deno fmt` lays them out (SVG too), so `deno task check` stays clean. The
  // config is named: found from the first file's folder, it would be missed for --out /tmp/….
  await new Deno.Command(Deno.execPath(), {
    args: [
      "fmt",
      "--quiet",
      "--config",
      `${ROOT}/deno.json`,
      ...written,
    ],
    cwd: ROOT,
    stdin: "null",
  }).output();
  console.log(markdownReport(results));
  console.error(`written: ${written.filter((path) => !/\d{4}-\d\d-\d\dT/.test(path)).join(", ")}`);
  return 0;
}

if (import.meta.main) {
  await runTool(run, { prefix: "sluice-bench-", keepTemp: Deno.args.includes("--keep-temp") });
}
