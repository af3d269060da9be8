/**
 * End-to-end, raw sockets: a client too slow to send its body gets 408 and is never reported to
 * passive health checks; only upstream failures eject an upstream (issue 9, item 3).
 *
 * @module
 */

import assert from "node:assert/strict";
import { proxyTest } from "../_matrix.ts";
import { startSluice, within } from "../_fixtures.ts";
import { startRecordingUpstream } from "../_recording_upstream.ts";

/**
 * Opens a connection, sends a request head announcing `length` bytes and only 10 of them, and
 * resolves with the status line's code once Sluice answers (the connection is then closed).
 */
async function slowUpload(url: string, length: number): Promise<number> {
  const { hostname, port } = new URL(url);
  using conn = await Deno.connect({ hostname, port: Number(port) });
  await conn.write(
    new TextEncoder().encode(
      `POST /upload HTTP/1.1\r\nHost: a\r\nContent-Length: ${length}\r\n\r\n0123456789`,
    ),
  );
  const buffer = new Uint8Array(4096);
  let text = "";
  for (let n; !text.includes("\r\n") && (n = await conn.read(buffer)) !== null;) {
    text += new TextDecoder().decode(buffer.subarray(0, n));
  }
  return Number(text.split(" ")[1]);
}

proxyTest(
  "slow client: fifteen stalled uploads get 408 and leave every upstream in the pool",
  async (variant) => {
    await using u1 = startRecordingUpstream();
    await using u2 = startRecordingUpstream();
    await using u3 = startRecordingUpstream();
    await using sluice = await startSluice(variant, [
      "--backends",
      [u1.url, u2.url, u3.url].join(","),
      "--backend-timeout",
      "300ms",
      "--passive-failures",
      "2",
    ]);
    const statuses = await within(
      Promise.all(Array.from({ length: 15 }, () => slowUpload(sluice.url, 200_000))),
      10_000,
      "answers to the stalled uploads",
    );
    assert.deepEqual(statuses, Array(15).fill(408));
    const pool = sluice.app.pool.list();
    assert.deepEqual(pool.map((u) => u.ejectedUntil), [null, null, null], "no upstream ejected");
    assert.equal(sluice.app.pool.available().length, 3);
    assert.deepEqual(pool.map((u) => u.failuresTotal), [0, 0, 0], "no failure counted upstream");
  },
);

proxyTest(
  "slow client: a stalled small upload (read whole before any upstream) gets 408",
  async (variant) => {
    await using up = startRecordingUpstream();
    await using sluice = await startSluice(variant, [
      "--backends",
      up.url,
      "--backend-timeout",
      "300ms",
    ]);
    const status = await within(slowUpload(sluice.url, 100), 5_000, "the answer");
    assert.equal(status, 408);
    assert.equal(up.requests.length, 0, "never reached the upstream");
    assert.equal(sluice.app.pool.list()[0]!.failuresTotal, 0);
  },
);

proxyTest("slow client: a stalled chunked upload gets 408 too", async (variant) => {
  await using up = startRecordingUpstream();
  await using sluice = await startSluice(variant, [
    "--backends",
    up.url,
    "--backend-timeout",
    "300ms",
  ]);
  const { hostname, port } = new URL(sluice.url);
  using conn = await Deno.connect({ hostname, port: Number(port) });
  await conn.write(
    new TextEncoder().encode(
      "POST /upload HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n",
    ),
  );
  const buffer = new Uint8Array(4096);
  const n = await within(conn.read(buffer), 5_000, "the answer");
  assert.match(new TextDecoder().decode(buffer.subarray(0, n ?? 0)), /^HTTP\/1\.1 408 /);
  assert.equal(sluice.app.pool.list()[0]!.failuresTotal, 0);
});
