/**
 * End-to-end: an upload the upstream answers before it has read it (nginx's `return 200`, an
 * early 413) through the default http1 listener and transport. As HAProxy does, Sluice still
 * sends the rest of the body to the upstream, which reads and drops it, and both connections
 * stay open for the next request; it closes them when the upstream says `Connection: close`.
 *
 * @module
 */

import * as assert from "node:assert/strict";
import { startSluice, within } from "./_fixtures.ts";
import { writeAll } from "./_bytes.ts";

const decoder = new TextDecoder();
const BODY_BYTES = 1024 * 1024;
/** Sent before the client waits for the answer: the rest is sent after it. */
const FIRST_PART = 64 * 1024;

/** An upstream that answers each request right after its head, then reads its body. */
interface EarlyUpstream extends AsyncDisposable {
  readonly url: string;
  /** Per request: the connection number and the body bytes it read after answering. */
  readonly requests: { connection: number; bodyBytes: number }[];
  /** Resolves when request `index` (0-based) had its whole body read. */
  bodyRead(index: number): Promise<void>;
  /** Resolves when the connection that carried request `index` ended. */
  closed(index: number): Promise<void>;
}

function startEarlyUpstream(answer: string): EarlyUpstream {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const requests: { connection: number; bodyBytes: number }[] = [];
  const reads: PromiseWithResolvers<void>[] = [];
  const read = (index: number) => (reads[index] ??= Promise.withResolvers<void>());
  const ends: PromiseWithResolvers<void>[] = [];
  const ended = (connection: number) => (ends[connection] ??= Promise.withResolvers<void>());
  const conns = new Set<Deno.Conn>();
  const handlers = new Set<Promise<void>>();
  let accepted = 0;

  async function serve(conn: Deno.Conn, number: number): Promise<void> {
    const buffer = new Uint8Array(64 * 1024);
    let pending = new Uint8Array(0);
    const more = async () => {
      const n = await conn.read(buffer);
      if (n === null) return false;
      const joined = new Uint8Array(pending.length + n);
      joined.set(pending);
      joined.set(buffer.subarray(0, n), pending.length);
      pending = joined;
      return true;
    };
    try {
      for (;;) {
        let end: number;
        while ((end = decoder.decode(pending).indexOf("\r\n\r\n")) < 0) {
          if (!(await more())) return;
        }
        const head = decoder.decode(pending.subarray(0, end));
        pending = pending.slice(end + 4);
        const length = Number(/\r\ncontent-length: *(\d+)/i.exec(head)?.[1] ?? 0);
        const index = requests.length;
        requests.push({ connection: number, bodyBytes: 0 });
        await writeAll(conn, answer);
        while (pending.length < length) {
          if (!(await more())) return;
        }
        requests[index]!.bodyBytes = length;
        pending = pending.slice(length);
        read(index).resolve();
      }
    } catch {
      // A reset ends the connection.
    } finally {
      conns.delete(conn);
      try {
        conn.close();
      } catch { /* closed by close() */ }
      ended(number).resolve();
    }
  }

  const accepting = (async () => {
    for await (const conn of listener) {
      conns.add(conn);
      const handler = serve(conn, accepted++);
      handlers.add(handler);
      handler.finally(() => handlers.delete(handler));
    }
  })();
  return {
    url: `http://127.0.0.1:${listener.addr.port}`,
    requests,
    bodyRead: (index) => read(index).promise,
    closed: (index) => ended(requests[index]!.connection).promise,
    async [Symbol.asyncDispose]() {
      listener.close();
      await accepting.catch(() => {});
      for (const conn of conns) {
        try {
          conn.close();
        } catch { /* already closed */ }
      }
      await Promise.all(handlers);
    },
  };
}

/** Reads one response with a Content-Length from `conn`; `null` when the connection ended. */
async function readResponse(conn: Deno.Conn): Promise<{ head: string; body: string } | null> {
  const buffer = new Uint8Array(16 * 1024);
  let text = "";
  for (;;) {
    const end = text.indexOf("\r\n\r\n");
    if (end >= 0) {
      const head = text.slice(0, end);
      const length = Number(/\r\ncontent-length: *(\d+)/i.exec(head)?.[1] ?? 0);
      if (text.length >= end + 4 + length) {
        return { head, body: text.slice(end + 4, end + 4 + length) };
      }
    }
    const n = await conn.read(buffer);
    if (n === null) return null;
    text += decoder.decode(buffer.subarray(0, n));
  }
}

/**
 * POSTs a 1 MiB body in two parts over `conn`, the second sent only after the response came.
 * @returns the response.
 */
async function uploadAnsweredEarly(conn: Deno.Conn): Promise<{ head: string; body: string }> {
  const body = new Uint8Array(BODY_BYTES).fill(120);
  await writeAll(
    conn,
    `POST /upload HTTP/1.1\r\nHost: lb\r\nContent-Length: ${BODY_BYTES}\r\n\r\n`,
  );
  await writeAll(conn, body.subarray(0, FIRST_PART));
  const response = await within(readResponse(conn), 5_000, "the early answer");
  assert.ok(response, "a response before the body was sent");
  await writeAll(conn, body.subarray(FIRST_PART));
  return response;
}

