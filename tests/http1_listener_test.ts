/**
 * End-to-end: the HTTP/1.1 listener (`--listener http1`) through Sluice on real sockets —
 * client header, body and idle timeouts (a stall of the process not charged to clients),
 * slowloris, the client connection cap and its metric, pipelining, `Expect: 100-continue`,
 * HTTP/1.0 keep-alive.
 *
 * @module
 */

import * as assert from "node:assert/strict";
import type { RequestContext } from "../internal/middleware/mod.ts";
import { BODILESS_RESPONSES, BYTE_BODIES } from "../internal/proxy/mod.ts";
import { Http1Listener } from "../internal/server/mod.ts";
import { get, startSluice, startUpstream, within } from "./_fixtures.ts";
import { writeAll } from "./_bytes.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Reads from `conn` until the server closes it; resolves with everything read. */
async function readUntilClosed(conn: Deno.Conn): Promise<string> {
  const buffer = new Uint8Array(16 * 1024);
  let text = "";
  try {
    for (let n; (n = await conn.read(buffer)) !== null;) {
      text += decoder.decode(buffer.subarray(0, n));
    }
  } catch {
    // Reset after the answer: what was read is the answer.
  }
  return text;
}

/** Reads until `text` holds `count` complete responses with `Content-Length` bodies. */
async function readResponses(conn: Deno.Conn, count: number): Promise<string[]> {
  const buffer = new Uint8Array(16 * 1024);
  let text = "";
  const responses: string[] = [];
  while (responses.length < count) {
    const headEnd = text.indexOf("\r\n\r\n");
    if (headEnd >= 0) {
      const length = Number(/content-length: (\d+)/i.exec(text.slice(0, headEnd))?.[1] ?? 0);
      if (text.length >= headEnd + 4 + length) {
        responses.push(text.slice(0, headEnd + 4 + length));
        text = text.slice(headEnd + 4 + length);
        continue;
      }
    }
    const n = await conn.read(buffer);
    if (n === null) throw new Error(`closed after ${responses.length} responses: ${text}`);
    text += decoder.decode(buffer.subarray(0, n));
  }
  return responses;
}

function connect(url: string): Promise<Deno.TcpConn> {
  const { hostname, port } = new URL(url);
  return Deno.connect({ hostname, port: Number(port) });
}

Deno.test("http1 listener: pipelined requests are answered in order on one connection", async () => {
  await using up = startUpstream("up", (request) => new Response(new URL(request.url).pathname));
  await using sluice = await startSluice(["--backends", up.url, "--listener", "http1"]);
  using conn = await connect(sluice.url);
  await writeAll(
    conn,
    "GET /one HTTP/1.1\r\nHost: lb\r\n\r\n" +
      "POST /two HTTP/1.1\r\nHost: lb\r\nContent-Length: 3\r\n\r\nabc" +
      "GET /three HTTP/1.1\r\nHost: lb\r\n\r\n",
  );
  const responses = await within(readResponses(conn, 3), 5_000, "three responses");
  assert.deepEqual(responses.map((r) => r.slice(r.indexOf("\r\n\r\n") + 4)), [
    "/one",
    "/two",
    "/three",
  ]);
  for (const response of responses) assert.match(response, /^HTTP\/1\.1 200 OK\r\n/);
});

Deno.test("http1 listener: Expect: 100-continue gets 100 before the body is sent", async () => {
  await using up = startUpstream("up", async (request) => new Response(await request.text()));
  await using sluice = await startSluice(["--backends", up.url, "--listener", "http1"]);
  using conn = await connect(sluice.url);
  await writeAll(
    conn,
    "PUT /up HTTP/1.1\r\nHost: lb\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n",
  );
  const buffer = new Uint8Array(1024);
  const n = await within(conn.read(buffer), 5_000, "100 Continue");
  assert.equal(decoder.decode(buffer.subarray(0, n!)), "HTTP/1.1 100 Continue\r\n\r\n");
  await writeAll(conn, "hello");
  const [response] = await within(readResponses(conn, 1), 5_000, "the final response");
  assert.match(response!, /^HTTP\/1\.1 200 OK\r\n[\s\S]*\r\n\r\nhello$/);
});

