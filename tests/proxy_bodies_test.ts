/**
 * End-to-end: request and response bodies stream through Sluice intact, unbuffered and
 * unmodified — large uploads and downloads, chunked uploads, server-sent events that outlive
 * the backend timeout, and compressed bodies passed through byte for byte.
 *
 * @module
 */

import assert from "node:assert/strict";
import { gzipSync } from "node:zlib";
import { startSluice, startUpstream, within } from "./_fixtures.ts";
import { proxyTest } from "./_matrix.ts";
import { rawGet } from "./_raw_http.ts";
import { startRawUpstream } from "./_raw_upstream.ts";

const MiB = 1024 * 1024;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

function randomBytes(length: number): Uint8Array<ArrayBuffer> {
  const bytes = new Uint8Array(length);
  // getRandomValues fills at most 65536 bytes per call.
  for (let offset = 0; offset < length; offset += 65536) {
    crypto.getRandomValues(bytes.subarray(offset, Math.min(offset + 65536, length)));
  }
  return bytes;
}

async function sha256(bytes: Uint8Array<ArrayBuffer> | ArrayBuffer): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** A stream of `bytes` in chunks of `chunkSize`, one chunk per pull (so it really streams). */
function chunkedStream(bytes: Uint8Array, chunkSize: number): ReadableStream<Uint8Array> {
  let offset = 0;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      // Yield a macrotask between chunks so they leave as separate writes.
      await new Promise((resolve) => setTimeout(resolve, 0));
      if (offset >= bytes.length) {
        controller.close();
        return;
      }
      controller.enqueue(bytes.slice(offset, offset + chunkSize));
      offset += chunkSize;
    },
  }, { highWaterMark: 0 });
}

/**
 * Reads server-sent events (the `data: …` lines) from a body. `cancel()` works even while a
 * read is pending, so a failed test never waits on a stream that does not end.
 */
class SseReader {
  readonly #reader: ReadableStreamDefaultReader<string>;
  #buffered = "";
  #pending: string[] = [];

  constructor(body: ReadableStream<Uint8Array>) {
    this.#reader = body.pipeThrough(new TextDecoderStream()).getReader();
  }

