/**
 * Every way this repository starts Sluice gives Deno the environment of
 * `internal/app/runtime_env.ts`: the `start` task, the container image (and the permission its
 * entrypoint needs to check it), the demo, and the test tasks (whose in-process Sluice and
 * `spawnMain` children then run as users run it).
 */
import assert from "node:assert/strict";
import { RUNTIME_ENV } from "../internal/app/runtime_env.ts";
import { startTaskArgs } from "../bench/load/sluice_variants.ts";
import { SLUICE_PERMISSIONS } from "../demo/run.ts";

const ROOT = new URL("..", import.meta.url).pathname;
const NAMES = Object.keys(RUNTIME_ENV);

Deno.test("runtime env: the start task sets it and lets main.ts read it", async () => {
  const tasks = JSON.parse(await Deno.readTextFile(`${ROOT}deno.json`)).tasks;
  const start = startTaskArgs(tasks.start);
  assert.deepEqual(start.env, RUNTIME_ENV);
  const allowEnv = start.args.find((arg) => arg.startsWith("--allow-env="));
  for (const name of NAMES) assert.ok(allowEnv?.split(/[=,]/).includes(name), allowEnv);
  for (const name of NAMES) assert.ok(tasks.compile.includes(name), tasks.compile);
});

Deno.test("runtime env: the test tasks run the in-process Sluice with it too", async () => {
  const tasks = JSON.parse(await Deno.readTextFile(`${ROOT}deno.json`)).tasks;
  const prefix = Object.entries(RUNTIME_ENV).map(([name, value]) => `${name}=${value} `).join("");
  assert.ok(tasks.test.startsWith(`${prefix}deno test `), tasks.test);
  assert.ok(tasks.chaos.startsWith(`${prefix}deno test `), tasks.chaos);
});

Deno.test("runtime env: the container image sets it and its entrypoint may read it", async () => {
  const dockerfile = await Deno.readTextFile(`${ROOT}Dockerfile`);
  const entrypoint = await Deno.readTextFile(`${ROOT}deploy/container/entrypoint.sh`);
  for (const [name, value] of Object.entries(RUNTIME_ENV)) {
    assert.match(dockerfile, new RegExp(`^ENV ${name}=${value}$`, "m"));
    assert.match(entrypoint, new RegExp(`--allow-env='[^']*\\b${name}\\b[^']*'`));
  }
});

Deno.test("runtime env: the demo runs Sluice with permission to read it", () => {
  const allowEnv = SLUICE_PERMISSIONS.find((arg) => arg.startsWith("--allow-env="));
  for (const name of NAMES) assert.ok(allowEnv?.split(/[=,]/).includes(name), allowEnv);
});
