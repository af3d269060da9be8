/**
 * End-to-end: 20 000 idle client connections against Sluice (`--listener http1`) running under
 * `ulimit -n 4096`. Sluice runs out of descriptors, keeps running (EMFILE on accept backs off
 * and retries, logged and counted), and serves again once the connections are closed.
 *
 * @module
 */

import * as assert from "node:assert/strict";
import { freePort, startUpstream, within } from "./_fixtures.ts";
import { spawnMain } from "./_process.ts";

const CLIENTS = new URL("./testdata/idle_clients.ts", import.meta.url).pathname;

Deno.test("http1 listener: 20 000 idle connections under ulimit -n 4096 leave Sluice up and serving once closed", async () => {
  await using up = startUpstream("up", () => new Response("ok"));
  const port = freePort();
  const adminPort = freePort();
  await using sluice = spawnMain(
    ["--allow-net", "--allow-read", "--allow-env=SLUICE_*"],
    [
      "--host",
      "127.0.0.1",
      "--port",
      String(port),
      "--admin-port",
      String(adminPort),
      "--backends",
      up.url,
      "--listener",
      "http1",
      // Health checks fail too while descriptors are out: quick ones bring the upstream back.
      "--health-interval",
      "200ms",
      "--log-format",
      "json",
    ],
    { stderrLines: true, nofile: 4096, env: {} },
  );
  await sluice.line((entry) => String(entry.message).includes("Sluice listening"), 15_000);
  let exited = false;
  void sluice.child.status.then(() => exited = true);

  // The client in its own process, its limit raised as far as the hard limit lets it: 20 000
  // sockets need as many descriptors in the client too.
  const client = new Deno.Command("bash", {
    args: [
      "-c",
      'ulimit -n "$(ulimit -Hn)" && exec "$@"',
      "bash",
      Deno.execPath(),
      "run",
      "--allow-net",
      CLIENTS,
      String(port),
      "20000",
    ],
    stdin: "piped",
    stdout: "piped",
    stderr: "null",
  }).spawn();
  const stdin = client.stdin.getWriter();
  try {
    const reader = client.stdout.pipeThrough(new TextDecoderStream()).getReader();
    let text = "";
    while (!text.includes("\n")) {
      const { done, value } = await within(reader.read(), 120_000, "the client's count");
      if (done) break;
      text += value;
    }
    reader.releaseLock();
    const counts = JSON.parse(text) as { opened: number; failed: number; clientLimited: number };
    // More than Sluice's 4096 descriptors were really asked for.
    assert.ok(counts.opened > 4096, `only ${JSON.stringify(counts)}`);
    assert.equal(exited, false, "Sluice exited while out of descriptors");
    const logged = await sluice.line(
      (entry) => String(entry.message).includes("Out of file descriptors"),
      15_000,
    );
    assert.equal(logged.level, "error");
  } finally {
    await stdin.close().catch(() => {});
    await client.status;
    await client.stdout.cancel().catch(() => {});
  }

  // Closed: served again (Sluice sees the closes, frees the descriptors, accepts again, and
  // its health checks find the upstream again).
  let status = 0;
  for (let attempt = 0; attempt < 40 && status !== 200; attempt++) {
    // Only an UP logged after this request counts: the start-up's own UP line would end the
    // wait at once and spend the attempts while the upstream is still down.
    const mark = sluice.lines.length;
    try {
      const response = await within(fetch(`http://127.0.0.1:${port}/after`), 5_000, "answer");
      status = response.status;
      await response.body?.cancel();
      // 503 while the upstream is still down after the failed checks: wait for it to rise.
      if (status === 503) {
        await sluice.line((entry) => / is UP\b/.test(String(entry.message)), 10_000, mark)
          .catch(() => {});
      }
    } catch {
      // Still freeing descriptors: the next try.
    }
  }
  assert.equal(status, 200, "served after the connections closed");
  const metrics = await (await fetch(`http://127.0.0.1:${adminPort}/metrics`)).text();
  const errors = Number(/^sluice_accept_errors_total (\d+)/m.exec(metrics)?.[1]);
  assert.ok(errors >= 1, `sluice_accept_errors_total is ${errors}`);
  assert.equal(exited, false, "Sluice is still running");
});
