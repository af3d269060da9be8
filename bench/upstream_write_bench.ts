/**
 * The http1 transport's request-head write over loopback: the head encoded into a fresh array
 * per write (before) or into a reused buffer and written from a view of it (`WriteBuffers`).
 * A peer reads and drops everything, so each write completes at once.
 *
 * Run: `deno bench --allow-net bench/upstream_write_bench.ts`
 *
 * @module
 */

import { encodeLatin1, encodeLatin1Into } from "../internal/proxy/http1/request_head.ts";
import { WriteBuffers } from "../internal/net/mod.ts";

const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
const accepted = listener.accept();
const conn = await Deno.connect({ hostname: "127.0.0.1", port: listener.addr.port });
const peer = await accepted;
listener.close();
void (async () => {
  const sink = new Uint8Array(1 << 20);
  try {
    while (await peer.read(sink) !== null) { /* dropped */ }
  } catch { /* closed */ }
})();

const head = "GET /api/v1/items/42 HTTP/1.1\r\nhost: 127.0.0.1:19001\r\n" +
  "x-forwarded-for: 10.1.2.3\r\nx-forwarded-proto: http\r\nx-forwarded-host: shop.example\r\n" +
  "forwarded: for=10.1.2.3;host=shop.example;proto=http\r\nx-real-ip: 10.1.2.3\r\n" +
  "x-request-id: 9b2c6a0e-2f4d-4c1b-8a47-3f0f0f6c0d11\r\n\r\n";
const buffers = new WriteBuffers();

Deno.bench("request head write: fresh array per write", { group: "write" }, async () => {
  await conn.write(encodeLatin1(head).bytes);
});
Deno.bench("request head write: reused buffer (WriteBuffers)", { group: "write" }, async () => {
  const buffer = buffers.take(head.length);
  try {
    await conn.write(buffer.subarray(0, encodeLatin1Into(head, buffer)));
  } finally {
    buffers.give(buffer);
  }
});

globalThis.addEventListener("unload", () => {
  conn.close();
  peer.close();
});