  /** The next event's data, or `undefined` at the end of the stream. */
  async next(): Promise<string | undefined> {
    while (this.#pending.length === 0) {
      const { done, value } = await this.#reader.read();
      if (done) return undefined;
      this.#buffered += value;
      let end: number;
      while ((end = this.#buffered.indexOf("\n\n")) >= 0) {
        const event = this.#buffered.slice(0, end);
        this.#buffered = this.#buffered.slice(end + 2);
        for (const line of event.split("\n")) {
          if (line.startsWith("data: ")) this.#pending.push(line.slice("data: ".length));
        }
      }
    }
    return this.#pending.shift();
  }

  async cancel(): Promise<void> {
    await this.#reader.cancel();
  }
}

// --- Tests ---

proxyTest("bodies: an 8 MiB upload reaches the upstream intact", async (variant) => {
  const upload = randomBytes(8 * MiB);
  const expected = await sha256(upload);
  await using up = startUpstream("up", async (request) => {
    const body = await request.arrayBuffer();
    return Response.json({ length: body.byteLength, sha256: await sha256(body) });
  });
  await using sluice = await startSluice(variant, ["--backends", up.url]);

  const response = await fetch(sluice.url + "/upload", { method: "POST", body: upload });
  assert.equal(response.status, 200);
  assert.deepEqual(await response.json(), { length: 8 * MiB, sha256: expected });
});

proxyTest("bodies: an 8 MiB download reaches the client intact", async (variant) => {
  const download = randomBytes(8 * MiB);
  const expected = await sha256(download);
  await using up = startUpstream(
    "up",
    () => new Response(download, { headers: { "content-type": "application/octet-stream" } }),
  );
  await using sluice = await startSluice(variant, ["--backends", up.url]);

  const response = await fetch(sluice.url + "/download");
  assert.equal(response.status, 200);
  assert.equal(response.headers.get("content-length"), String(8 * MiB));
  const body = await response.arrayBuffer();
  assert.equal(body.byteLength, 8 * MiB);
  assert.equal(await sha256(body), expected);
});

proxyTest("bodies: a small POST body arrives with a Content-Length", async (variant) => {
  const bodies: string[] = [];
  await using up = startUpstream("up", async (request) => {
    bodies.push(await request.text());
    return new Response("ok");
  });
  await using sluice = await startSluice(variant, ["--backends", up.url]);

  const text = JSON.stringify({ hello: "wörld" });
  const response = await fetch(sluice.url + "/small", {
    method: "POST",
    body: text,
    headers: { "content-type": "application/json" },
  });
  assert.equal(await response.text(), "ok");
  const seen = up.seen[0]!.headers;
  assert.equal(seen.get("content-length"), String(encoder.encode(text).length));
  assert.equal(seen.get("transfer-encoding"), null);
  assert.equal(seen.get("content-type"), "application/json");
  assert.deepEqual(bodies, [text]);
});

proxyTest("bodies: a chunked upload (stream without length) arrives intact", async (variant) => {
  // 200 KiB in 7 KiB chunks: more than the retry buffer, in many separate writes.
  const upload = randomBytes(200 * 1024);
  const expected = await sha256(upload);
  await using up = startUpstream("up", async (request) => {
    const body = await request.arrayBuffer();
    return new Response(await sha256(body));
  });
  await using sluice = await startSluice(variant, ["--backends", up.url]);

  const response = await fetch(sluice.url + "/chunked", {
    method: "PUT",
    body: chunkedStream(upload, 7 * 1024),
  });
  assert.equal(response.status, 200);
  assert.equal(await response.text(), expected);
  assert.equal(up.seen[0]!.headers.get("content-length"), null);
});

proxyTest("bodies: a small chunked upload arrives intact", async (variant) => {
  // Below the retry buffer: kept for a replay, still streamed.
  const parts = ["alpha,", "beta,", "gamma"];
  await using up = startUpstream("up", async (request) => new Response(await request.text()));
  await using sluice = await startSluice(variant, ["--backends", up.url]);

  const response = await fetch(sluice.url + "/chunked", {
    method: "POST",
    body: chunkedStream(encoder.encode(parts.join("")), 3),
  });
  assert.equal(response.status, 200);
  assert.equal(await response.text(), parts.join(""));
});

proxyTest(
  "bodies: a server-sent event reaches the client before the stream ends",
  async (variant) => {
    const release = Promise.withResolvers<void>();
    await using up = startUpstream("up", () =>
      new Response(
        new ReadableStream<Uint8Array>({
          async start(controller) {
            controller.enqueue(encoder.encode("data: first\n\n"));
            await release.promise;
            controller.enqueue(encoder.encode("data: second\n\n"));
            controller.close();
          },
        }),
        { headers: { "content-type": "text/event-stream", "cache-control": "no-cache" } },
      ));
    await using sluice = await startSluice(variant, ["--backends", up.url]);
    // Disposed first (reverse order): the client leaves, the upstream is released, Sluice stops.
    using _release = { [Symbol.dispose]: () => release.resolve() };
    const client = new AbortController();
    using _leave = { [Symbol.dispose]: () => client.abort() };

    const response = await within(
      fetch(sluice.url + "/events", { signal: client.signal }),
      2_000,
      "response headers while the stream is open",
    );
    assert.equal(response.status, 200);
    assert.equal(response.headers.get("content-type"), "text/event-stream");
    const events = new SseReader(response.body!);
    try {
      const first = await within(events.next(), 2_000, "first event while the stream is open");
      assert.equal(first, "first");
      release.resolve();
      assert.equal(await within(events.next(), 2_000, "second event"), "second");
      assert.equal(await within(events.next(), 2_000, "end of stream"), undefined);
    } finally {
      await events.cancel();
    }
  },
);

proxyTest("bodies: a stream outliving --backend-timeout is not cut", async (variant) => {
  // Six events 100ms apart (600ms in all), then a 450ms gap, then the end: longer than the
  // 300ms backend timeout in total and between events. Only the wait for headers is bounded.
  await using up = startUpstream("up", () => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    let sent = 0;
    return new Response(
      new ReadableStream<Uint8Array>({
        start(controller) {
          const tick = () => {
            sent++;
            controller.enqueue(encoder.encode(`data: ${sent}\n\n`));
            if (sent < 6) timer = setTimeout(tick, 100);
            else {
              timer = setTimeout(() => {
                controller.enqueue(encoder.encode("data: late\n\n"));
                controller.close();
              }, 450);
            }
          };
          tick();
        },
        cancel() {
          clearTimeout(timer);
        },
      }),
      { headers: { "content-type": "text/event-stream" } },
    );
  });
  await using sluice = await startSluice(variant, [
    "--backends",
    up.url,
    "--backend-timeout",
    "300ms",
  ]);

  const client = new AbortController();
  using _leave = { [Symbol.dispose]: () => client.abort() };

  const started = performance.now();
  const response = await within(
    fetch(sluice.url + "/events", { signal: client.signal }),
    2_000,
    "response headers",
  );
  assert.equal(response.status, 200);
  const received: string[] = [];
  const events = new SseReader(response.body!);
  try {
    for (let data; (data = await within(events.next(), 2_000, "next event")) !== undefined;) {
      received.push(data);
    }
  } finally {
    await events.cancel();
  }
  assert.deepEqual(received, ["1", "2", "3", "4", "5", "6", "late"]);
  assert.ok(performance.now() - started >= 900, "the stream ended earlier than the upstream's");
});

