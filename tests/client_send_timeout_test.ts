/**
 * End-to-end: the http1 listener's send timeout (`--client-send-timeout`,
 * `timeouts.client_send`; nginx `send_timeout`) on real sockets — a client that never reads
 * its response is cut, logged as a client abort (499) and the upstream's response is dropped;
 * a client that reads slowly but steadily is served to the end.
 *
 * @module
 */

import * as assert from "node:assert/strict";
import { writeAll } from "./_bytes.ts";
import { startSluice, startUpstream, within } from "./_fixtures.ts";

const CHUNK = 64 * 1024;

/**
 * A response body of `bytes` made as it is read (64 KiB chunks of `x`); `cancelled` resolves
 * when the reader gives up (Deno.serve cancels it when Sluice closes the upstream connection).
 */
function largeBody(bytes: number): { body: ReadableStream<Uint8Array>; cancelled: Promise<void> } {
  const cancelled = Promise.withResolvers<void>();
  let left = bytes;
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      const n = Math.min(CHUNK, left);
      left -= n;
      controller.enqueue(new Uint8Array(n).fill(0x78));
      if (left === 0) controller.close();
    },
    cancel() {
      cancelled.resolve();
    },
  }, { highWaterMark: 0 });
  return { body, cancelled: cancelled.promise };
}

async function request(url: string, path: string): Promise<Deno.TcpConn> {
  const { hostname, port } = new URL(url);
  const conn = await Deno.connect({ hostname, port: Number(port) });
  await writeAll(conn, `GET ${path} HTTP/1.1\r\nHost: lb\r\n\r\n`);
  return conn;
}

/** Reads `conn` to its end; resolves with the byte count (a reset ends it too). */
async function drain(conn: Deno.Conn, pauseMs = 0): Promise<number> {
  const buffer = new Uint8Array(256 * 1024);
  let total = 0;
  try {
    for (let n; (n = await conn.read(buffer)) !== null;) {
      total += n;
      if (pauseMs > 0) await new Promise((resolve) => setTimeout(resolve, pauseMs));
    }
  } catch {
    // Reset by the proxy: what was read is the count.
  }
  return total;
}

Deno.test("client send timeout: a client that never reads its response is cut, logged 499, the upstream response dropped", async () => {
  // 256 MiB: far more than the loopback socket buffers hold, so Sluice's writes stall.
  let upstreamCancelled: Promise<void> | undefined;
  await using up = startUpstream("up", () => {
    const { body, cancelled } = largeBody(256 * 1024 * 1024);
    upstreamCancelled = cancelled;
    return new Response(body, { headers: { "content-type": "application/octet-stream" } });
  });
  const logged = Promise.withResolvers<{ status: number }>();
  await using sluice = await startSluice([
    "--backends",
    up.url,
    "--listener",
    "http1",
    "--client-send-timeout",
    "300ms",
  ], {
    accessLogLines: (line) => {
      const entry = JSON.parse(line);
      if (entry.path === "/large") logged.resolve(entry);
    },
  });
  using conn = await request(sluice.url, "/large");
  // The client reads nothing until the proxy has given up on it.
  const entry = await within(logged.promise, 10_000, "the access log line of the cut response");
  assert.equal(entry.status, 499, "a client that stopped reading is a client abort");
  assert.ok(upstreamCancelled, "the upstream got the request");
  await within(upstreamCancelled, 10_000, "the upstream response cancelled (connection closed)");
  // What the kernel buffered arrives, then the connection ends, far short of the body.
  const received = await within(drain(conn), 10_000, "the client connection closed");
  assert.ok(received < 256 * 1024 * 1024, `only part of the body arrived: ${received} bytes`);
  assert.equal(sluice.app.status().clients.connections, 0, "no client connection left open");
  // Never blamed on the upstream: still up, and it serves the next request in full.
  assert.equal(sluice.app.pool.available().length, 1);
});

Deno.test("client send timeout: a client that reads slowly but steadily gets the whole response", async () => {
  // 32 MiB read 256 KiB at a time with a pause after each read: seconds in all, far past the
  // 300 ms send timeout, with Sluice's writes stalled on full socket buffers between reads.
  const size = 32 * 1024 * 1024;
  await using up = startUpstream("up", () => new Response(largeBody(size).body));
  const logged = Promise.withResolvers<{ status: number; bytes: number }>();
  await using sluice = await startSluice([
    "--backends",
    up.url,
    "--listener",
    "http1",
    "--client-send-timeout",
    "300ms",
  ], {
    accessLogLines: (line) => {
      const entry = JSON.parse(line);
      if (entry.path === "/slow") logged.resolve(entry);
    },
  });
  using conn = await request(sluice.url, "/slow");
  const reading = drain(conn, 15);
  const entry = await within(logged.promise, 30_000, "the access log line of the whole response");
  assert.equal(entry.status, 200);
  conn.closeWrite();
  const received = await within(reading, 30_000, "the client read the whole response");
  assert.ok(received > size, `the head and the whole body arrived: ${received} bytes`);
});
