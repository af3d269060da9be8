/**
 * Writing a run's results: `latest.json`, `latest.md` and `latest.svg` plus timestamped copies
 * under the results directory, and optionally the summary into README.md between markers.
 *
 * @module
 */

import { markdownReport, setupLine, sharedMachineNote, summaryTable } from "./markdown_report.ts";
import type { BenchResults } from "./results.ts";
import { svgChart } from "./svg_chart.ts";

/** The markers around the figures in README.md's Performance section. */
export const README_MARKERS = {
  start: "<!-- bench:load:start -->",
  end: "<!-- bench:load:end -->",
} as const;

/**
 * Replaces what is between the README markers (markers kept).
 * @throws {RangeError} when the markers are missing or out of order.
 */
export function replaceBetweenMarkers(text: string, block: string): string {
  const start = text.indexOf(README_MARKERS.start);
  const end = text.indexOf(README_MARKERS.end);
  if (start < 0 || end < start) {
    throw new RangeError(
      `README has no ${README_MARKERS.start} … ${README_MARKERS.end} section to update`,
    );
  }
  return text.slice(0, start + README_MARKERS.start.length) + `\n${block}\n` + text.slice(end);
}

/** The README block: the summary table, the setup line and the chart. */
export function readmeBlock(results: BenchResults, chartPath: string): string {
  return [
    summaryTable(results),
    "",
    setupLine(results),
    ...[sharedMachineNote(results)].filter((note) => note !== undefined).flatMap((note) => [
      "",
      note,
    ]),
    "",
    `![Load benchmark: ratio to ${results.reference}](${chartPath})`,
  ].join("\n");
}

/**
 * Writes the result files.
 * @param dir the results directory, created if needed.
 * @returns the paths written.
 */
export async function writeResults(results: BenchResults, dir: string): Promise<string[]> {
  await Deno.mkdir(dir, { recursive: true });
  const stamp = results.startedAt.replaceAll(":", "-").replace(/\.\d+Z$/, "Z");
  const files: [string, string][] = [
    ["json", JSON.stringify(results, null, 2) + "\n"],
    ["md", markdownReport(results)],
    ["svg", svgChart(results)],
  ];
  const written: string[] = [];
  for (const [extension, content] of files) {
    for (const name of ["latest", stamp]) {
      const path = `${dir}/${name}.${extension}`;
      await Deno.writeTextFile(path, content);
      written.push(path);
    }
  }
  return written;
}
