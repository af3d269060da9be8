/**
 * End-to-end: out of file descriptors (EMFILE), Sluice keeps serving the connections it has,
 * logs the failure at error level, counts it in `sluice_accept_errors_total`, and accepts again
 * once descriptors are free — it never exits (issue 9, item 6).
 *
 * @module
 */

import assert from "node:assert/strict";
import { freePort, within } from "../_fixtures.ts";
import { spawnMain } from "../_process.ts";
import { startRecordingUpstream } from "../_recording_upstream.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Sends a keep-alive GET on `conn` and resolves with the status of its answer (body `ok`). */
async function getOn(conn: Deno.Conn): Promise<number> {
  await conn.write(encoder.encode("GET /still HTTP/1.1\r\nHost: a\r\n\r\n"));
  const buffer = new Uint8Array(4096);
  let text = "";
  while (!text.endsWith("\r\n\r\nok")) {
    const n = await conn.read(buffer);
    if (n === null) throw new Error(`connection closed after ${JSON.stringify(text)}`);
    text += decoder.decode(buffer.subarray(0, n));
  }
  return Number(text.split(" ")[1]);
}

Deno.test("EMFILE: more idle connections than `ulimit -n` do not stop Sluice (--listener serve)", async () => {
  await using up = startRecordingUpstream();
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
      "--log-format",
      "json",
      "--listener",
      "serve",
    ],
    { stderrLines: true, nofile: 256, env: {} },
  );
  const message = (text: string) => (entry: Record<string, unknown>) =>
    String(entry.message).includes(text);
  await sluice.line(message("Sluice listening"), 15_000);
  let exited = false;
  void sluice.child.status.then(() => exited = true);

  using keep = await Deno.connect({ hostname: "127.0.0.1", port });
  assert.equal(await getOn(keep), 200, "served before");

  const idle: Deno.Conn[] = [];
  try {
    // Until the descriptors run out: then Deno.serve's listener closes, refusing (or resetting
    // mid-handshake) the rest.
    for (let i = 0; i < 400; i++) {
      try {
        idle.push(await Deno.connect({ hostname: "127.0.0.1", port }));
      } catch (error) {
        const closed = error instanceof Deno.errors.ConnectionRefused ||
          error instanceof Deno.errors.ConnectionReset;
        if (!closed) throw error;
        break;
      }
    }
    const logged = await sluice.line(message("cannot accept connections"), 15_000);
    assert.equal(logged.level, "error");
    assert.match(String(logged.message), /Too many open files/);
    assert.equal(await within(getOn(keep), 10_000, "the open connection's answer"), 200);
  } finally {
    for (const conn of idle) conn.close();
  }

  // Accepting again once the descriptors are free: each failed try waits for the next restart.
  let served = false;
  for (let attempt = 0; attempt < 10 && !served; attempt++) {
    try {
      using conn = await Deno.connect({ hostname: "127.0.0.1", port });
      served = await within(getOn(conn), 5_000, "a new connection's answer") === 200;
    } catch {
      await sluice.line(message("accepts connections again"), 10_000);
    }
  }
  assert.ok(served, "a new connection is served again");

  const metrics = await (await fetch(`http://127.0.0.1:${adminPort}/metrics`)).text();
  const count = Number(/^sluice_accept_errors_total (\d+)/m.exec(metrics)?.[1]);
  assert.ok(count >= 1, `sluice_accept_errors_total is ${count}`);
  assert.equal(exited, false, "Sluice is still running");
});
