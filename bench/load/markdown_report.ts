/**
 * The Markdown report of a run: a summary table (the headline figure of every scenario, with
 * its ratio to the reference) and one detail table per scenario.
 *
 * @module
 */

import type { Cell, FigureName } from "./figures.ts";
import type { BenchResults } from "./results.ts";

/**
 * A number for a table: thousands separated by commas, `digits` decimals, `-` for none.
 * Values under 10 get one more decimal so small latencies keep their precision.
 */
export function formatNumber(value: number | null | undefined, digits = 0): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return "-";
  const places = value < 10 && digits === 0 && value !== 0 ? 1 : digits;
  return value.toLocaleString("en-US", {
    minimumFractionDigits: places,
    maximumFractionDigits: places,
  });
}

/** A ratio for a table, two decimals, `-` for none. */
export function formatRatio(value: number | null | undefined): string {
  return value === null || value === undefined ? "-" : value.toFixed(2);
}

function table(header: string[], rows: string[][]): string {
  const align = header.map((_, i) => (i === 0 ? "---" : "---:"));
  return [header, align, ...rows].map((row) => `| ${row.join(" | ")} |`).join("\n");
}

function headlineFigure(headline: string): FigureName {
  return headline === "rps" ? "rps" : "mibPerSec";
}

function withRatio(cell: Cell | undefined, figure: FigureName, digits = 0): string {
  if (!cell) return "-";
  const value = formatNumber(cell.median[figure], digits);
  const ratio = cell.ratio[figure];
  const errors = cell.errors > 0 ? ` (${cell.errors} errors)` : "";
  return (ratio === null ? value : `${value} (${formatRatio(ratio)})`) + errors;
}

/**
 * The summary table: one row per system; per scenario its headline figure (rps, or MiB/s for
 * the 1 MiB scenarios) with the ratio to the reference in parentheses; then p99 and CPU per
 * request of the first scenario and the largest peak RSS over all scenarios.
 */
export function summaryTable(results: BenchResults): string {
  const first = results.scenarios[0];
  const header = [
    "system",
    ...results.scenarios.map((s) => `${s.label}: ${s.headline === "rps" ? "rps" : "MiB/s"}`),
  ];
  if (first) header.push(`p99 ms, ${first.label}`, `CPU µs/req, ${first.label}`);
  header.push("peak RSS MiB");
  const rows = results.systems.map((system) => {
    const find = (scenario: string) =>
      results.cells.find((c) => c.system === system.id && c.scenario === scenario);
    const row = [
      system.label,
      ...results.scenarios.map((s) => withRatio(find(s.id), headlineFigure(s.headline))),
    ];
    if (first) {
      row.push(withRatio(find(first.id), "p99Ms", 1), withRatio(find(first.id), "cpuUsPerRequest"));
    }
    const rss = results.cells
      .filter((c) => c.system === system.id && c.median.peakRssMiB !== null)
      .map((c) => c.median.peakRssMiB!);
    row.push(rss.length > 0 ? formatNumber(Math.max(...rss)) : "-");
    return row;
  });
  return table(header, rows);
}

/** One scenario's table: every figure of every system, ratios to the reference beside. */
export function scenarioTable(results: BenchResults, scenario: string): string {
  const header = [
    "system",
    "rps",
    "× ref",
    "p50 ms",
    "p99 ms",
    "× ref",
    "MiB/s",
    "CPU µs/req",
    "× ref",
    "peak RSS MiB",
    "errors",
  ];
  const rows = results.systems.flatMap((system) => {
    const cell = results.cells.find((c) => c.system === system.id && c.scenario === scenario);
    if (!cell) return [];
    const { median, ratio } = cell;
    return [[
      system.label,
      formatNumber(median.rps),
      formatRatio(ratio.rps),
      formatNumber(median.p50Ms, 2),
      formatNumber(median.p99Ms, 1),
      formatRatio(ratio.p99Ms),
      formatNumber(median.mibPerSec),
      formatNumber(median.cpuUsPerRequest),
      formatRatio(ratio.cpuUsPerRequest),
      formatNumber(median.peakRssMiB),
      String(cell.errors),
    ]];
  });
  return table(header, rows);
}

/** The machine, versions and settings in one paragraph. */
export function setupLine(results: BenchResults): string {
  const { environment: env, settings } = results;
  const versions = Object.values(env.versions).filter((v) => v !== undefined).join("; ");
  return `${env.cores} cores (${env.cpu}), load average ${env.loadAverage} at start, ` +
    `Linux ${env.kernel}, commit ${env.commit}. ${versions}. ` +
    `${settings.rounds} interleaved round(s) of ${settings.durationSeconds} s per run ` +
    `(warm-up ${settings.warmupSeconds} s per ` +
    `${settings.warmupScope === "every-scenario" ? "system and scenario" : "system"}), ` +
    `wrk -t${settings.threads}, upstreams: three ` +
    `${results.upstreams} servers. Medians over rounds; ratios (in parentheses) to ` +
    `${results.reference} in the same run.`;
}

/** A 1-minute load average at start above this share of the cores marks the machine shared. */
export const SHARED_LOAD_PER_CORE = 0.5;

/**
 * A warning when other work was running as the run started (load average above half the
 * cores): the figures are then proportions between systems, not capacities.
 * @returns the sentence, or undefined on an idle machine.
 */
export function sharedMachineNote(results: BenchResults): string | undefined {
  const { loadAverage, cores } = results.environment;
  if (loadAverage <= cores * SHARED_LOAD_PER_CORE) return undefined;
  return `The machine was shared while these figures were taken (load average ${loadAverage} ` +
    `on ${cores} cores before the run started): read them as proportions between systems ` +
    `measured side by side, not as capacities.`;
}

/**
 * The whole report: summary, setup, a table per scenario, the systems' command lines, then the
 * systems not run and the failed runs if any.
 */
export function markdownReport(results: BenchResults): string {
  const parts = [
    `# Load benchmark, ${results.startedAt}`,
    `\`${results.command}\``,
    summaryTable(results),
    setupLine(results),
    ...[sharedMachineNote(results)].filter((note) => note !== undefined),
  ];
  for (const scenario of results.scenarios) {
    parts.push(`## ${scenario.label}`, scenarioTable(results, scenario.id));
  }
  const commands = results.systems.filter((system) => system.command !== undefined);
  if (commands.length > 0) {
    parts.push(
      "## How each system ran",
      commands.map((system) => `- ${system.label}: \`${system.command}\``).join("\n"),
    );
  }
  if (results.skipped.length > 0) {
    parts.push(
      "## Not run",
      results.skipped.map((s) => `- ${s.id}: ${s.reason}`).join("\n"),
    );
  }
  if (results.failures.length > 0) {
    parts.push(
      "## Failed runs",
      results.failures.map((f) => `- round ${f.round}, ${f.scenario}, ${f.system}: ${f.error}`)
        .join("\n"),
    );
  }
  return parts.join("\n\n") + "\n";
}
