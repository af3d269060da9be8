/**
 * End-to-end: the arrays large bodies are read into are reused once written (the body array
 * pool, `internal/net/body_array_pool.ts`), and no byte of any body suffers from it — many
 * distinct 1 MiB bodies downloaded and uploaded at once, with compression on, and an upload
 * retried on another upstream with chunks kept for the replay while other transfers reuse
 * arrays.
 *
 * @module
 */

import assert from "node:assert/strict";
import { BODY_ARRAYS } from "../internal/net/body_array_pool.ts";
import { startSluice, startUpstream, within } from "./_fixtures.ts";
import { proxyTest, type Variant } from "./_matrix.ts";
import { writeAll } from "./_bytes.ts";

const MiB = 1024 * 1024;

/** 1 MiB whose bytes depend on `seed` and on their offset (no two bodies alike). */
function pattern(seed: number, length = MiB): Uint8Array<ArrayBuffer> {
  const bytes = new Uint8Array(length);
  let x = (seed * 2654435761) >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    // xorshift32: every offset of every body differs from a stale copy of another's.
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    bytes[i] = x & 0xff;
  }
  return bytes;
}

/** The first offset where `got` differs from `want`, -1 when equal. */
function firstDifference(got: Uint8Array, want: Uint8Array): number {
  if (got.length !== want.length) return Math.min(got.length, want.length);
  for (let i = 0; i < want.length; i++) if (got[i] !== want[i]) return i;
  return -1;
}

const PATTERNS = new Map<number, Uint8Array<ArrayBuffer>>();
function body(seed: number): Uint8Array<ArrayBuffer> {
  let bytes = PATTERNS.get(seed);
  if (bytes === undefined) PATTERNS.set(seed, bytes = pattern(seed));
  return bytes;
}

/**
 * `GET /d/<seed>` answers that body (with a Content-Length, or chunked with `?chunked`);
 * `POST|PUT /u/<seed>` checks the upload against it: `{ "difference": -1 }` when equal.
 */
function bodyUpstream(name: string, onUpload?: (request: Request) => Response | undefined) {
  return startUpstream(name, async (request) => {
    const url = new URL(request.url);
    const seed = Number(url.pathname.slice(3));
    const type = url.searchParams.has("text") ? "text/plain" : "application/octet-stream";
    if (url.pathname.startsWith("/d/")) {
      const bytes = body(seed);
      if (!url.searchParams.has("chunked")) {
        return new Response(bytes, { headers: { "content-type": type } });
      }
      let offset = 0;
      const stream = new ReadableStream<Uint8Array>({
        pull(controller) {
          if (offset >= bytes.length) return controller.close();
          // Odd-sized pieces: chunk boundaries fall anywhere in the pooled arrays.
          controller.enqueue(bytes.slice(offset, offset += 100_003));
        },
      });
      return new Response(stream, { headers: { "content-type": type } });
    }
    const early = onUpload?.(request);
    if (early !== undefined) return early;
    const got = new Uint8Array(await request.arrayBuffer());
    return Response.json({ difference: firstDifference(got, body(seed)) });
  });
}

async function download(url: string, seed: number, query = ""): Promise<void> {
  const response = await fetch(`${url}/d/${seed}${query}`);
  assert.equal(response.status, 200);
  const got = new Uint8Array(await response.arrayBuffer());
  assert.equal(firstDifference(got, body(seed)), -1, `download ${seed}${query} intact`);
}

async function upload(url: string, seed: number): Promise<void> {
  const response = await fetch(`${url}/u/${seed}`, { method: "POST", body: body(seed) });
  assert.equal(response.status, 200);
  assert.deepEqual(await response.json(), { difference: -1 }, `upload ${seed} intact`);
}

/** Whether the variant's listener and transport both read and release pooled arrays. */
function reuses(variant: Variant): boolean {
  return variant.transport === "http1" && variant.listener === "http1";
}

/** Rounds of concurrent downloads and uploads, every body distinct and checked. */
async function transfers(url: string, rounds: number, query: string): Promise<void> {
  let seed = 0;
  for (let round = 0; round < rounds; round++) {
    const all: Promise<void>[] = [];
    for (let i = 0; i < 8; i++) {
      all.push(download(url, ++seed, query));
      all.push(download(url, ++seed, query + (query ? "&" : "?") + "chunked"));
      all.push(upload(url, ++seed));
    }
    await Promise.all(all);
  }
}

