import assert from "node:assert/strict";
import {
  formatNumber,
  markdownReport,
  sharedMachineNote,
  summaryTable,
} from "./markdown_report.ts";
import { SAMPLE_RESULTS } from "./_sample_results.ts";

Deno.test("formatNumber: thousands, decimals under 10, dash for none", () => {
  assert.equal(formatNumber(43352.4), "43,352");
  assert.equal(formatNumber(2.74), "2.7");
  assert.equal(formatNumber(2.74, 2), "2.74");
  assert.equal(formatNumber(null), "-");
  assert.equal(formatNumber(0), "0");
});

Deno.test("summaryTable: a row per system, headline figures with ratios to nginx", () => {
  const lines = summaryTable(SAMPLE_RESULTS).split("\n");
  assert.equal(lines.length, 2 + 3);
  assert.match(lines[0]!, /small, 50 conns: rps \| 1 MiB download: MiB\/s \|/);
  assert.equal(
    lines[3],
    "| Sluice <defaults> & co | 5,000 (0.25) | 0.5 (0.50) | 20.0 (4.00) | 200 (10.00) | 6,000 |",
  );
  assert.equal(lines[2], "| direct | 40,000 (2.00) | - | 2.5 (0.50) | - | - |");
});

Deno.test("markdownReport: setup, a table per scenario, the systems not run", () => {
  const report = markdownReport(SAMPLE_RESULTS);
  assert.match(report, /2 cores \(Test CPU\)/);
  assert.match(report, /## small, 50 conns\n\n\| system \| rps/);
  assert.match(report, /## 1 MiB download\n/);
  assert.match(report, /- haproxy: haproxy is not installed/);
  assert.match(
    report,
    /## How each system ran\n\n- nginx: `nginx -c \/tmp\/x\/nginx-proxy.conf`\n/,
  );
  assert.doesNotMatch(report, /Failed runs/);
});

Deno.test("sharedMachineNote: only when the load average at start exceeds half the cores", () => {
  assert.match(sharedMachineNote(SAMPLE_RESULTS)!, /shared .*\(load average 1.5 on 2 cores/);
  const idle = {
    ...SAMPLE_RESULTS,
    environment: { ...SAMPLE_RESULTS.environment, loadAverage: 0.9 },
  };
  assert.equal(sharedMachineNote(idle), undefined);
  assert.doesNotMatch(markdownReport(idle), /shared/);
});
