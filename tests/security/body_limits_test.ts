/**
 * End-to-end, raw sockets: `--max-body-size` holds for every framing of a request body
 * (issue 9, item 2), and what reaches the upstream is what the client declared, framed once.
 *
 * @module
 */

import assert from "node:assert/strict";
import { proxyTest } from "../_matrix.ts";
import { startSluice } from "../_fixtures.ts";
import { rawRequest } from "../_raw_http.ts";
import { startRecordingUpstream } from "../_recording_upstream.ts";

const MB5 = 5 * 1024 * 1024;

/** Sends `head` and `bodyBytes` bytes of body; the answer may come before the body is sent. */
async function send(url: string, head: string, bodyBytes: number): Promise<number> {
  const { hostname, port } = new URL(url);
  using conn = await Deno.connect({ hostname, port: Number(port) });
  await conn.write(new TextEncoder().encode(head));
  const chunk = new Uint8Array(64 * 1024).fill(0x61);
  // Sluice may answer and close while the body is still being written: that is the point.
  try {
    for (let sent = 0; sent < bodyBytes;) {
      sent += await conn.write(chunk.subarray(0, Math.min(chunk.length, bodyBytes - sent)));
    }
  } catch { /* connection closed by Sluice after its answer */ }
  const buffer = new Uint8Array(4096);
  let text = "";
  for (let n; (n = await conn.read(buffer).catch(() => null)) !== null;) {
    text += new TextDecoder().decode(buffer.subarray(0, n));
    if (text.includes("\r\n")) break;
  }
  return Number(text.split(" ")[1]);
}

proxyTest(
  "body limit: Content-Length sent twice with the same value is one value, over the limit is 413",
  async (variant) => {
    await using up = startRecordingUpstream();
    await using sluice = await startSluice(variant, [
      "--backends",
      up.url,
      "--max-body-size",
      "1kb",
    ]);
    const status = await send(
      sluice.url,
      `POST /upload HTTP/1.1\r\nHost: a\r\nContent-Length: ${MB5}\r\nContent-Length: ${MB5}\r\n` +
        "Connection: close\r\n\r\n",
      MB5,
    );
    assert.equal(status, 413);
    assert.equal(up.requests.length, 0, "nothing reached the upstream");
  },
);

proxyTest(
  "body limit: duplicate identical Content-Length under the limit goes upstream as one",
  async (variant) => {
    await using up = startRecordingUpstream();
    await using sluice = await startSluice(variant, [
      "--backends",
      up.url,
      "--max-body-size",
      "1kb",
    ]);
    const response = await rawRequest(
      sluice.url,
      "POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello",
    );
    assert.equal(response.status, 200);
    await up.waitForRequests(1, 5_000);
    const seen = up.requests[0]!;
    assert.equal(seen.framing, "content-length");
    assert.deepEqual(seen.headerList.filter(([n]) => n === "content-length"), [[
      "content-length",
      "5",
    ]]);
    assert.equal(new TextDecoder().decode(seen.body), "hello");
  },
);

proxyTest(
  "body limit: holds for a single Content-Length, chunked, and large chunks",
  async (variant) => {
    await using up = startRecordingUpstream();
    await using sluice = await startSluice(variant, [
      "--backends",
      up.url,
      "--max-body-size",
      "1kb",
    ]);
    assert.equal(
      await send(
        sluice.url,
        "POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 100000\r\nConnection: close\r\n\r\n",
        100_000,
      ),
      413,
      "Content-Length over the limit",
    );
    // Chunked: one 2 KiB chunk, then the end.
    const chunk = "a".repeat(2048);
    const chunked = await rawRequest(
      sluice.url,
      `POST /x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n` +
        `800\r\n${chunk}\r\n0\r\n\r\n`,
    );
    assert.equal(chunked.status, 413, "chunked body over the limit");
    // Many small chunks adding up past the limit.
    const small = Array.from({ length: 40 }, () => `40\r\n${"b".repeat(64)}\r\n`).join("");
    const many = await rawRequest(
      sluice.url,
      `POST /x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n${small}0\r\n\r\n`,
    );
    assert.equal(many.status, 413, "small chunks over the limit");
    assert.ok(
      up.requests.every((r) => r.body.length <= 1024),
      "no body over the limit was received whole upstream",
    );
    // Within the limit, chunked: passes whole.
    const ok = await rawRequest(
      sluice.url,
      `POST /x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n5\r\nhello\r\n0\r\n\r\n`,
    );
    assert.equal(ok.status, 200);
    const last = up.requests.at(-1)!;
    assert.equal(new TextDecoder().decode(last.body), "hello");
  },
);

proxyTest(
  "body limit: differing Content-Lengths, CL with chunked and bad values are refused",
  async (variant) => {
    await using up = startRecordingUpstream();
    await using sluice = await startSluice(variant, [
      "--backends",
      up.url,
      "--max-body-size",
      "1kb",
    ]);
    const heads = [
      "Content-Length: 5\r\nContent-Length: 6\r\n",
      "Content-Length: 5, 6\r\n",
      "Content-Length: -5\r\n",
      "Content-Length: +5\r\n",
      "Content-Length: 0x5\r\n",
      "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n",
    ];
    for (const head of heads) {
      const response = await rawRequest(
        sluice.url,
        `POST /x HTTP/1.1\r\nHost: a\r\n${head}Connection: close\r\n\r\nhello`,
      );
      assert.equal(response.status, 400, JSON.stringify(head));
    }
    assert.equal(up.requests.length, 0);
  },
);

proxyTest(
  "body limit: an HTTP/1.0 request without a length has no body upstream",
  async (variant) => {
    await using up = startRecordingUpstream();
    await using sluice = await startSluice(variant, [
      "--backends",
      up.url,
      "--max-body-size",
      "1kb",
    ]);
    const response = await rawRequest(
      sluice.url,
      `POST /x HTTP/1.0\r\nHost: a\r\n\r\n${"c".repeat(4096)}`,
    );
    assert.equal(response.status, 200);
    await up.waitForRequests(1, 5_000);
    const seen = up.requests[0]!;
    // fetch (the transport) sends POST without a body as `Content-Length: 0`, never chunked.
    assert.notEqual(seen.framing, "chunked", "no invented chunked body");
    assert.equal(seen.body.length, 0);
  },
);