Deno.test("early answer: the rest of an upload still reaches the upstream and both connections stay open", async () => {
  await using up = startEarlyUpstream("HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nok\n");
  await using sluice = await startSluice(["--backends", up.url, "--passive-failures", "0"]);
  const conn = await Deno.connect({
    hostname: "127.0.0.1",
    port: Number(new URL(sluice.url).port),
  });
  try {
    for (let i = 0; i < 2; i++) {
      const response = await uploadAnsweredEarly(conn);
      assert.match(response.head, /^HTTP\/1\.1 200 /);
      assert.equal(response.body, "ok\n");
      assert.doesNotMatch(response.head, /\r\nconnection: close/i);
      await within(up.bodyRead(i), 5_000, `the upstream reading body ${i}`);
    }
    // The client's connection carried both uploads and takes a third request.
    await writeAll(conn, "GET /after HTTP/1.1\r\nHost: lb\r\n\r\n");
    const after = await within(readResponse(conn), 5_000, "the response after the uploads");
    assert.match(after?.head ?? "", /^HTTP\/1\.1 200 /);
  } finally {
    conn.close();
  }
  assert.deepEqual(up.requests.map((r) => r.bodyBytes), [BODY_BYTES, BODY_BYTES, 0]);
  const connections = new Set(up.requests.map((r) => r.connection));
  assert.equal(connections.size, 1, `upstream connections: ${[...connections]}`);
});

Deno.test("early answer with Connection: close: the client's connection closes after the response", async () => {
  await using up = startEarlyUpstream(
    "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nConnection: close\r\n\r\nok\n",
  );
  await using sluice = await startSluice(["--backends", up.url, "--passive-failures", "0"]);
  const conn = await Deno.connect({
    hostname: "127.0.0.1",
    port: Number(new URL(sluice.url).port),
  });
  try {
    const body = new Uint8Array(BODY_BYTES).fill(120);
    await writeAll(
      conn,
      `POST /upload HTTP/1.1\r\nHost: lb\r\nContent-Length: ${BODY_BYTES}\r\n\r\n`,
    );
    await writeAll(conn, body.subarray(0, FIRST_PART));
    const response = await within(readResponse(conn), 5_000, "the early answer");
    assert.match(response?.head ?? "", /^HTTP\/1\.1 200 /);
    // The rest is read and dropped (a lingering close), then the connection ends.
    await writeAll(conn, body.subarray(FIRST_PART)).catch(() => {});
    const buffer = new Uint8Array(1024);
    const end = await within(conn.read(buffer).catch(() => null), 5_000, "the close");
    assert.equal(end, null);
  } finally {
    conn.close();
  }
});

Deno.test("early answer: a client that leaves while the rest of its upload is sent closes the upstream connection", async () => {
  await using up = startEarlyUpstream("HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nok\n");
  await using sluice = await startSluice(["--backends", up.url, "--passive-failures", "0"]);
  const conn = await Deno.connect({
    hostname: "127.0.0.1",
    port: Number(new URL(sluice.url).port),
  });
  try {
    await writeAll(
      conn,
      `POST /upload HTTP/1.1\r\nHost: lb\r\nContent-Length: ${BODY_BYTES}\r\n\r\n`,
    );
    await writeAll(conn, new Uint8Array(FIRST_PART).fill(120));
    const response = await within(readResponse(conn), 5_000, "the early answer");
    assert.match(response?.head ?? "", /^HTTP\/1\.1 200 /);
  } finally {
    conn.close();
  }
  // The body never ends: Sluice must not pool (nor keep) the upstream connection mid-body.
  await within(up.closed(0), 5_000, "Sluice closing the upstream connection");
  assert.equal(up.requests[0]!.bodyBytes, 0, "the upstream never got a whole body");
});

Deno.test("early answer: a client that stalls after the answer is closed at timeouts.client_body, and so is the upstream connection", async () => {
  await using up = startEarlyUpstream("HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nok\n");
  const file = await Deno.makeTempFile({ suffix: ".yaml" });
  await using _file = { [Symbol.asyncDispose]: () => Deno.remove(file) };
  await Deno.writeTextFile(
    file,
    `timeouts:\n  client_body: 300ms\nbackends:\n  - url: ${up.url}\n`,
  );
  await using sluice = await startSluice(["--config", file, "--passive-failures", "0"]);
  const conn = await Deno.connect({
    hostname: "127.0.0.1",
    port: Number(new URL(sluice.url).port),
  });
  try {
    await writeAll(
      conn,
      `POST /upload HTTP/1.1\r\nHost: lb\r\nContent-Length: ${BODY_BYTES}\r\n\r\n`,
    );
    await writeAll(conn, new Uint8Array(FIRST_PART).fill(120));
    const response = await within(readResponse(conn), 5_000, "the early answer");
    assert.match(response?.head ?? "", /^HTTP\/1\.1 200 /);
    // Nothing more is sent: the wait for the rest of the body is bounded.
    const end = await within(readResponse(conn).catch(() => null), 5_000, "the close");
    assert.equal(end, null);
  } finally {
    conn.close();
  }
  await within(up.closed(0), 5_000, "Sluice closing the upstream connection");
});