Deno.test("http1 listener: HTTP/1.0 keeps the connection only with Connection: keep-alive", async () => {
  await using up = startUpstream("up", () => new Response("ten"));
  await using sluice = await startSluice(["--backends", up.url, "--listener", "http1"]);
  using kept = await connect(sluice.url);
  await writeAll(kept, "GET /a HTTP/1.0\r\nHost: lb\r\nConnection: keep-alive\r\n\r\n");
  const [first] = await within(readResponses(kept, 1), 5_000, "first answer");
  assert.match(first!, /connection: keep-alive\r\n/i);
  assert.match(first!, /content-length: 3\r\n/i);
  await writeAll(kept, "GET /b HTTP/1.0\r\nHost: lb\r\n\r\n");
  const rest = await within(readUntilClosed(kept), 5_000, "second answer, then close");
  assert.match(rest, /^HTTP\/1\.1 200 OK\r\n[\s\S]*connection: close\r\n(?:[\s\S]*\r\n)?\r\nten$/i);
});

Deno.test("http1 listener: an idle keep-alive connection is closed at --client-idle-timeout", async () => {
  await using up = startUpstream("up", () => new Response("ok"));
  await using sluice = await startSluice([
    "--backends",
    up.url,
    "--listener",
    "http1",
    "--client-idle-timeout",
    "300ms",
  ]);
  using conn = await connect(sluice.url);
  await writeAll(conn, "GET / HTTP/1.1\r\nHost: lb\r\n\r\n");
  await within(readResponses(conn, 1), 5_000, "the answer");
  const idleFrom = performance.now();
  const rest = await within(readUntilClosed(conn), 5_000, "the idle close");
  const idleMs = performance.now() - idleFrom;
  assert.equal(rest, "", "closed without a word");
  // The sweep runs every 30 ms here: never closed before the timeout less one sweep.
  assert.ok(idleMs >= 250, `closed after ${idleMs.toFixed(0)}ms of idleness`);
});

Deno.test("http1 listener: a stall of the whole process is not charged to a keep-alive client's idle timeout", async () => {
  await using up = startUpstream("up", () => new Response("ok"));
  await using sluice = await startSluice([
    "--backends",
    up.url,
    "--listener",
    "http1",
    "--client-idle-timeout",
    "2s",
  ]);
  using conn = await connect(sluice.url);
  await writeAll(conn, "GET / HTTP/1.1\r\nHost: lb\r\n\r\n");
  await within(readResponses(conn, 1), 5_000, "the first answer");
  // The stimulus, not a wait: the process (Sluice and this client alike) stops for 3 s, past the
  // 2 s idle timeout, as a loaded machine can stop it. The first sweep after it would find the
  // idle deadline passed before the request below is read; the listener's clock counts at most
  // two sweep intervals (400 ms here) of such a stall, so the connection still serves.
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 3_000);
  await writeAll(conn, "GET / HTTP/1.1\r\nHost: lb\r\n\r\n");
  const [second] = await within(readResponses(conn, 1), 5_000, "the answer after the stall");
  assert.match(second ?? "", /^HTTP\/1\.1 200 /);
});

Deno.test("http1 listener: a partial request line gets 408 at --client-header-timeout", async () => {
  await using up = startUpstream("up");
  await using sluice = await startSluice([
    "--backends",
    up.url,
    "--listener",
    "http1",
    "--client-header-timeout",
    "300ms",
  ]);
  using conn = await connect(sluice.url);
  await writeAll(conn, "GET /partial HT");
  const answer = await within(readUntilClosed(conn), 5_000, "the 408");
  assert.match(answer, /^HTTP\/1\.1 408 Request Timeout\r\n[\s\S]*connection: close\r\n/);
  assert.equal(up.seen.length, 0);
});

Deno.test("http1 listener: slowloris connections are closed at the header timeout while normal clients are served", async () => {
  await using up = startUpstream("up", () => new Response("served"));
  await using sluice = await startSluice([
    "--backends",
    up.url,
    "--listener",
    "http1",
    "--client-header-timeout",
    "1500ms",
  ]);
  const head = "GET /slow HTTP/1.1\r\nHost: lb\r\nX-Trickle: " + "a".repeat(100) + "\r\n\r\n";
  // 50 connections, each sending one header byte a second (never finishing the head in time).
  const slow = await Promise.all(Array.from({ length: 50 }, () => connect(sluice.url)));
  let sent = 0;
  const trickle = setInterval(() => {
    for (const conn of slow) conn.write(encoder.encode(head[sent]!)).catch(() => {});
    sent++;
  }, 1000);
  try {
    for (const conn of slow) await conn.write(encoder.encode(head[0]!));
    sent = 1;
    const closed = Promise.all(slow.map((conn) => readUntilClosed(conn)));
    // Meanwhile normal clients keep being served.
    const served: number[] = [];
    for (let i = 0; i < 20; i++) {
      const response = await within(get(`${sluice.url}/normal`), 5_000, "a normal request");
      served.push(response.status);
    }
    assert.deepEqual(served, Array(20).fill(200));
    const answers = await within(closed, 10_000, "every slowloris connection closed");
    for (const answer of answers) assert.match(answer, /^HTTP\/1\.1 408 /);
    assert.ok(sent < head.length, "the heads were never complete");
    assert.equal(up.seen.filter((r) => r.target === "/slow").length, 0);
  } finally {
    clearInterval(trickle);
    for (const conn of slow) {
      try {
        conn.close();
      } catch { /* closed by the server */ }
    }
  }
});

