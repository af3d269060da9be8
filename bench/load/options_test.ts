import assert from "node:assert/strict";
import { parseOptions, selects } from "./options.ts";

Deno.test("parseOptions: full-run defaults, --quick shortens, explicit values win", () => {
  const full = parseOptions([], "out");
  assert.equal(full.rounds, 3);
  assert.equal(full.durationSeconds, 4);
  assert.equal(full.warmupSeconds, 1);
  assert.equal(full.scenarios, undefined);
  assert.equal(full.outDir, "out");
  assert.equal(full.upstreams, "auto");
  const quick = parseOptions(["--quick", "--duration", "2"], "out");
  assert.equal(quick.rounds, 1);
  assert.equal(quick.durationSeconds, 2);
  assert.equal(quick.warmupSeconds, 1);
  assert.equal(quick.warmupScope, "first-scenario");
  assert.equal(full.warmupScope, "every-scenario");
});

Deno.test("parseOptions splits the filters and refuses bad numbers and unknown flags", () => {
  const options = parseOptions(["--scenarios", "small-c50, upload-1m", "--systems=sluice"], "o");
  assert.deepEqual(options.scenarios, ["small-c50", "upload-1m"]);
  assert.deepEqual(options.systems, ["sluice"]);
  assert.throws(() => parseOptions(["--rounds", "0"], "o"), /--rounds must be an integer >= 1/);
  assert.throws(() => parseOptions(["--duration", "1.5"], "o"), RangeError);
  assert.throws(() => parseOptions(["--fast"], "o"));
  assert.equal(parseOptions(["--upstreams", "deno"], "o").upstreams, "deno");
  assert.throws(() => parseOptions(["--upstreams", "apache"], "o"), /--upstreams must be/);
});

Deno.test("selects matches ids and dash-ended prefixes", () => {
  assert.equal(selects(undefined, "haproxy"), true);
  assert.equal(selects(["sluice"], "sluice"), true);
  assert.equal(selects(["sluice"], "sluice-transport-fetch"), true);
  assert.equal(selects(["sluice"], "sluiceish"), false);
  assert.equal(selects(["nginx"], "haproxy"), false);
});
