/**
 * The V8 flags Sluice runs with (README, "Where the time and the memory go"): `deno task start`,
 * `deno task compile` and the container's entrypoint set the same ones, and Deno accepts them
 * (an unknown V8 flag stops Deno before main.ts runs).
 */
import assert from "node:assert/strict";

const ROOT = new URL("..", import.meta.url);
const EXPECTED = ["--no-allocation-site-pretenuring"];

/** The V8 flags of a `deno run`/`deno compile` command line. */
function v8Flags(command: string): string[] {
  const match = /(?:^|\s)--v8-flags=(\S+)/.exec(command);
  return match?.[1]?.split(",") ?? [];
}

async function tasks(): Promise<Record<string, string>> {
  const config = JSON.parse(await Deno.readTextFile(new URL("deno.json", ROOT)));
  return config.tasks;
}

Deno.test("v8 flags: the start and compile tasks and the container entrypoint set the same", async () => {
  const { start, compile } = await tasks();
  assert.ok(start && compile);
  assert.deepEqual(v8Flags(start), EXPECTED);
  assert.deepEqual(v8Flags(compile), EXPECTED);
  const entrypoint = await Deno.readTextFile(new URL("deploy/container/entrypoint.sh", ROOT));
  const exec = entrypoint.split("\n").find((line) => line.startsWith("exec deno run"));
  assert.ok(exec, "the entrypoint execs deno run");
  assert.deepEqual(v8Flags(exec), EXPECTED);
});

Deno.test("v8 flags: main.ts starts with the start task's flags", async () => {
  const { start } = await tasks();
  assert.ok(start);
  // `deno run <flags> main.ts`, then --version: Deno refuses an unknown V8 flag before main.ts.
  const args = start.trim().split(/\s+/).slice(1);
  const output = await new Deno.Command(Deno.execPath(), {
    args: [...args, "--version"],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stderr = new TextDecoder().decode(output.stderr);
  assert.equal(output.code, 0, stderr);
  assert.match(new TextDecoder().decode(output.stdout), /^sluice /);
});
