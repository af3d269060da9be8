/**
 * `deno task compile` produces a single binary that runs Sluice. `deno compile` needs the
 * `denort` runtime, which it downloads unless `DENORT_BIN` names a local copy; where neither is
 * possible (no network), the test is skipped and says why.
 */
import assert from "node:assert/strict";

const ROOT = new URL("..", import.meta.url).pathname;
const DENORT_BIN = Deno.env.get("DENORT_BIN");
const SKIP_REASON = "skipped: DENORT_BIN is not set, and deno compile cannot download the denort " +
  "runtime without network access; set DENORT_BIN=/path/to/denort to run it";

Deno.test({
  name: `compile: deno task compile builds a binary that runs Sluice${
    DENORT_BIN ? "" : ` (${SKIP_REASON})`
  }`,
  ignore: DENORT_BIN === undefined,
  async fn() {
    const output = `${ROOT}dist/sluice`; // where the compile task writes it
    const build = await new Deno.Command(Deno.execPath(), {
      args: ["task", "compile"],
      cwd: ROOT,
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.equal(build.code, 0, new TextDecoder().decode(build.stderr));
    const version = await new Deno.Command(output, { args: ["--version"], stdout: "piped" })
      .output();
    assert.equal(version.code, 0);
    assert.match(new TextDecoder().decode(version.stdout), /sluice \d+\.\d+\.\d+/);
    const bad = await new Deno.Command(output, { args: ["--port", "99999"], stderr: "piped" })
      .output();
    assert.equal(bad.code, 2);
  },
});
