/**
 * One exchange of the http1 transport over loopback, as the proxy's defaults make it: a GET
 * with the headers Sluice adds, on a pooled keep-alive connection, answered like nginx's
 * `return 200 "hello\n"` (the response read whole, its headers stripped of hop-by-hop fields,
 * the connection back in the pool). The upstream runs in this process and allocates nothing
 * per request (a fixed answer written from one array), so the bytes per call are the
 * transport's. Time per call from `deno bench`; bytes allocated per call are printed before the
 * benchmarks run (method: `bench/_alloc.ts`).
 *
 * Run: `deno bench --allow-net bench/http1_transport_bench.ts`
 *
 * @module
 */

import { bytesPerAsyncCall, keep } from "./_alloc.ts";
import { Http1Transport } from "../internal/proxy/mod.ts";
import { Cancellation } from "../internal/proxy/cancellation.ts";
import type { HeaderList } from "../internal/proxy/headers.ts";

const ANSWER = new TextEncoder().encode(
  "HTTP/1.1 200 OK\r\nServer: nginx/1.22.1\r\nDate: Thu, 03 Dec 2026 17:00:00 GMT\r\n" +
    "Content-Type: application/octet-stream\r\nContent-Length: 6\r\nConnection: keep-alive\r\n" +
    "\r\nhello\n",
);

/** Answers every request head (no bodies) with {@linkcode ANSWER}. */
async function serve(conn: Deno.Conn): Promise<void> {
  const buffer = new Uint8Array(65536);
  let matched = 0; // bytes of "\r\n\r\n" matched so far
  try {
    for (;;) {
      const n = await conn.read(buffer);
      if (n === null) break;
      let heads = 0;
      for (let i = 0; i < n; i++) {
        const byte = buffer[i];
        matched = byte === (matched % 2 === 0 ? 13 : 10) ? matched + 1 : (byte === 13 ? 1 : 0);
        if (matched === 4) {
          heads++;
          matched = 0;
        }
      }
      for (; heads > 0; heads--) {
        for (let written = 0; written < ANSWER.length;) {
          written += await conn.write(ANSWER.subarray(written));
        }
      }
    }
  } catch {
    // closed at the end
  } finally {
    conn.close();
  }
}

const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
void (async () => {
  for await (const conn of listener) void serve(conn);
})();

const transport = new Http1Transport();
const origin = `http://127.0.0.1:${listener.addr.port}`;
const target = "/api/v1/items/42";
const headers: HeaderList = [
  ["host", "shop.example"],
  ["x-forwarded-for", "10.1.2.3"],
  ["x-forwarded-proto", "http"],
  ["x-forwarded-host", "shop.example"],
  ["forwarded", "for=10.1.2.3;host=shop.example;proto=http"],
  ["x-real-ip", "10.1.2.3"],
  ["x-request-id", "9b2c6a0e-2f4d-4c1b-8a47-3f0f0f6c0d11"],
];

async function exchange(): Promise<void> {
  const response = await transport.send({
    // As forward() sends it: the joined URL, and its origin and target apart.
    url: origin + target,
    origin,
    target,
    method: "GET",
    headers,
    body: null,
    signal: new Cancellation(),
  });
  keep(response);
}

const rows: [string, number][] = [
  [
    "http1 transport: one pooled exchange, 6-byte answer",
    await bytesPerAsyncCall(exchange, { warmUp: 20_000, chunk: 50, chunks: 301 }),
  ],
];
// deno-lint-ignore no-console
console.log(
  `Bytes allocated per call (median of 301 chunks of 50)\n` +
    rows.map(([name, bytes]) => `${bytes.toFixed(0).padStart(7)}  ${name}`).join("\n"),
);

Deno.bench("http1 transport: one pooled exchange, 6-byte answer", exchange);

globalThis.addEventListener("unload", () => {
  transport.close();
  listener.close();
});