proxyTest(
  "bodies: a gzip body passes through byte for byte with its Content-Encoding",
  async (variant) => {
    const original = encoder.encode("compressible ".repeat(2_000));
    const gzipped = new Uint8Array(gzipSync(original));
    // The upstream always answers gzip, whatever the request's Accept-Encoding.
    await using up = startUpstream("up", () =>
      new Response(gzipped, {
        headers: {
          "content-encoding": "gzip",
          "content-type": "text/plain",
          "vary": "accept-encoding",
        },
      }));
    await using sluice = await startSluice(variant, ["--backends", up.url]);

    for (
      const acceptEncoding of ["", "Accept-Encoding: gzip\r\n", "Accept-Encoding: identity\r\n"]
    ) {
      const raw = await rawGet(sluice.url, "/gz", acceptEncoding);
      assert.equal(raw.status, 200);
      assert.equal(raw.headers.get("content-encoding"), "gzip", acceptEncoding);
      assert.deepEqual(raw.body, gzipped, `body changed (${acceptEncoding.trim() || "no A-E"})`);
    }
    // A decompressing client (fetch) still gets the original text.
    const response = await fetch(sluice.url + "/gz");
    assert.equal(await response.text(), decoder.decode(original));
  },
);

proxyTest(
  "bodies: an identity response is not re-encoded for a client that accepts gzip",
  async (variant) => {
    const text = "plain text, compressible ".repeat(400);
    await using up = startUpstream(
      "up",
      () => new Response(text, { headers: { "content-type": "text/plain", "etag": '"v1"' } }),
    );
    await using sluice = await startSluice(variant, ["--backends", up.url]);

    const raw = await rawGet(sluice.url, "/plain", "Accept-Encoding: gzip, br\r\n");
    assert.equal(raw.status, 200);
    assert.equal(raw.headers.get("content-encoding"), null);
    assert.equal(raw.headers.get("etag"), '"v1"');
    assert.equal(decoder.decode(raw.body), text);
  },
);

proxyTest(
  "bodies: HEAD, 204 and 304 answers carry no body and keep their headers",
  async (variant) => {
    await using up = startUpstream("up", (request) => {
      const path = new URL(request.url).pathname;
      if (path === "/no-content") return new Response(null, { status: 204 });
      if (path === "/not-modified") {
        return new Response(null, { status: 304, headers: { etag: '"v2"' } });
      }
      return new Response(request.method === "HEAD" ? null : "x".repeat(1234), {
        headers: { "content-length": "1234", "content-type": "text/plain" },
      });
    });
    await using sluice = await startSluice(variant, ["--backends", up.url]);

    const head = await fetch(sluice.url + "/file", { method: "HEAD" });
    assert.equal(head.status, 200);
    assert.equal(head.headers.get("content-length"), "1234");
    assert.equal(head.body, null);
    const noContent = await fetch(sluice.url + "/no-content");
    assert.equal(noContent.status, 204);
    assert.equal(await noContent.text(), "");
    const notModified = await fetch(sluice.url + "/not-modified", {
      headers: { "if-none-match": '"v2"' },
    });
    assert.equal(notModified.status, 304);
    assert.equal(notModified.headers.get("etag"), '"v2"');
    assert.equal(await notModified.text(), "");
  },
);

proxyTest(
  "bodies: an upstream closing right after its head leaves the client a cut response, not an empty reply",
  async (variant) => {
    // A raw upstream: the head of a chunked 200, then the connection closed before any chunk.
    await using upstream = startRawUpstream(
      () => "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n",
      { closeAfterAnswer: true },
    );
    {
      await using sluice = await startSluice(variant, [
        "--backends",
        upstream.url,
        "--health-interval",
        "1h",
      ]);
      const { port } = new URL(sluice.url);
      using client = await Deno.connect({ hostname: "127.0.0.1", port: Number(port) });
      await client.write(encoder.encode("GET /cut HTTP/1.1\r\nHost: lb\r\n\r\n"));
      let received = "";
      const buffer = new Uint8Array(16 * 1024);
      for (;;) {
        const n = await within(client.read(buffer), 5_000, "the response or the close");
        if (n === null) break;
        received += decoder.decode(buffer.subarray(0, n));
      }
      // An empty reply looks like a stale keep-alive connection, which clients may retry
      // (even a POST); the head as Deno.serve sends it, and the access log's 200, then the cut.
      assert.match(received, /^HTTP\/1\.1 200 /);
      assert.doesNotMatch(received, /\r\n0\r\n\r\n$/, "a cut body never gets its last chunk");
    }
  },
);
