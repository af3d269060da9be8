import assert from "node:assert/strict";
import { escapeXml, svgChart } from "./svg_chart.ts";
import { SAMPLE_RESULTS } from "./_sample_results.ts";

Deno.test("escapeXml escapes markup characters", () => {
  assert.equal(escapeXml(`a<b>&"c"`), "a&lt;b&gt;&amp;&quot;c&quot;");
});

Deno.test("svgChart: a bar per system and scenario, scaled to the largest ratio", () => {
  const svg = svgChart(SAMPLE_RESULTS);
  assert.match(svg, /^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
  assert.match(svg, /<\/svg>\n$/);
  assert.ok(svg.includes("Sluice &lt;defaults&gt; &amp; co"));
  assert.ok(!svg.includes("<defaults>"));
  // small-c50: nginx 1.00 is the largest proxy: the full 420 px; direct (2.00) is cut there.
  assert.match(svg, /width="420\.0" height="16" fill="#2e7d32"/);
  assert.match(svg, /width="420\.0" height="16" fill="#9e9e9e"/);
  assert.ok(svg.includes(">» 40,000 (2.00)</text>"));
  assert.ok(svg.includes(">5,000 (0.25)</text>"));
  assert.match(svg, /width="105\.0" height="16" fill="#ef6c00"/);
  // download: direct was not run in it.
  assert.ok(svg.includes(">not run</text>"));
  assert.equal(svg.match(/<line /g)?.length, 2, "one 1.0 line per scenario");
  assert.ok(svg.includes(">other proxies</text>"), "the colour key");
});
