/**
 * The chart of a run as a hand-made SVG: one panel per scenario, one horizontal bar per system,
 * the bar's length the headline figure's ratio to the reference (a dashed line marks 1.0).
 * Bars are drawn after the line, so the line never hides a figure.
 *
 * @module
 */

import type { FigureName } from "./figures.ts";
import { formatNumber, formatRatio } from "./markdown_report.ts";
import type { BenchResults } from "./results.ts";

const WIDTH = 900;
const LABEL_WIDTH = 290;
const BAR_WIDTH = 420;
const BAR_HEIGHT = 16;
const ROW = 22;
const PANEL_TITLE = 28;
const PANEL_GAP = 14;
const TOP = 46;

/** Escapes text for SVG content and attribute values. */
export function escapeXml(text: string): string {
  return text.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;")
    .replaceAll('"', "&quot;");
}

function colour(id: string, reference: string): string {
  if (id === reference) return "#2e7d32";
  if (id.startsWith("sluice")) return "#ef6c00";
  if (id === "direct") return "#9e9e9e";
  return "#1565c0";
}

/** The colour key, top right: Sluice, the reference, other proxies, direct. */
function legend(reference: string): string[] {
  const keys: [string, string][] = [
    ["Sluice", "sluice"],
    [reference, reference],
    ["other proxies", "other"],
    ["no proxy", "direct"],
  ];
  return keys.flatMap(([text, id], i) => {
    const x = WIDTH - 420 + i * 105;
    return [
      `<rect x="${x}" y="27" width="10" height="10" fill="${colour(id, reference)}"/>`,
      `<text x="${x + 14}" y="36" fill="#555">${escapeXml(text)}</text>`,
    ];
  });
}

/**
 * Renders the chart.
 * @returns a standalone SVG document.
 */
export function svgChart(results: BenchResults): string {
  const { scenarios, systems, reference } = results;
  const panelHeight = PANEL_TITLE + systems.length * ROW + PANEL_GAP;
  const height = TOP + scenarios.length * panelHeight + 10;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" ` +
    `viewBox="0 0 ${WIDTH} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="${WIDTH}" height="${height}" fill="#ffffff"/>`,
    `<text x="10" y="20" font-size="15" font-weight="bold">${
      escapeXml(`Load benchmark: ratio to ${reference} (longer is better)`)
    }</text>`,
    `<text x="10" y="36" fill="#555">${
      escapeXml(
        `${results.environment.cores} cores, ${results.startedAt}, ` +
          `medians of ${results.settings.rounds} round(s) × ${results.settings.durationSeconds} s`,
      )
    }</text>`,
    ...legend(reference),
  ];
  scenarios.forEach((scenario, index) => {
    const figure: FigureName = scenario.headline === "rps" ? "rps" : "mibPerSec";
    const unit = scenario.headline === "rps" ? "rps" : "MiB/s";
    const y0 = TOP + index * panelHeight;
    const found = systems.map((system) => ({
      system,
      cell: results.cells.find((c) => c.system === system.id && c.scenario === scenario.id),
    }));
    // Direct (no proxy) may be many times the proxies: it does not set the scale, its bar is
    // cut at the panel's edge instead, marked with "»".
    const scale = Math.max(
      1,
      ...found.filter(({ system }) => system.id !== "direct").map(({ cell }) =>
        cell?.ratio[figure] ?? 0
      ),
    );
    const one = LABEL_WIDTH + BAR_WIDTH / scale;
    out.push(
      `<line x1="${one.toFixed(1)}" y1="${y0 + PANEL_TITLE - 4}" x2="${one.toFixed(1)}" ` +
        `y2="${y0 + PANEL_TITLE + systems.length * ROW}" stroke="#999" stroke-dasharray="3,3"/>`,
    );
    out.push(
      `<text x="10" y="${y0 + 18}" font-weight="bold">${
        escapeXml(`${scenario.label} (${unit})`)
      }</text>`,
    );
    found.forEach(({ system, cell }, row) => {
      const y = y0 + PANEL_TITLE + row * ROW;
      const ratio = cell?.ratio[figure] ?? null;
      const cut = ratio !== null && ratio > scale;
      const length = ratio === null ? 0 : Math.max(1, (Math.min(ratio, scale) / scale) * BAR_WIDTH);
      const value = cell
        ? `${cut ? "» " : ""}${formatNumber(cell.median[figure])} (${formatRatio(ratio)})`
        : "not run";
      out.push(
        `<text x="${LABEL_WIDTH - 8}" y="${y + 12}" text-anchor="end">${
          escapeXml(system.label)
        }</text>`,
        `<rect x="${LABEL_WIDTH}" y="${y}" width="${length.toFixed(1)}" height="${BAR_HEIGHT}" ` +
          `fill="${colour(system.id, reference)}"/>`,
        `<text x="${(LABEL_WIDTH + length + 6).toFixed(1)}" y="${y + 12}">${
          escapeXml(value)
        }</text>`,
      );
    });
  });
  out.push("</svg>");
  return out.join("\n") + "\n";
}
