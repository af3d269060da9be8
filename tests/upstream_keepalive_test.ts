/**
 * End-to-end: the http1 transport's keep-alive pool as `proxy.keepalive`,
 * `proxy.keepalive_timeout` and `proxy.keepalive_requests` set it (nginx upstream `keepalive`,
 * `keepalive_timeout`, `keepalive_requests`), seen from a raw upstream that numbers the
 * connections carrying each request.
 *
 * @module
 */

import * as assert from "node:assert/strict";
import { get, startSluice, type TestSluice, within } from "./_fixtures.ts";
import { type RawUpstream, startRawUpstream } from "./_raw_upstream.ts";

const ARTIFACTS = new URL("./artifacts/", import.meta.url).pathname;
const OK = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";

/** Sluice (transport http1) in front of `up`, with these `proxy` keys from a config file. */
async function startWith(
  up: RawUpstream,
  proxy: string,
): Promise<TestSluice & { file: string }> {
  await Deno.mkdir(ARTIFACTS, { recursive: true });
  const file = `${ARTIFACTS}upstream_keepalive_${crypto.randomUUID()}.yaml`;
  await Deno.writeTextFile(file, `proxy:\n  transport: http1\n${proxy}`);
  try {
    const sluice = await startSluice([
      "--config",
      file,
      "--backends",
      up.url,
      "--passive-failures",
      "0",
    ]);
    return {
      ...sluice,
      file,
      async [Symbol.asyncDispose]() {
        await sluice.stop();
        await Deno.remove(file);
      },
    };
  } catch (error) {
    await Deno.remove(file);
    throw error;
  }
}

/** Sends `count` requests one after another, each answered 200 through Sluice. */
async function sequential(sluice: TestSluice, count: number): Promise<void> {
  for (let i = 0; i < count; i++) {
    const response = await get(`${sluice.url}/r${i}`);
    assert.equal(response.status, 200, response.text);
  }
}

Deno.test("keep-alive: by default sequential requests reuse one upstream connection", async () => {
  await using up = startRawUpstream(() => OK);
  await using sluice = await startWith(up, "");
  await sequential(sluice, 4);
  assert.equal(up.heads.length, 4);
  assert.equal(new Set(up.connections).size, 1, `connections: ${up.connections}`);
  for (const head of up.heads) assert.doesNotMatch(head, /^connection:/im, head);
});

Deno.test("keep-alive: proxy.keepalive 0 opens a new upstream connection per request and closes it", async () => {
  await using up = startRawUpstream(() => OK);
  await using sluice = await startWith(up, "  keepalive: 0\n");
  await sequential(sluice, 4);
  assert.equal(up.heads.length, 4);
  assert.equal(new Set(up.connections).size, 4, `connections: ${up.connections}`);
  // RFC 9112 §9.6: a client that will not reuse the connection says so.
  for (const head of up.heads) assert.match(head, /^connection: close$/im, head);
  for (let i = 0; i < 4; i++) {
    await within(up.closed(i), 5_000, `Sluice closing the connection of request ${i}`);
  }
});

Deno.test("keep-alive: proxy.keepalive_timeout closes an idle upstream connection", async () => {
  await using up = startRawUpstream(() => OK);
  // 4 s by default: the bound below is shorter, so only the configured 200 ms meets it.
  await using sluice = await startWith(up, "  keepalive_timeout: 200ms\n");
  await sequential(sluice, 1);
  await within(up.closed(0), 3_000, "Sluice closing the idle upstream connection");
  // The pool is empty again: the next request opens a new connection.
  await sequential(sluice, 1);
  assert.notEqual(up.connections[1], up.connections[0]);
});

Deno.test("keep-alive: proxy.keepalive_requests closes a connection after that many requests", async () => {
  await using up = startRawUpstream(() => OK);
  await using sluice = await startWith(up, "  keepalive_requests: 2\n");
  await sequential(sluice, 5);
  await within(up.closed(1), 5_000, "Sluice closing the connection after its second request");
  const [a, b, c, d, e] = up.connections;
  assert.deepEqual([a === b, b === c, c === d, d === e], [true, false, true, false]);
  // The last request of each connection says `Connection: close` (RFC 9112 §9.6), no other.
  assert.deepEqual(
    up.heads.map((head) => /^connection: close$/im.test(head)),
    [false, true, false, true, false],
  );
});

Deno.test("keep-alive: a streamed download hands its connection back whole and is logged as delivered", async () => {
  // Past the transport's whole-body size (64 KiB): the body streams to the client, and the
  // listener must read its end rather than cancel it once the Content-Length went out.
  const body = "x".repeat(300_000);
  await using up = startRawUpstream(() =>
    `HTTP/1.1 200 OK\r\nContent-Length: ${body.length}\r\n\r\n${body}`
  );
  const lines: string[] = [];
  const logged = Promise.withResolvers<void>();
  await using sluice = await startSluice([
    "--transport",
    "http1",
    "--listener",
    "http1",
    "--backends",
    up.url,
    "--passive-failures",
    "0",
  ], {
    accessLogLines: (line) => {
      lines.push(line);
      if (lines.length === 3) logged.resolve();
    },
  });
  for (let i = 0; i < 3; i++) {
    const response = await get(`${sluice.url}/big${i}`);
    assert.equal(response.status, 200);
    assert.equal(response.text.length, body.length);
  }
  assert.equal(new Set(up.connections).size, 1, `connections: ${up.connections}`);
  await within(logged.promise, 5_000, "three access log lines");
  for (const line of lines) {
    const entry = JSON.parse(line);
    assert.equal(entry.status, 200, line);
    assert.equal(entry.bytes_out, body.length, line);
  }
});
