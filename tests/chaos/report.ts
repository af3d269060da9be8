/**
 * The chaos suite's figures: one row per scenario, printed as a Markdown table (the form the
 * README shows).
 *
 * @module
 */

import type { LoadSummary } from "./load.ts";

/** The figures of one scenario. */
export interface ScenarioFigures {
  scenario: string;
  /** Requests sent by the load generator, all phases. */
  requests: number;
  /** Whole 2xx responses. */
  ok: number;
  /** Non-2xx statuses by code, and failures without a response (`none`). */
  other: string;
  p50Ms: number;
  p99Ms: number;
  /** Requests per second over the load's wall time. */
  rps: number;
  /** What the acceptance criterion asks. */
  criterion: string;
  /** What was measured against it. */
  measured: string;
}

/**
 * The figures of one run in table form.
 * @param summary the load's summary.
 * @param durationMs the load's wall time, ms.
 * @returns requests, ok, other, p50Ms, p99Ms and rps of {@linkcode ScenarioFigures}.
 */
export function loadFigures(
  summary: LoadSummary,
  durationMs: number,
): Pick<ScenarioFigures, "requests" | "ok" | "other" | "p50Ms" | "p99Ms" | "rps"> {
  const other = Object.entries(summary.statuses)
    .filter(([status]) => !status.startsWith("2"))
    .map(([status, count]) => `${count}× ${status === "0" ? "none" : status}`);
  if (summary.cutBodies > 0) other.push(`${summary.cutBodies}× cut body`);
  return {
    requests: summary.requests,
    ok: summary.ok,
    other: other.join(", ") || "–",
    p50Ms: summary.p50Ms,
    p99Ms: summary.p99Ms,
    rps: durationMs > 0 ? summary.requests / (durationMs / 1000) : 0,
  };
}

/**
 * Renders rows as a Markdown table with aligned columns.
 * @param rows the scenarios' figures.
 * @returns the table, one line per row after the header.
 */
export function formatTable(rows: readonly ScenarioFigures[]): string {
  const header = [
    "scenario",
    "requests",
    "2xx",
    "other",
    "p50 ms",
    "p99 ms",
    "req/s",
    "criterion",
    "measured",
  ];
  const cells = rows.map((row) => [
    row.scenario,
    row.requests.toLocaleString("en-US"),
    row.ok.toLocaleString("en-US"),
    row.other,
    row.p50Ms.toFixed(1),
    row.p99Ms.toFixed(1),
    Math.round(row.rps).toLocaleString("en-US"),
    row.criterion,
    row.measured,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const line = (values: string[]) =>
    `| ${values.map((v, i) => v.padEnd(widths[i]!)).join(" | ")} |`;
  return [
    line(header),
    `| ${widths.map((w) => "-".repeat(w)).join(" | ")} |`,
    ...cells.map(line),
  ].join("\n");
}

/**
 * Writes `text` and a newline to standard output (shown under the test's name).
 * @param text what to print.
 */
export function print(text: string): void {
  const bytes = new TextEncoder().encode(text + "\n");
  for (let written = 0; written < bytes.length;) {
    written += Deno.stdout.writeSync(bytes.subarray(written));
  }
}
