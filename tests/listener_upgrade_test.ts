/**
 * End-to-end: protocol upgrades on the `Deno.serve` listener are refused with a 501 that names
 * the option which supports them, instead of a 200 and a failed handshake.
 *
 * @module
 */

import * as assert from "node:assert/strict";
import { startSluice, startUpstream } from "./_fixtures.ts";
import { rawRequest } from "./_raw_http.ts";

const decoder = new TextDecoder();

Deno.test("serve listener: a WebSocket upgrade gets 501 naming --listener http1, the upstream sees nothing", async () => {
  await using up = startUpstream("up", () => new Response("upgraded?"));
  await using sluice = await startSluice(["--backends", up.url, "--listener", "serve"]);
  const raw = await rawRequest(
    sluice.url,
    "GET /chat HTTP/1.1\r\nHost: sluice.test\r\nConnection: Upgrade, close\r\nUpgrade: websocket\r\n" +
      "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n",
  );
  assert.equal(raw.status, 501);
  assert.match(decoder.decode(raw.body), /--listener http1/);
  assert.equal(up.seen.length, 0);

  // Control: the same request without Connection: upgrade is an ordinary request.
  const plain = await rawRequest(
    sluice.url,
    "GET /chat HTTP/1.1\r\nHost: sluice.test\r\nUpgrade: websocket\r\nConnection: close\r\n\r\n",
  );
  assert.equal(plain.status, 200);
  assert.equal(up.seen.length, 1);
});
