/**
 * End-to-end: WebSocket through Sluice with `--listener http1 --transport http1`: the upgrade is
 * forwarded, the 101 relayed, and bytes tunnelled both ways (text, binary, 1 MiB messages,
 * pings, close codes, an upstream dying mid-session, the tunnel idle timeout); tunnels show in
 * the status while open. Other listener/transport pairs refuse upgrades with 501.
 *
 * @module
 */

import * as assert from "node:assert/strict";
import { startSluice, within } from "./_fixtures.ts";
import { rawRequest } from "./_raw_http.ts";
import { startRawUpstream } from "./_raw_upstream.ts";

const TUNNEL = ["--listener", "http1", "--transport", "http1"];

/** A WebSocket echo upstream; `close:<code>` makes it close with that code. */
function startWsUpstream(options: { idleTimeout?: number } = {}) {
  const closedWith = Promise.withResolvers<number>();
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (request) => {
    if (request.headers.get("upgrade") !== "websocket") return new Response("plain");
    const { socket, response } = Deno.upgradeWebSocket(request, options);
    socket.onmessage = (event) => {
      const match = typeof event.data === "string" ? /^close:(\d+)$/.exec(event.data) : null;
      if (match) socket.close(Number(match[1]), "bye");
      else socket.send(event.data);
    };
    socket.onclose = (event) => closedWith.resolve(event.code);
    return response;
  });
  return {
    url: `http://127.0.0.1:${server.addr.port}`,
    closedWith: closedWith.promise,
    [Symbol.asyncDispose]: () => server.shutdown(),
  };
}

const OPCODE_TEXT = 0x1;
const OPCODE_PING = 0x9;
const OPCODE_PONG = 0xa;
const OPCODE_CLOSE = 0x8;

/** One WebSocket frame as the hand-written upstream reads it (unfragmented, text payload). */
interface Frame {
  opcode: number;
  payload: string;
}

/** The upstream side of one hand-accepted WebSocket session. */
interface Session {
  /** Sends one unmasked frame (server to client, RFC 6455 §5.1). */
  send(opcode: number, payload: string): Promise<void>;
  /** The next frame from the client, unmasked; payloads up to 125 bytes. */
  read(): Promise<Frame>;
}

/**
 * An upstream that accepts a WebSocket handshake by hand (RFC 6455 §4.2.2) and hands the
 * session to the test, which sends pings and sees the pongs; other requests get a 200.
 */
