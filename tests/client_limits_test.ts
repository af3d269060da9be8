/**
 * End-to-end: the client limits. Bodies over `--max-body-size` are refused with 413, by their
 * Content-Length before an upstream is contacted, or cut once a chunked body grows past the
 * limit; `--rate-limit`/`--rate-burst` answer 429 per client IP (which honours
 * `--trusted-proxies`); request targets and header fields over `limits.max_url_length` and
 * `limits.max_header_size` get 414 and 431. Refusals are access-logged with their status.
 *
 * @module
 */

import assert from "node:assert/strict";
import { configure, type LogRecord, reset } from "@logtape/logtape";
import { get, startSluice, startUpstream, within } from "./_fixtures.ts";
import { proxyTest } from "./_matrix.ts";
import { rawRequest } from "./_raw_http.ts";
import { writeAll } from "./_bytes.ts";

const ARTIFACTS = new URL("./artifacts/", import.meta.url).pathname;

/** Captures access log entries (the fixture leaves logging unconfigured) until disposed. */
async function captureAccessLog() {
  const entries: Record<string, unknown>[] = [];
  const waiting = new Map<string, (entry: Record<string, unknown>) => void>();
  await configure({
    sinks: {
      capture(record: LogRecord) {
        entries.push(record.properties);
        const path = String(record.properties.path);
        waiting.get(path)?.(record.properties);
        waiting.delete(path);
      },
    },
    loggers: [
      { category: ["sluice", "access"], lowestLevel: "info", sinks: ["capture"] },
      { category: ["logtape", "meta"], lowestLevel: "warning", sinks: [] },
    ],
  });
  return {
    /** The status logged for `path`, waiting (bounded) for the entry if it is not there yet. */
    statusOf(path: string): Promise<unknown> {
      const entry = entries.find((e) => e.path === path);
      if (entry) return Promise.resolve(entry.status);
      const logged = new Promise<Record<string, unknown>>((resolve) => waiting.set(path, resolve));
      return within(logged, 2_000, `the access log entry of ${path}`).then((e) => e.status);
    },
    [Symbol.asyncDispose]: () => reset(),
  };
}

/** An upstream that reads each request body whole and records whether that worked. */
function bodyReadingUpstream() {
  const bodies: { bytes?: number; error?: string }[] = [];
  let bodyOutcome = Promise.withResolvers<void>();
  const up = startUpstream("up", async (request) => {
    try {
      const bytes = (await request.bytes()).byteLength;
      bodies.push({ bytes });
      return new Response(`got ${bytes}`);
    } catch (error) {
      bodies.push({ error: String(error) });
      return new Response("body cut", { status: 400 });
    } finally {
      bodyOutcome.resolve();
    }
  });
  return {
    up,
    bodies,
    /** Resolves once the next request body was read or failed. */
    nextBodyOutcome: () => bodyOutcome.promise.then(() => (bodyOutcome = Promise.withResolvers())),
    [Symbol.asyncDispose]: () => up.close(),
  };
}

/**
 * Sends `head` and returns what was answered until the server closed or reset the connection
 * (a reset while writing or reading ends it; what was read so far is kept).
 */
async function headOfAnswer(url: string, head: string): Promise<string> {
  const { hostname, port } = new URL(url);
  using conn = await Deno.connect({ hostname, port: Number(port) });
  try {
    await writeAll(conn, head);
  } catch (error) {
    if (
      !(error instanceof Deno.errors.ConnectionReset || error instanceof Deno.errors.BrokenPipe)
    ) {
      throw error;
    }
  }
  let text = "";
  const buffer = new Uint8Array(16 * 1024);
  const decoder = new TextDecoder();
  try {
    for (let n; (n = await conn.read(buffer)) !== null;) {
      text += decoder.decode(buffer.subarray(0, n));
    }
  } catch (error) {
    if (!(error instanceof Deno.errors.ConnectionReset)) throw error;
  }
  return text;
}

/**
 * Sends a request head announcing a body, sends none of the body, and returns the response
 * head once it has arrived (the connection is then closed by the client).
 */
async function answerBeforeBody(url: string, head: string): Promise<string> {
  const { hostname, port } = new URL(url);
  using conn = await Deno.connect({ hostname, port: Number(port) });
  await conn.write(new TextEncoder().encode(head));
  let text = "";
  const buffer = new Uint8Array(16 * 1024);
  const decoder = new TextDecoder();
  while (!text.includes("\r\n\r\n")) {
    const n = await within(conn.read(buffer), 2_000, "the response head");
    if (n === null) break;
    text += decoder.decode(buffer.subarray(0, n));
  }
  return text;
}

