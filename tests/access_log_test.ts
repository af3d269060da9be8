/**
 * End-to-end test of the batched access log: `main.ts` as a process writes one line per request,
 * none lost when SIGTERM comes right after the last response.
 */
import assert from "node:assert/strict";
import { startUpstream } from "./_fixtures.ts";
import { isListeningLine, spawnMain } from "./_process.ts";

const REQUESTS = 600;
const CLIENTS = 20;

Deno.test("access log: N requests then SIGTERM at once give N lines (the batch is flushed at exit)", async () => {
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
  ]);
  const start = await proc.line(isListeningLine);
  let next = 0;
  const client = async () => {
    while (next < REQUESTS) {
      const id = `r${next++}`;
      const response = await fetch(`http://127.0.0.1:${start.port}/${id}`, {
        headers: { "x-request-id": id },
      });
      assert.equal(await response.text(), "one");
    }
  };
  await Promise.all(Array.from({ length: CLIENTS }, client));
  proc.child.kill("SIGTERM");
  assert.equal((await proc.child.status).code, 0);
  const ids = new Set<string>();
  for (const line of (await proc.stdout).split("\n")) {
    if (line === "") continue;
    const entry = JSON.parse(line);
    if (entry.logger === "sluice.access") ids.add(entry.request_id);
  }
  assert.equal(ids.size, REQUESTS);
});
