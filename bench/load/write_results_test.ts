import assert from "node:assert/strict";
import { SAMPLE_RESULTS } from "./_sample_results.ts";
import { readmeBlock, replaceBetweenMarkers, writeResults } from "./write_results.ts";

Deno.test("replaceBetweenMarkers swaps only the marked block", () => {
  const text = "# A\n<!-- bench:load:start -->\nold\n<!-- bench:load:end -->\ntail\n";
  assert.equal(
    replaceBetweenMarkers(text, "new"),
    "# A\n<!-- bench:load:start -->\nnew\n<!-- bench:load:end -->\ntail\n",
  );
  assert.throws(() => replaceBetweenMarkers("# A\n", "new"), RangeError);
});

Deno.test("readmeBlock holds the table and links the chart", () => {
  const block = readmeBlock(SAMPLE_RESULTS, "bench/results/latest.svg");
  assert.match(block, /^\| system \|/);
  assert.match(block, /!\[Load benchmark: ratio to nginx\]\(bench\/results\/latest\.svg\)$/);
});

Deno.test("writeResults writes latest and timestamped JSON, Markdown and SVG", async () => {
  const dir = await Deno.makeTempDir({ prefix: "sluice-bench-test-" });
  try {
    const written = await writeResults(SAMPLE_RESULTS, `${dir}/results`);
    const names = written.map((path) => path.slice(path.lastIndexOf("/") + 1)).sort();
    assert.deepEqual(names, [
      "2026-12-03T15-00-00Z.json",
      "2026-12-03T15-00-00Z.md",
      "2026-12-03T15-00-00Z.svg",
      "latest.json",
      "latest.md",
      "latest.svg",
    ]);
    const json = JSON.parse(await Deno.readTextFile(`${dir}/results/latest.json`));
    assert.equal(json.cells.length, SAMPLE_RESULTS.cells.length);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