/** A chunked request head and body, as raw bytes on the wire, asking to close. */
function chunkedUpload(host: string, path: string, chunkSizes: number[]): string {
  let head = `POST ${path} HTTP/1.1\r\nHost: ${host}\r\nTransfer-Encoding: chunked\r\n` +
    "Connection: close\r\n\r\n";
  for (const size of chunkSizes) head += `${size.toString(16)}\r\n${"a".repeat(size)}\r\n`;
  return head + "0\r\n\r\n";
}

proxyTest(
  "client limits: a Content-Length over --max-body-size is a 413 before any upstream is contacted",
  async (variant) => {
    await using log = await captureAccessLog();
    await using upstream = bodyReadingUpstream();
    await using sluice = await startSluice(variant, [
      "--backends",
      upstream.up.url,
      "--max-body-size",
      "1kb",
    ]);

    const refused = await fetch(sluice.url + "/too-large", {
      method: "POST",
      body: new Uint8Array(1025),
    });
    assert.equal(refused.status, 413);
    assert.match(await refused.text(), /^413 Content Too Large: request body of 1025 bytes/);
    assert.equal(await log.statusOf("/too-large"), 413);

    // The answer comes before a byte of the body was sent. (Deno's server still sends 100 Continue
    // to `Expect: 100-continue` first, and then reads and discards the body it was promised
    // before it closes the connection.)
    const early = await answerBeforeBody(
      sluice.url,
      "PUT /no-body-yet HTTP/1.1\r\nHost: lb\r\nContent-Length: 1048576\r\n\r\n",
    );
    assert.match(early, /^HTTP\/1\.1 413 /);
    assert.match(early, /\r\n\r\n413 Content Too Large: request body of 1048576 bytes/);
    assert.equal(upstream.up.seen.length, 0, "no upstream contacted");

    const atLimit = await get(sluice.url + "/at-limit", {
      method: "POST",
      body: new Uint8Array(1024),
    });
    assert.equal(atLimit.status, 200);
    assert.equal(atLimit.text, "got 1024");
  },
);

