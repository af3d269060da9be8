/**
 * End-to-end tests of the access log's destination (`--access-log`): a file reopened on SIGUSR1
 * after a logrotate-style rename, and `off`. main.ts runs as a subprocess.
 */

import assert from "node:assert/strict";
import { get, startUpstream, within } from "./_fixtures.ts";
import { isListeningLine, spawnMain } from "./_process.ts";

/** Access log entries in a file (JSON lines), `[]` when it does not exist. */
async function entries(path: string): Promise<Record<string, unknown>[]> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return [];
    throw error;
  }
  return text.split("\n").filter((line) => line !== "").map((line) => JSON.parse(line));
}

/**
 * Resolves once `path` holds an entry for `requestPath`: re-read on every change in its
 * directory (`Deno.watchFs`), within `ms`.
 */
async function entryIn(
  path: string,
  requestPath: string,
  ms = 5_000,
): Promise<Record<string, unknown>> {
  using watcher = Deno.watchFs(path.slice(0, path.lastIndexOf("/")));
  const find = async () => (await entries(path)).find((entry) => entry.path === requestPath);
  return await within(
    (async () => {
      let found = await find();
      if (found) return found;
      for await (const _ of watcher) {
        found = await find();
        if (found) return found;
      }
      throw new Error("the watcher closed");
    })(),
    ms,
    `an entry for ${requestPath} in ${path}`,
  );
}

Deno.test("access log to a file: SIGUSR1 after a rename reopens it, new lines go to a new file", async () => {
  const dir = await Deno.makeTempDir({ prefix: "sluice-log-" });
  try {
    const log = `${dir}/access.log`;
    await using upstream = startUpstream("one");
    await using proc = spawnMain([`--allow-net`, `--allow-write=${dir}`, `--allow-read=${dir}`], [
      "--host",
      "127.0.0.1",
      "--port",
      "0",
      "--backends",
      upstream.url,
      "--log-format",
      "json",
      "--access-log",
      log,
    ]);
    const start = await proc.line(isListeningLine);
    const base = `http://127.0.0.1:${start.port}`;
    assert.equal((await get(base + "/before")).status, 200);
    const before = await entryIn(log, "/before");
    assert.equal(before.logger, "sluice.access");
    assert.equal(before.status, 200);
    // logrotate: rename, then signal.
    await Deno.rename(log, `${log}.1`);
    proc.child.kill("SIGUSR1");
    await proc.line((e) =>
      e.logger === "sluice.app" && e.message === `Access log reopened: ${log}`
    );
    assert.equal((await get(base + "/after")).status, 200);
    await entryIn(log, "/after");
    proc.child.kill("SIGTERM");
    await within(proc.child.status, 10_000, "main.ts exiting");
    assert.deepEqual((await entries(`${log}.1`)).map((e) => e.path), ["/before"]);
    assert.deepEqual((await entries(log)).map((e) => e.path), ["/after"]);
    // Standard output kept the other logs and no access line.
    assert.ok(!(await proc.stdout).includes('"sluice.access"'));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("access log off: no access line, the other logs still written", async () => {
  await using upstream = startUpstream("one");
  await using proc = spawnMain(["--allow-net"], [
    "--host",
    "127.0.0.1",
    "--port",
    "0",
    "--backends",
    upstream.url,
    "--log-format",
    "json",
    "--access-log",
    "off",
  ]);
  const start = await proc.line(isListeningLine);
  assert.equal((await get(`http://127.0.0.1:${start.port}/`)).status, 200);
  proc.child.kill("SIGTERM");
  await within(proc.child.status, 10_000, "main.ts exiting");
  const stdout = await proc.stdout;
  assert.ok(stdout.includes("Shutdown complete"));
  assert.ok(!stdout.includes('"sluice.access"'));
});

Deno.test("access log to a file that cannot be opened: start-up fails and says why", async () => {
  await using proc = spawnMain(["--allow-net", "--allow-write=/tmp"], [
    "--host",
    "127.0.0.1",
    "--port",
    "0",
    "--access-log",
    "/nonexistent-dir/access.log",
  ]);
  assert.equal((await proc.child.status).code, 1);
  assert.match(await proc.stderr, /Cannot start Sluice: .*access\.log/);
});