proxyTest(
  "body arrays: concurrent 1 MiB downloads and uploads stay intact while arrays are reused",
  async (variant) => {
    await using a = bodyUpstream("a");
    await using b = bodyUpstream("b");
    await using sluice = await startSluice(variant, ["--backends", `${a.url},${b.url}`]);
    const before = BODY_ARRAYS.reused;
    await within(transfers(sluice.url, 4, ""), 60_000, "the transfers");
    if (reuses(variant)) assert.ok(BODY_ARRAYS.reused - before >= 24, "arrays were reused");
  },
);

proxyTest(
  "body arrays: with compression on, compressed and plain bodies stay intact",
  async (variant) => {
    await using a = bodyUpstream("a");
    await using sluice = await startSluice(variant, ["--backends", a.url, "--compression"]);
    // text/plain is compressed (the pooled chunks go into the compressor, never to the client);
    // octet-stream bodies and uploads pass through the pool.
    await within(
      Promise.all([transfers(sluice.url, 2, "?text"), transfers(sluice.url, 2, "")]),
      60_000,
      "the transfers",
    );
    const response = await fetch(`${sluice.url}/d/1?text`);
    assert.match(response.headers.get("content-encoding") ?? "", /^(br|gzip)$/, "compressed");
    await response.body?.cancel();
  },
);

/**
 * An upload whose first attempt gets a 503 after Sluice sent it part of the body: the retry on
 * the other upstream replays the kept chunks (lent by the pool, retained by the retry buffer)
 * and streams the rest. The client holds the rest back until the retry has begun, so the body
 * never outgrows the retry buffer; meanwhile other transfers take and release arrays.
 */
proxyTest(
  "body arrays: a retried upload replays its kept chunks intact while other transfers reuse arrays",
  async (variant) => {
    const seed = 4242;
    const whole = body(seed);
    let uploads = 0;
    const retried = Promise.withResolvers<void>();
    const firstSeen = Promise.withResolvers<void>();
    const onUpload = (request: Request) => {
      if (!request.url.includes(`/u/${seed}`)) return undefined;
      if (++uploads === 1) {
        firstSeen.resolve();
        return new Response("busy", { status: 503 });
      }
      retried.resolve();
      return undefined;
    };
    await using a = bodyUpstream("a", onUpload);
    await using b = bodyUpstream("b", onUpload);
    const config = await Deno.makeTempFile({ suffix: ".json" });
    try {
      await Deno.writeTextFile(
        config,
        JSON.stringify({ proxy: { retries: 1, retry_buffer: "512kb" } }),
      );
      await using sluice = await startSluice(variant, [
        "--config",
        config,
        "--backends",
        `${a.url},${b.url}`,
      ]);
      const { hostname, port } = new URL(sluice.url);
      using conn = await Deno.connect({ hostname, port: Number(port) });
      const head = `PUT /u/${seed} HTTP/1.1\r\nHost: x\r\nContent-Length: ${MiB}\r\n` +
        "Content-Type: application/octet-stream\r\n\r\n";
      const held = 200 * 1024;
      await writeAll(conn, head);
      await writeAll(conn, whole.subarray(0, held));
      await within(firstSeen.promise, 10_000, "the first attempt");
      await within(retried.promise, 10_000, "the retry on the other upstream");
      // Arrays are taken and released by other transfers before the rest of the upload.
      await within(transfers(sluice.url, 1, ""), 30_000, "the other transfers");
      await writeAll(conn, whole.subarray(held));
      const response = await within(readResponse(conn), 10_000, "the upload's response");
      assert.equal(response.status, 200);
      assert.deepEqual(JSON.parse(response.body), { difference: -1 });
      assert.equal(uploads, 2);
    } finally {
      await Deno.remove(config);
    }
  },
);

/** Reads one response with a Content-Length body from a raw connection. */
async function readResponse(conn: Deno.Conn): Promise<{ status: number; body: string }> {
  const decoder = new TextDecoder();
  let text = "";
  const buffer = new Uint8Array(64 * 1024);
  for (;;) {
    const end = text.indexOf("\r\n\r\n");
    if (end >= 0) {
      const length = Number(/\r\ncontent-length: *(\d+)/i.exec(text)?.[1] ?? "0");
      if (text.length - end - 4 >= length) {
        return {
          status: Number(text.slice(9, 12)),
          body: text.slice(end + 4, end + 4 + length),
        };
      }
    }
    const n = await conn.read(buffer);
    if (n === null) throw new Error(`connection closed after ${JSON.stringify(text)}`);
    text += decoder.decode(buffer.subarray(0, n));
  }
}