function startPingingUpstream() {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const session = Promise.withResolvers<Session>();
  const conns = new Set<Deno.Conn>();
  const accepting = (async () => {
    for await (const conn of listener) {
      conns.add(conn);
      void serve(conn).catch(() => conn.close());
    }
  })();
  async function serve(conn: Deno.Conn): Promise<void> {
    let buffered = new Uint8Array(0);
    const more = async () => {
      const chunk = new Uint8Array(16 * 1024);
      const n = await conn.read(chunk);
      if (n === null) throw new Error("the client closed the connection");
      const next = new Uint8Array(buffered.length + n);
      next.set(buffered);
      next.set(chunk.subarray(0, n), buffered.length);
      buffered = next;
    };
    let end: number;
    while ((end = new TextDecoder().decode(buffered).indexOf("\r\n\r\n")) < 0) await more();
    const head = new TextDecoder().decode(buffered.subarray(0, end));
    buffered = buffered.slice(end + 4);
    const key = /^sec-websocket-key: *(.+)$/im.exec(head)?.[1]?.trim();
    if (key === undefined) {
      await conn.write(new TextEncoder().encode(
        "HTTP/1.1 200 OK\r\ncontent-length: 5\r\nconnection: close\r\n\r\nplain",
      ));
      conn.close();
      conns.delete(conn);
      return;
    }
    const digest = await crypto.subtle.digest(
      "SHA-1",
      new TextEncoder().encode(key + "258EAFA5-E914-47DA-95CA-C5AB0DC65B11"),
    );
    const accept = btoa(String.fromCharCode(...new Uint8Array(digest)));
    await conn.write(new TextEncoder().encode(
      "HTTP/1.1 101 Switching Protocols\r\nupgrade: websocket\r\nconnection: Upgrade\r\n" +
        `sec-websocket-accept: ${accept}\r\n\r\n`,
    ));
    session.resolve({
      async send(opcode, payload) {
        const bytes = new TextEncoder().encode(payload);
        await conn.write(new Uint8Array([0x80 | opcode, bytes.length, ...bytes]));
      },
      async read() {
        while (buffered.length < 2) await more();
        const length = buffered[1]! & 0x7f;
        assert.ok(buffered[1]! & 0x80, "client frames are masked");
        assert.ok(length <= 125, "a short frame");
        while (buffered.length < 6 + length) await more();
        const mask = buffered.subarray(2, 6);
        const payload = buffered.slice(6, 6 + length).map((b, i) => b ^ mask[i % 4]!);
        const frame = { opcode: buffered[0]! & 0x0f, payload: new TextDecoder().decode(payload) };
        buffered = buffered.slice(6 + length);
        // A close is answered with a close (RFC 6455 §5.5.1), then the connection ends.
        if (frame.opcode === OPCODE_CLOSE) {
          await conn.write(new Uint8Array([0x80 | OPCODE_CLOSE, 0]));
          conn.close();
          conns.delete(conn);
        }
        return frame;
      },
    });
  }
  return {
    url: `http://127.0.0.1:${listener.addr.port}`,
    session: session.promise,
    async [Symbol.asyncDispose]() {
      listener.close();
      for (const conn of conns) {
        try {
          conn.close();
        } catch { /* already closed */ }
      }
      await accepting.catch(() => {});
    },
  };
}

function open(url: string): Promise<WebSocket> {
  const ws = new WebSocket(url.replace("http://", "ws://") + "/ws");
  ws.binaryType = "arraybuffer";
  return new Promise((resolve, reject) => {
    ws.onopen = () => resolve(ws);
    ws.onerror = (event) => reject(new Error(`WebSocket error: ${(event as ErrorEvent).message}`));
  });
}

function nextMessage(ws: WebSocket): Promise<string | ArrayBuffer> {
  return new Promise((resolve) =>
    ws.addEventListener("message", (e) => resolve(e.data), { once: true })
  );
}

function closed(ws: WebSocket): Promise<CloseEvent> {
  return new Promise((resolve) => ws.addEventListener("close", (e) => resolve(e), { once: true }));
}

Deno.test("websocket: text, binary and 1 MiB messages are echoed through the tunnel", async () => {
  await using up = startWsUpstream();
  await using sluice = await startSluice([...TUNNEL, "--backends", up.url]);
  const ws = await within(open(sluice.url), 5_000, "the handshake");
  const done = closed(ws);
  try {
    assert.equal(sluice.app.status().clients.tunnels, 1);
    assert.ok(sluice.app.status().totals.inFlight >= 1, "a tunnel counts as in flight");
    ws.send("hello");
    assert.equal(await within(nextMessage(ws), 5_000, "text echo"), "hello");
    ws.send(new Uint8Array([0, 1, 2, 255]));
    assert.deepEqual(
      new Uint8Array(await within(nextMessage(ws), 5_000, "binary echo") as ArrayBuffer),
      new Uint8Array([0, 1, 2, 255]),
    );
    const big = new Uint8Array(1024 * 1024);
    for (let i = 0; i < big.length; i++) big[i] = (i * 31) & 0xff;
    ws.send(big);
    const echoed = new Uint8Array(
      await within(nextMessage(ws), 10_000, "1 MiB echo") as ArrayBuffer,
    );
    assert.equal(echoed.length, big.length);
    assert.ok(echoed.every((b, i) => b === big[i]), "1 MiB echoed byte for byte");
  } finally {
    ws.close(1000);
  }
  assert.equal((await within(done, 5_000, "close")).code, 1000);
  assert.equal(await within(up.closedWith, 5_000, "the upstream's close"), 1000);
});

