import assert from "node:assert/strict";
import {
  type DenoInfo,
  pruneImports,
  pruneLockfile,
  reachableNpmPackages,
  unreachableDirectories,
} from "./prune_npm_cache.ts";

const MAIN = new URL("../../main.ts", import.meta.url).pathname;

async function denoInfo(): Promise<DenoInfo> {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json", MAIN],
    stdout: "piped",
    stderr: "null",
  }).output();
  assert.ok(output.success, "deno info --json main.ts failed");
  return JSON.parse(new TextDecoder().decode(output.stdout));
}

Deno.test("the image keeps main.ts's npm packages and their dependencies, not the test tools", async () => {
  const info = await denoInfo();
  const keep = [...reachableNpmPackages(info)].map((id) => id.replace(/@[^@]+$/, ""));
  for (const name of ["zod", "yaml", "prom-client", "@logtape/logtape", "tdigest"]) {
    assert.ok(keep.includes(name), `${name} is a run-time dependency`);
  }
  for (const name of ["playwright-core", "@sinonjs/fake-timers", "@sinonjs/commons"]) {
    assert.ok(!keep.includes(name), `${name} is a test tool`);
    const ids = Object.keys(info.npmPackages).filter((id) => id.startsWith(`${name}@`));
    assert.ok(ids.length > 0, `${name} is in the lockfile's snapshot, so the prune matters`);
  }
});

Deno.test("unreachableDirectories() drops a package directory only when no version is kept", () => {
  const info: DenoInfo = {
    modules: [{ kind: "esm" }, { kind: "npm", npmPackage: "a@2.0.0" }],
    npmPackages: {
      "a@1.0.0": { localPath: "/d/npm/r/a/1.0.0" },
      "a@2.0.0": { dependencies: ["b@1.0.0"], localPath: "/d/npm/r/a/2.0.0" },
      "b@1.0.0": { localPath: "/d/npm/r/b/1.0.0" },
      "@s/c@3.0.0": { dependencies: ["b@1.0.0"], localPath: "/d/npm/r/@s/c/3.0.0" },
    },
  };
  assert.deepEqual([...reachableNpmPackages(info)].sort(), ["a@2.0.0", "b@1.0.0"]);
  assert.deepEqual(unreachableDirectories(info), [
    "/d/npm/r/a/1.0.0",
    "/d/npm/r/@s/c/3.0.0",
    "/d/npm/r/@s/c",
  ]);
});

Deno.test("pruneLockfile() and pruneImports() drop the removed packages from deno.lock and deno.json", async () => {
  const root = new URL("../../", import.meta.url);
  const lock = JSON.parse(await Deno.readTextFile(new URL("deno.lock", root)));
  const config = JSON.parse(await Deno.readTextFile(new URL("deno.json", root)));
  const keep = reachableNpmPackages(await denoInfo());
  const pruned = pruneLockfile(lock, keep);
  assert.deepEqual(Object.keys(pruned.npm ?? {}).sort(), [...keep].sort());
  assert.ok(!JSON.stringify(pruned).includes("playwright"));
  assert.ok(
    Object.keys(pruned.specifiers ?? {}).includes("npm:zod@" + config.imports.zod.split("@").pop()),
  );
  assert.equal(pruned.workspace?.dependencies?.length, Object.keys(pruned.specifiers ?? {}).length);
  const imports = pruneImports(config.imports, pruned);
  assert.ok("zod" in imports && "yaml" in imports);
  assert.ok(!("playwright-core" in imports) && !("@sinonjs/fake-timers" in imports));
});