Deno.test("http1 listener: a stalled request body gets 408 at timeouts.client_body", async () => {
  await using up = startUpstream("up", async (request) => new Response(await request.text()));
  const file = await Deno.makeTempFile({ suffix: ".yaml" });
  await using _file = { [Symbol.asyncDispose]: () => Deno.remove(file) };
  await Deno.writeTextFile(
    file,
    `listener: http1\ntimeouts:\n  client_body: 300ms\nbackends:\n  - url: ${up.url}\n`,
  );
  await using sluice = await startSluice(["--config", file]);
  using conn = await connect(sluice.url);
  await writeAll(conn, "POST /stall HTTP/1.1\r\nHost: lb\r\nContent-Length: 100000\r\n\r\nabc");
  const answer = await within(readUntilClosed(conn), 5_000, "the 408");
  assert.match(answer, /^HTTP\/1\.1 408 Request Timeout\r\n/);
  assert.match(answer, /connection: close\r\n/);
  // The upstream never got a complete body; the pool is intact.
  assert.equal(sluice.app.pool.available().length, 1);
});

Deno.test("http1 listener: past --max-client-connections new connections get 503 and are counted", async () => {
  await using up = startUpstream("up", () => new Response("ok"));
  await using sluice = await startSluice([
    "--backends",
    up.url,
    "--listener",
    "http1",
    "--max-client-connections",
    "3",
    "--admin-port",
    "0",
  ]);
  const open = await Promise.all(Array.from({ length: 3 }, () => connect(sluice.url)));
  try {
    // Each is served, so each is counted before the fourth arrives.
    for (const conn of open) {
      await writeAll(conn, "GET / HTTP/1.1\r\nHost: lb\r\n\r\n");
      await within(readResponses(conn, 1), 5_000, "an answer within the cap");
    }
    assert.equal(sluice.app.status().clients.connections, 3);
    using extra = await connect(sluice.url);
    await writeAll(extra, "GET / HTTP/1.1\r\nHost: lb\r\n\r\n").catch(() => {});
    const refused = await within(readUntilClosed(extra), 5_000, "the refusal");
    assert.match(refused, /^HTTP\/1\.1 503 /);
    assert.equal(sluice.app.status().clients.refused, 1);
    const metrics = (await sluice.app.metrics()).body;
    assert.match(metrics, /^sluice_client_connections_refused_total 1$/m);
    assert.match(metrics, /^sluice_client_connections 3$/m);
  } finally {
    for (const conn of open) conn.close();
  }
  // Below the cap again: served.
  const after = await within(
    (async () => {
      // The server may not have seen the closes yet: a few tries. A connection still refused
      // gets its 503 as soon as it is accepted, before fetch has written the request, which
      // fetch reports as an error ("received unexpected message from connection").
      let status = 0;
      for (let attempt = 0; attempt < 20 && status !== 200; attempt++) {
        status = await get(`${sluice.url}/after`).then((r) => r.status, () => 503);
      }
      return status;
    })(),
    5_000,
    "service below the cap",
  );
  assert.equal(after, 200);
});

Deno.test("http1 listener: a request after one with a large head on the same connection is read intact", async () => {
  await using up = startUpstream("up", (request) => new Response(new URL(request.url).pathname));
  await using sluice = await startSluice(["--backends", up.url, "--listener", "http1"]);
  using conn = await connect(sluice.url);
  // The first head outgrows the 4 KiB buffer; the next request comes once the answer is read.
  await writeAll(conn, `GET /large HTTP/1.1\r\nHost: lb\r\nX-Big: ${"b".repeat(6000)}\r\n\r\n`);
  const [first] = await within(readResponses(conn, 1), 5_000, "the first answer");
  assert.match(first!, /\r\n\r\n\/large$/);
  await writeAll(conn, "GET /after HTTP/1.1\r\nHost: lb\r\n\r\n");
  const [second] = await within(readResponses(conn, 1), 5_000, "the second answer");
  assert.match(second!, /^HTTP\/1\.1 200 OK\r\n[\s\S]*\r\n\r\n\/after$/);
});