proxyTest(
  "client limits: a chunked upload growing past --max-body-size is cut: 413, no complete body upstream",
  async (variant) => {
    await using log = await captureAccessLog();
    await using upstream = bodyReadingUpstream();
    await using sluice = await startSluice(variant, [
      "--backends",
      upstream.up.url,
      "--max-body-size",
      "1kb",
    ]);

    const within1kb = await rawRequest(sluice.url, chunkedUpload("lb", "/small", [500, 500, 24]));
    assert.equal(within1kb.status, 200);
    assert.equal(new TextDecoder().decode(within1kb.body), "got 1024");
    await upstream.nextBodyOutcome();

    const response = await rawRequest(sluice.url, chunkedUpload("lb", "/large", [600, 600, 600]));
    assert.equal(response.status, 413);
    assert.match(
      new TextDecoder().decode(response.body),
      /^413 Content Too Large: request body is larger than the limit of 1024 bytes \(request id /,
    );
    assert.ok(response.headers.get("x-request-id"));
    assert.equal(await log.statusOf("/large"), 413);
    // The upstream request was aborted mid-body, or never got its headers out.
    if (upstream.up.seen.length > 1) await within(upstream.nextBodyOutcome(), 2_000, "body read");
    // fetch buffers the start of a streamed body, so the upstream may see nothing of it; http1
    // sends the head at once, so the upstream sees a body cut short (an error, no byte count).
    const completed = upstream.bodies.filter((b) => b.bytes !== undefined).map((b) => b.bytes);
    assert.deepEqual(completed, [1024], "only the small body completed");
  },
);

proxyTest(
  "client limits: --rate-limit 0.01 --rate-burst 2 answers 429 with Retry-After and the request id",
  async (variant) => {
    await using log = await captureAccessLog();
    await using up = startUpstream("up");
    // A token every 100 s: however slow the machine, no token comes back during the test (with
    // 5/s, three requests slower than 200 ms in all passed, and the test failed).
    await using sluice = await startSluice(variant, [
      "--backends",
      up.url,
      "--rate-limit",
      "0.01",
      "--rate-burst",
      "2",
    ]);
    const statuses = [];
    for (let i = 0; i < 2; i++) statuses.push((await get(`${sluice.url}/ok-${i}`)).status);
    const refused = await get(`${sluice.url}/refused`, { headers: { "x-request-id": "limit-3" } });
    assert.deepEqual([...statuses, refused.status], [200, 200, 429]);
    const retryAfter = Number(refused.headers.get("retry-after"));
    assert.ok(
      retryAfter > 90 && retryAfter <= 100,
      `the next token in up to 100 s, rounded up: ${retryAfter}`,
    );
    assert.equal(refused.headers.get("x-request-id"), "limit-3");
    assert.match(refused.text, /^429 Too Many Requests: .*\(request id limit-3\)\n$/);
    assert.equal(up.seen.length, 2, "refused requests are not forwarded");
    assert.equal(await log.statusOf("/refused"), 429);
  },
);

proxyTest(
  "client limits: rate limits key on the client IP a trusted proxy names, and only then",
  async (variant) => {
    await using up = startUpstream("up");
    // A token every 100 s: none comes back while the test runs, however slow the machine.
    const limit = ["--backends", up.url, "--rate-limit", "0.01", "--rate-burst", "2"];
    const statusesOf = async (url: string, forwardedFor: string[]) => {
      const statuses = [];
      for (const client of forwardedFor) {
        statuses.push((await get(url, { headers: { "x-forwarded-for": client } })).status);
      }
      return statuses;
    };
    {
      await using behindProxy = await startSluice(variant, [
        ...limit,
        "--trusted-proxies",
        "127.0.0.1",
      ]);
      // One socket peer (the proxy, 127.0.0.1) speaking for two clients: a bucket each.
      const one = ["203.0.113.1", "203.0.113.1", "203.0.113.1"];
      const two = ["203.0.113.2", "203.0.113.2", "203.0.113.2"];
      assert.deepEqual(await statusesOf(behindProxy.url, one), [200, 200, 429]);
      assert.deepEqual(await statusesOf(behindProxy.url, two), [200, 200, 429]);
    }
    {
      // 127.0.0.1 is not trusted here: whatever it claims, it is one client.
      await using direct = await startSluice(variant, [
        ...limit,
        "--trusted-proxies",
        "10.0.0.0/8",
      ]);
      const claims = ["203.0.113.1", "203.0.113.2", "203.0.113.3"];
      assert.deepEqual(await statusesOf(direct.url, claims), [200, 200, 429]);
    }
  },
);

proxyTest(
  "client limits: request targets and header fields over the configured limits get 414 and 431",
  async (variant) => {
    await Deno.mkdir(ARTIFACTS, { recursive: true });
    const file = `${ARTIFACTS}client_limits_${crypto.randomUUID()}.yaml`;
    await Deno.writeTextFile(file, "limits:\n  max_url_length: 1kb\n  max_header_size: 2kb\n");
    try {
      await using log = await captureAccessLog();
      await using up = startUpstream("up");
      await using sluice = await startSluice(variant, ["--config", file, "--backends", up.url]);

      assert.equal((await get(`${sluice.url}/${"a".repeat(1023)}`)).status, 200, "1 KiB target");
      const longPath = `/long-${"a".repeat(1019)}`;
      const long = await get(sluice.url + longPath);
      assert.equal(long.status, 414);
      assert.match(
        long.text,
        /^414 URI Too Long: request target of 1025 bytes is longer than the limit of 1024 bytes/,
      );
      assert.equal(await log.statusOf(longPath), 414);

      const large = await get(`${sluice.url}/large-headers`, {
        headers: { "x-large": "v".repeat(2048) },
      });
      assert.equal(large.status, 431);
      assert.match(
        large.text,
        /^431 Request Header Fields Too Large: request header fields of \d+ bytes are larger than the limit of 2048 bytes/,
      );
      assert.ok(large.headers.get("x-request-id"));
      assert.equal(await log.statusOf("/large-headers"), 431);
      assert.equal(up.seen.length, 1, "only the request within the limits was forwarded");
    } finally {
      await Deno.remove(file).catch(() => {});
    }
  },
);

proxyTest(
  "client limits: the listener's own limit (64 KiB of request head) answers before Sluice sees the request",
  async (variant) => {
    await using up = startUpstream("up");
    await using sluice = await startSluice(variant, ["--backends", up.url]);
    // Sluice's defaults (8 KiB target, 32 KiB of headers) answer first, with a request id.
    const target = await rawRequest(
      sluice.url,
      `GET /${"a".repeat(9000)} HTTP/1.1\r\nHost: lb\r\nConnection: close\r\n\r\n`,
    );
    assert.equal(target.status, 414);
    assert.ok(target.headers.get("x-request-id"));
    // Past 64 KiB, the listener refuses the head itself, no request id, nothing logged: hyper
    // with a bare 400, the HTTP/1.1 listener with 414 (the request line alone is that long).
    const status = variant.listener === "serve" ? "400 Bad Request" : "414 URI Too Long";
    const huge = await headOfAnswer(
      sluice.url,
      `GET /${"a".repeat(70_000)} HTTP/1.1\r\nHost: lb\r\nConnection: close\r\n\r\n`,
    );
    // The server closes with some of the head unread, so the connection may be reset before the
    // answer is read; when it is read, it is the listener's.
    if (huge !== "") assert.match(huge, new RegExp(`^HTTP/1\\.1 ${status}\r\n`));
    assert.doesNotMatch(huge, /x-request-id/i);
    assert.equal(sluice.app.traffic.requests, 1, "only the 414 reached the handler");
    assert.equal(up.seen.length, 0);
  },
);