Deno.test("websocket: close codes pass both ways", async () => {
  await using up = startWsUpstream();
  await using sluice = await startSluice([...TUNNEL, "--backends", up.url]);
  const first = await within(open(sluice.url), 5_000, "the handshake");
  const firstClosed = closed(first);
  first.send("close:4001");
  const event = await within(firstClosed, 5_000, "the upstream's close");
  assert.equal(event.code, 4001);
  assert.equal(event.reason, "bye");

  await using up2 = startWsUpstream();
  await using sluice2 = await startSluice([...TUNNEL, "--backends", up2.url]);
  const second = await within(open(sluice2.url), 5_000, "the handshake");
  const secondClosed = closed(second);
  second.close(4002, "client");
  assert.equal(await within(up2.closedWith, 5_000, "the upstream seeing the close"), 4002);
  await within(secondClosed, 5_000, "the client's close");
});

Deno.test("websocket: pings from the upstream are answered through the tunnel", async () => {
  // The upstream speaks WebSocket by hand so that it sees each pong (RFC 6455 §5.5.3) arrive.
  await using up = startPingingUpstream();
  await using sluice = await startSluice([...TUNNEL, "--backends", up.url]);
  const ws = await within(open(sluice.url), 5_000, "the handshake");
  const done = closed(ws);
  const session = await within(up.session, 5_000, "the upstream's handshake");
  try {
    let early: CloseEvent | undefined;
    void done.then((event) => early = event);
    // Three ping rounds with no message: each pong comes back, then the session still echoes.
    for (let round = 1; round <= 3; round++) {
      const payload = `ping ${round}`;
      await session.send(OPCODE_PING, payload);
      const pong = await within(session.read(), 5_000, `the pong of round ${round}`);
      assert.deepEqual(pong, { opcode: OPCODE_PONG, payload });
    }
    assert.equal(early, undefined, `closed during the pings: ${early?.code}`);
    ws.send("still here");
    const message = await within(session.read(), 5_000, "the message after the pings");
    assert.deepEqual(message, { opcode: OPCODE_TEXT, payload: "still here" });
    await session.send(OPCODE_TEXT, "still here");
    assert.equal(await within(nextMessage(ws), 5_000, "echo after pings"), "still here");
  } finally {
    ws.close(1000);
  }
  const closing = await within(session.read(), 5_000, "the client's close frame");
  assert.equal(closing.opcode, OPCODE_CLOSE);
  await within(done, 5_000, "close");
});

Deno.test("websocket: an upstream dying mid-session closes the client's socket", async () => {
  const upstream = new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-net", new URL("./testdata/ws_echo.ts", import.meta.url).pathname],
    stdout: "piped",
    stderr: "null",
  }).spawn();
  try {
    const reader = upstream.stdout.pipeThrough(new TextDecoderStream()).getReader();
    let text = "";
    while (!text.includes("\n")) text += (await within(reader.read(), 15_000, "port")).value ?? "";
    reader.releaseLock();
    // The tunnel's access log line is written once the tunnel has ended and left the count.
    const tunnelLogged = Promise.withResolvers<void>();
    await using sluice = await startSluice([
      ...TUNNEL,
      "--backends",
      `http://127.0.0.1:${text.trim()}`,
    ], {
      accessLogLines: (line) => {
        if (JSON.parse(line).path === "/ws") tunnelLogged.resolve();
      },
    });
    const ws = await within(open(sluice.url), 5_000, "the handshake");
    const done = closed(ws);
    ws.send("before");
    assert.equal(await within(nextMessage(ws), 5_000, "echo"), "before");
    upstream.kill("SIGKILL");
    const event = await within(done, 5_000, "the client's socket closed");
    assert.equal(event.wasClean, false, "no close handshake from a dead upstream");
    // The tunnel ends once both directions have: the client's side closes just after.
    await within(tunnelLogged.promise, 5_000, "the tunnel's end in the access log");
    assert.equal(sluice.app.status().clients.tunnels, 0, "the tunnel count back to 0");
  } finally {
    try {
      upstream.kill("SIGKILL");
    } catch { /* already dead */ }
    await upstream.status;
    await upstream.stdout.cancel().catch(() => {});
  }
});