/** `response` with a `body` getter that counts its calls in `reads.count`. */
function countingBody(response: Response, reads: { count: number }): Response {
  const body = Object.getOwnPropertyDescriptor(Response.prototype, "body")!.get!;
  Object.defineProperty(response, "body", {
    get() {
      reads.count++;
      return body.call(this);
    },
  });
  return response;
}

Deno.test("http1 listener: a transport's byte-body and bodiless responses are written without the body getter", async () => {
  const reads = { count: 0 };
  const listener = new Http1Listener(async (ctx) => {
    await null;
    const init = { headers: { "content-type": "text/plain", "content-length": "6" } };
    if (ctx.request.method === "HEAD") {
      const response = countingBody(new Response(null, init), reads);
      BODILESS_RESPONSES.add(response);
      return response;
    }
    const bytes = encoder.encode("hello\n");
    const response = countingBody(new Response(bytes, init), reads);
    BYTE_BODIES.set(response, bytes);
    return response;
  }, { hostname: "127.0.0.1", port: 0 });
  try {
    const port = listener.addr.port;
    const conn = await Deno.connect({ hostname: "127.0.0.1", port });
    try {
      await writeAll(conn, "GET /a HTTP/1.1\r\nHost: x\r\n\r\n");
      const [got] = await within(readResponses(conn, 1), 5_000, "the GET response");
      assert.match(got!, /^HTTP\/1\.1 200 OK\r\n/);
      assert.match(got!, /\r\ncontent-length: 6\r\n/);
      assert.ok(got!.endsWith("\r\n\r\nhello\n"), got);
    } finally {
      conn.close();
    }
    const second = await Deno.connect({ hostname: "127.0.0.1", port });
    try {
      await writeAll(second, "HEAD /b HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
      const head = await within(readUntilClosed(second), 5_000, "the HEAD response");
      assert.match(head, /^HTTP\/1\.1 200 OK\r\n/);
      assert.match(head, /\r\ncontent-length: 6\r\n/);
      assert.ok(head.endsWith("\r\n\r\n"), head);
    } finally {
      second.close();
    }
    assert.equal(reads.count, 0, "the body getter was called");
  } finally {
    await listener.shutdown();
  }
});

Deno.test("http1 listener: ctx.completed resolves after a delivered response, rejects (handled) when the client left first", async () => {
  const contexts: RequestContext[] = [];
  const late = Promise.withResolvers<RequestContext>();
  const listener = new Http1Listener(async (ctx) => {
    contexts.push(ctx);
    if (ctx.target === "/done") return new Response("done");
    late.resolve(ctx);
    // Answered once the client left (the listener's read saw it close): 8 MiB cannot all be
    // written to the closed connection.
    const signal = ctx.request.signal;
    if (!signal.aborted) {
      await new Promise((resolve) => signal.addEventListener("abort", resolve, { once: true }));
    }
    return new Response(new Uint8Array(8 * 1024 * 1024));
  }, { hostname: "127.0.0.1", port: 0 });
  try {
    const port = listener.addr.port;
    const first = await Deno.connect({ hostname: "127.0.0.1", port });
    try {
      await writeAll(first, "GET /done HTTP/1.1\r\nHost: x\r\n\r\n");
      await within(readResponses(first, 1), 5_000, "the first response");
      await within(contexts[0]!.completed, 5_000, "completed after a delivered response");
    } finally {
      first.close();
    }
    const second = await Deno.connect({ hostname: "127.0.0.1", port });
    await writeAll(second, "GET /late HTTP/1.1\r\nHost: x\r\n\r\n");
    second.close();
    // Nothing attached to `completed` before it rejects: an unhandled rejection would fail the
    // test (Deno reports it at the end of the event loop's turn, before `within` settles).
    await within(
      assert.rejects(
        (async () => {
          const ctx = await late.promise;
          await new Promise<void>((resolve) => {
            if (ctx.request.signal.aborted) resolve();
            else ctx.request.signal.addEventListener("abort", () => resolve(), { once: true });
          });
          // A turn of the event loop after the client left and the response failed.
          await new Promise((resolve) => setTimeout(resolve, 0));
          return await ctx.completed;
        })(),
        /the client closed the connection/,
      ),
      5_000,
      "completed rejected",
    );
  } finally {
    await listener.shutdown();
  }
});