Deno.test("websocket: an idle tunnel is closed at timeouts.tunnel", async () => {
  await using up = startWsUpstream();
  const file = await Deno.makeTempFile({ suffix: ".yaml" });
  await using _file = { [Symbol.asyncDispose]: () => Deno.remove(file) };
  await Deno.writeTextFile(
    file,
    `listener: http1\nproxy:\n  transport: http1\ntimeouts:\n  tunnel: 300ms\n` +
      `backends:\n  - url: ${up.url}\n`,
  );
  await using sluice = await startSluice(["--config", file]);
  const ws = await within(open(sluice.url), 5_000, "the handshake");
  const event = await within(closed(ws), 5_000, "the idle tunnel closed");
  assert.equal(event.wasClean, false);
  assert.equal(sluice.app.status().clients.tunnels, 0);
});

Deno.test("websocket: without the HTTP/1.1 transport an upgrade gets 501 naming it", async () => {
  await using up = startWsUpstream();
  await using sluice = await startSluice([
    "--listener",
    "http1",
    "--transport",
    "fetch",
    "--backends",
    up.url,
  ]);
  const raw = await rawRequest(
    sluice.url,
    "GET /ws HTTP/1.1\r\nHost: lb\r\nConnection: Upgrade, close\r\nUpgrade: websocket\r\n" +
      "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n",
  );
  assert.equal(raw.status, 501);
  assert.match(new TextDecoder().decode(raw.body), /--transport http1/);
});

Deno.test("websocket: an open tunnel is closed when the shutdown grace period ends", async () => {
  await using up = startWsUpstream();
  await using sluice = await startSluice([
    ...TUNNEL,
    "--backends",
    up.url,
    "--shutdown-timeout",
    "300ms",
  ]);
  const ws = await within(open(sluice.url), 5_000, "the handshake");
  const done = closed(ws);
  ws.send("open");
  assert.equal(await within(nextMessage(ws), 5_000, "echo"), "open");
  const started = performance.now();
  await within(sluice.stop(), 5_000, "stop() after the grace period");
  assert.ok(performance.now() - started >= 300, "the tunnel was kept for the grace period");
  await within(done, 5_000, "the client's socket closed");
});

/** Bytes of a Latin-1 string, one per character (obs-text as the wire has it). */
function latin1(text: string): Uint8Array {
  return Uint8Array.from(text, (c) => c.charCodeAt(0));
}

Deno.test("websocket: the 101's header values are relayed byte for byte (obs-text 0x80-0xFF)", async () => {
  // A raw upstream: `Deno.serve` would never send a byte 0xE9 in a field value.
  // The connection (the tunnel) stays open until Sluice closes it.
  await using upstream = startRawUpstream(() =>
    latin1(
      "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n" +
        "X-Place: caf\xe9\r\n\r\n",
    )
  );
  {
    await using sluice = await startSluice([
      ...TUNNEL,
      "--backends",
      upstream.url,
      "--health-interval",
      "1h",
    ]);
    const { port } = new URL(sluice.url);
    const client = await Deno.connect({ hostname: "127.0.0.1", port: Number(port) });
    let head = "";
    try {
      await client.write(latin1(
        "GET /ws HTTP/1.1\r\nHost: lb\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n" +
          "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n",
      ));
      const buffer = new Uint8Array(16 * 1024);
      while (!head.includes("\r\n\r\n")) {
        const n = await within(client.read(buffer), 5_000, "the 101's head");
        if (n === null) break;
        head += new TextDecoder("latin1").decode(buffer.subarray(0, n));
      }
    } finally {
      // The client's close ends the tunnel, so the stop need not wait for a grace period.
      client.close();
    }
    assert.match(head, /^HTTP\/1\.1 101 /);
    // One byte 0xE9, as the upstream sent it: not its UTF-8 encoding (0xC3 0xA9).
    assert.match(head, /\r\nx-place: caf\xe9\r\n/i);
  }
});
