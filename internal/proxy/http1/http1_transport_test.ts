import assert from "node:assert/strict";
import { describeNetworkError, isConnectFailure } from "../../health/network_errors.ts";
import type { UpstreamRequest } from "../transport.ts";
import { ConnectFailedError, UpstreamClosedError } from "../../net/mod.ts";
import { MalformedResponseError } from "./errors.ts";
import { Http1Transport, type Http1TransportOptions } from "./http1_transport.ts";
import { type RawConn, rawUpstream } from "./_test_server.ts";

function req(url: string, init: Partial<UpstreamRequest> = {}): UpstreamRequest {
  return {
    url,
    method: "GET",
    headers: [["host", "example.test"]],
    body: null,
    signal: new AbortController().signal,
    ...init,
  };
}

function transport(options: Http1TransportOptions = {}): Http1Transport & Disposable {
  const t = new Http1Transport(options);
  return Object.assign(t, { [Symbol.dispose]: () => t.close() });
}

const OK = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";

/** Answers every request on the connection with `answer` until the client closes. */
async function serveAll(conn: RawConn, answer = OK): Promise<void> {
  while (await conn.readRequest() !== null) await conn.write(answer);
}

Deno.test("http1: sequential requests share one keep-alive connection", async () => {
  await using up = rawUpstream((conn) => serveAll(conn));
  using t = transport();
  for (let i = 0; i < 3; i++) assert.equal(await (await t.send(req(up.url + "/"))).text(), "ok");
  assert.equal(up.accepted, 1);
  assert.equal(t.idleConnections, 1);
});

Deno.test("http1: request line, target byte for byte, headers as given, Host first", async () => {
  const seen = Promise.withResolvers<string>();
  await using up = rawUpstream(async (conn) => {
    seen.resolve((await conn.readRequest())!.head);
    await conn.write(OK);
  });
  using t = transport();
  await (await t.send(req(up.url + "/a/../b%2Fc?x=%41&y", {
    headers: [["x-one", "1"], ["host", "h.example"], ["x-two", "caf\xe9"]],
  }))).text();
  assert.equal(
    await seen.promise,
    "GET /a/../b%2Fc?x=%41&y HTTP/1.1\r\nhost: h.example\r\nx-one: 1\r\nx-two: caf\xe9\r\n\r\n",
  );
});

Deno.test("http1: an origin and target given apart are used as given; an origin with a path is not", async () => {
  const heads: string[] = [];
  await using up = rawUpstream(async (conn) => {
    for (let r; (r = await conn.readRequest()) !== null;) {
      heads.push(r.head.slice(0, r.head.indexOf("\r\n")));
      await conn.write(OK);
    }
  });
  using t = transport();
  // The target as given (not what the URL says), one pooled connection for both forms.
  await (await t.send(req(up.url + "/from-url", { origin: up.url, target: "/given?q" }))).text();
  await (await t.send(req(up.url + "/url-only"))).text();
  // Not an origin alone: the URL decides.
  await (await t.send(req(up.url + "/p/x", { origin: up.url + "/p", target: "/x" }))).text();
  await (await t.send(req(up.url + "/slash", { origin: up.url + "/", target: "slash" }))).text();
  assert.deepEqual(heads, [
    "GET /given?q HTTP/1.1",
    "GET /url-only HTTP/1.1",
    "GET /p/x HTTP/1.1",
    "GET /slash HTTP/1.1",
  ]);
  assert.equal(up.accepted, 1);
});

Deno.test("http1: without a host header the upstream's authority is sent", async () => {
  const seen = Promise.withResolvers<string>();
  await using up = rawUpstream(async (conn) => {
    seen.resolve((await conn.readRequest())!.head);
    await conn.write(OK);
  });
  using t = transport();
  await (await t.send(req(up.url, { headers: [] }))).text();
  assert.equal(await seen.promise, `GET / HTTP/1.1\r\nhost: ${new URL(up.url).host}\r\n\r\n`);
});

Deno.test("http1: bodies: bytes with Content-Length, streams chunked or with the client's length", async () => {
  const heads: string[] = [];
  await using up = rawUpstream(async (conn) => {
    heads.push((await conn.readRequest(5))!.head);
    await conn.write(OK);
    const chunked = await conn.readUntil("0\r\n\r\n");
    heads.push(chunked!);
    await conn.write(OK);
    heads.push((await conn.readRequest(6))!.head);
    await conn.write(OK);
    heads.push((await conn.readRequest())!.head);
    await conn.write(OK);
  });
  using t = transport();
  const stream = (...parts: string[]) =>
    ReadableStream.from(parts.map((p) => new TextEncoder().encode(p)));
  await (await t.send(
    req(up.url, {
      method: "POST",
      headers: [["content-length", "99"]],
      body: new TextEncoder().encode("hello"),
    }),
  )).text();
  await (await t.send(req(up.url, { method: "POST", headers: [], body: stream("ab", "", "cde") })))
    .text();
  await (await t.send(
    req(up.url, { method: "PUT", headers: [["content-length", "6"]], body: stream("abc", "def") }),
  )).text();
  await (await t.send(req(up.url, { method: "POST", headers: [], body: null }))).text();
  const host = new URL(up.url).host;
  assert.deepEqual(heads, [
    `POST / HTTP/1.1\r\nhost: ${host}\r\ncontent-length: 5\r\n\r\n`,
    `POST / HTTP/1.1\r\nhost: ${host}\r\ntransfer-encoding: chunked\r\n\r\n2\r\nab\r\n3\r\ncde\r\n0\r\n\r\n`,
    `PUT / HTTP/1.1\r\nhost: ${host}\r\ncontent-length: 6\r\n\r\n`,
    `POST / HTTP/1.1\r\nhost: ${host}\r\ncontent-length: 0\r\n\r\n`,
  ]);
  assert.equal(up.accepted, 1);
});

Deno.test("http1: Connection: close and HTTP/1.0 without keep-alive are not reused", async () => {
  const answers = [
    "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok",
    "HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok",
    "HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 2\r\n\r\nok",
  ];
  await using up = rawUpstream((conn, i) => serveAll(conn, answers[Math.min(i, 2)]));
  using t = transport();
  for (let i = 0; i < 4; i++) await (await t.send(req(up.url))).text();
  assert.equal(up.accepted, 3);
});

Deno.test("http1: HEAD, 204 and 304 end without a body and keep the connection", async () => {
  const answers = [
    "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n",
    "HTTP/1.1 204 No Content\r\n\r\n",
    "HTTP/1.1 304 Not Modified\r\nContent-Length: 50\r\n\r\n",
    OK,
  ];
  await using up = rawUpstream(async (conn) => {
    for (const answer of answers) {
      await conn.readRequest();
      await conn.write(answer);
    }
  });
  using t = transport();
  const head = await t.send(req(up.url, { method: "HEAD" }));
  assert.equal(head.headers.get("content-length"), "1000");
  assert.equal(head.body, null);
  assert.equal((await t.send(req(up.url))).status, 204);
  assert.equal((await t.send(req(up.url))).status, 304);
  assert.equal(await (await t.send(req(up.url))).text(), "ok");
  assert.equal(up.accepted, 1);
});

Deno.test("http1: 205 Reset Content: an empty framed body is read, none passed on", async () => {
  const answers = [
    "HTTP/1.1 205 Reset Content\r\nContent-Length: 0\r\n\r\n",
    "HTTP/1.1 205 Reset Content\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
    "HTTP/1.1 205 Reset Content\r\nContent-Length: 2\r\n\r\nno",
  ];
  await using up = rawUpstream(async (conn) => {
    for (const answer of answers) {
      if (await conn.readRequest() === null) return;
      await conn.write(answer);
    }
  });
  using t = transport();
  for (let i = 0; i < 2; i++) {
    const response = await t.send(req(up.url));
    assert.equal(response.status, 205);
    assert.equal(response.body, null);
  }
  assert.equal(up.accepted, 1);
  await assert.rejects(t.send(req(up.url)), /205 Reset Content with content/);
});

Deno.test("http1: 100 Continue and 103 Early Hints are read and dropped", async () => {
  await using up = rawUpstream(async (conn) => {
    await conn.readRequest();
    await conn.write("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n");
    await conn.write(OK);
  });
  using t = transport();
  const response = await t.send(req(up.url));
  assert.equal(response.status, 200);
  assert.equal(response.headers.get("link"), null);
  assert.equal(await response.text(), "ok");
});

Deno.test("http1: chunked and close-delimited bodies stream; large Content-Length streams", async () => {
  const big = "x".repeat(200_000);
  const answers = [
    "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\nT: 1\r\n\r\n",
    `HTTP/1.1 200 OK\r\nContent-Length: ${big.length}\r\n\r\n${big}`,
    "HTTP/1.1 200 OK\r\n\r\nuntil close",
  ];
  await using up = rawUpstream(async (conn) => {
    for (const answer of answers) {
      await conn.readRequest();
      await conn.write(answer);
    }
  });
  using t = transport();
  assert.equal(await (await t.send(req(up.url))).text(), "abcde");
  assert.equal(await (await t.send(req(up.url))).text(), big);
  assert.equal(await (await t.send(req(up.url))).text(), "until close");
  assert.equal(up.accepted, 1);
  assert.equal(t.idleConnections, 0);
});

Deno.test("http1: a malformed response is refused and its connection closed", async () => {
  const closed = Promise.withResolvers<void>();
  await using up = rawUpstream(async (conn) => {
    await conn.readRequest();
    await conn.write("HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nok");
    await conn.untilClosed();
    closed.resolve();
  });
  using t = transport();
  const error = await t.send(req(up.url)).catch((e) => e);
  assert.ok(error instanceof MalformedResponseError);
  assert.equal(isConnectFailure(error), false);
  assert.equal(describeNetworkError(error), "malformed response: conflicting Content-Length");
  await closed.promise;
});

Deno.test("http1: an oversized head is refused", async () => {
  await using up = rawUpstream(async (conn) => {
    await conn.readRequest();
    await conn.write(`HTTP/1.1 200 OK\r\nX-Big: ${"a".repeat(70_000)}\r\n\r\n`);
    await conn.untilClosed();
  });
  using t = transport();
  await assert.rejects(t.send(req(up.url)), /response head larger than 65536 bytes/);
});

Deno.test("http1: an unsolicited 101 is refused; upgrade() hands over the socket", async () => {
  const answer =
    "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\nEXTRA";
  await using up = rawUpstream(async (conn) => {
    await conn.readRequest();
    await conn.write(answer);
    await conn.readUntil("ping");
    await conn.write("pong");
  });
  using t = transport();
  await assert.rejects(t.send(req(up.url)), MalformedResponseError);
  const upgrade = await t.upgrade(req(up.url, {
    headers: [["connection", "upgrade"], ["upgrade", "websocket"]],
  }));
  assert.equal(upgrade.response.status, 101);
  assert.equal(upgrade.response.headers.get("upgrade"), "websocket");
  assert.equal(new TextDecoder().decode(upgrade.head), "EXTRA");
  const socket = upgrade.socket!;
  try {
    await socket.write(new TextEncoder().encode("ping"));
    const buf = new Uint8Array(4);
    assert.equal(await socket.read(buf), 4);
    assert.equal(new TextDecoder().decode(buf), "pong");
  } finally {
    socket.close();
  }
});

Deno.test("http1: upgrade() answered without 101 is a normal response, no socket", async () => {
  await using up = rawUpstream((conn) => serveAll(conn));
  using t = transport();
  const upgrade = await t.upgrade(
    req(up.url, { headers: [["connection", "upgrade"], ["upgrade", "websocket"]] }),
  );
  assert.equal(upgrade.socket, null);
  assert.equal(await upgrade.response.text(), "ok");
});

Deno.test("http1: a refused connect is a ConnectFailedError the director retries anywhere", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const url = `http://127.0.0.1:${listener.addr.port}`;
  listener.close();
  using t = transport();
  const error = await t.send(req(url)).catch((e) => e);
  assert.ok(error instanceof ConnectFailedError);
  assert.equal(isConnectFailure(error), true);
  assert.equal(describeNetworkError(error), "connection refused");
});

Deno.test("http1: the connect timeout bounds a connect that hangs", async () => {
  using t = transport({
    connectTimeoutMs: 50,
    connect: (_target, signal) =>
      new Promise((_, reject) =>
        signal.addEventListener("abort", () => reject(new Error("aborted")))
      ),
  });
  const error = await t.send(req("http://127.0.0.1:9")).catch((e) => e);
  assert.ok(error instanceof ConnectFailedError);
  assert.equal(isConnectFailure(error), true);
  assert.equal(describeNetworkError(error), "connect timeout");
});

Deno.test("http1: a reset before the response head is not a connect failure", async () => {
  await using up = rawUpstream(async (conn) => {
    await conn.readRequest();
    conn.close();
  });
  using t = transport();
  const error = await t.send(req(up.url)).catch((e) => e);
  assert.ok(error instanceof UpstreamClosedError);
  assert.equal(error.requestSent, true);
  assert.equal(error.responseStarted, false);
  assert.equal(isConnectFailure(error), false);
  assert.equal(describeNetworkError(error), "connection closed before a complete response");
});

Deno.test("http1: a stale keep-alive connection: GET retried once on a new one, POST not", async () => {
  // Each connection answers one request, then reads the next and closes without answering:
  // the upstream's keep-alive timeout racing Sluice's reuse.
  await using up = rawUpstream(async (conn) => {
    await conn.readRequest();
    await conn.write(OK);
    await conn.readRequest();
  });
  using t = transport();
  await (await t.send(req(up.url))).text();
  assert.equal(await (await t.send(req(up.url))).text(), "ok");
  assert.equal(up.accepted, 2);
  const error = await t.send(req(up.url, { method: "POST", body: new Uint8Array(1) })).catch((e) =>
    e
  );
  assert.ok(error instanceof UpstreamClosedError);
  assert.equal(up.accepted, 2);
});

Deno.test("http1: an idle connection the upstream closes leaves the pool at once", async () => {
  const closedByUpstream = Promise.withResolvers<void>();
  await using up = rawUpstream(async (conn, i) => {
    await conn.readRequest();
    await conn.write(OK);
    if (i === 0) {
      conn.close();
      closedByUpstream.resolve();
    } else await serveAll(conn);
  });
  using t = transport();
  await (await t.send(req(up.url, { method: "POST", body: new Uint8Array(1) }))).text();
  await closedByUpstream.promise;
  for (let i = 0; i < 200 && t.idleConnections > 0; i++) await new Promise((r) => setTimeout(r, 5));
  assert.equal(t.idleConnections, 0);
  // A POST, which is never replayed: it must go on a new connection.
  assert.equal(
    await (await t.send(req(up.url, { method: "POST", body: new Uint8Array(1) }))).text(),
    "ok",
  );
});

Deno.test("http1: idle connections are closed after the idle timeout", async () => {
  const eof = Promise.withResolvers<void>();
  await using up = rawUpstream(async (conn) => {
    await conn.readRequest();
    await conn.write(OK);
    await conn.untilClosed();
    eof.resolve();
  });
  using t = transport({ idleTimeoutMs: 40 });
  await (await t.send(req(up.url))).text();
  assert.equal(t.idleConnections, 1);
  await eof.promise;
  assert.equal(t.idleConnections, 0);
});

Deno.test("http1: aborting mid-body closes the connection; it is never reused", async () => {
  const eof = Promise.withResolvers<string>();
  await using up = rawUpstream(async (conn, i) => {
    await conn.readRequest();
    if (i === 0) {
      await conn.write("HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\npartial");
      eof.resolve(await conn.untilClosed());
    } else {
      await conn.write(OK);
      await serveAll(conn);
    }
  });
  using t = transport();
  const controller = new AbortController();
  const response = await t.send(req(up.url, { signal: controller.signal }));
  const reader = response.body!.getReader();
  assert.equal(new TextDecoder().decode((await reader.read()).value), "partial");
  const pending = reader.read();
  controller.abort(new Error("client left"));
  await assert.rejects(pending, /client left/);
  await eof.promise;
  assert.equal(await (await t.send(req(up.url))).text(), "ok");
  assert.equal(up.accepted, 2);
});

Deno.test("http1: a cancelled body closes the connection", async () => {
  const eof = Promise.withResolvers<void>();
  await using up = rawUpstream(async (conn) => {
    await conn.readRequest();
    await conn.write("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n");
    await conn.untilClosed();
    eof.resolve();
  });
  using t = transport();
  const response = await t.send(req(up.url));
  await response.body!.cancel();
  await eof.promise;
  assert.equal(t.idleConnections, 0);
});

Deno.test("http1: a failing client body fails the request with the body's error", async () => {
  await using up = rawUpstream(async (conn) => {
    await conn.untilClosed();
  });
  using t = transport();
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      controller.error(new TypeError("client body broke"));
    },
  });
  await assert.rejects(
    t.send(req(up.url, { method: "POST", headers: [], body })),
    /client body broke/,
  );
});

Deno.test("http1: a response cut inside a Content-Length body is UpstreamClosedError", async () => {
  await using up = rawUpstream(async (conn) => {
    await conn.readRequest();
    await conn.write("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc");
  });
  using t = transport();
  const error = await t.send(req(up.url)).catch((e) => e);
  assert.ok(error instanceof UpstreamClosedError);
  assert.equal(error.responseStarted, true);
});

Deno.test("http1: a head larger than a pooled write buffer, and a small body after a large head", async () => {
  const seen: { head: string; body: string }[] = [];
  await using up = rawUpstream(async (conn) => {
    seen.push((await conn.readRequest())!);
    await conn.write(OK);
    seen.push((await conn.readRequest(10_000))!);
    await conn.write(OK);
  });
  using t = transport();
  const big = "v".repeat(9_000);
  await (await t.send(req(up.url + "/big", { headers: [["x-big", big]] }))).text();
  assert.equal(
    seen[0]!.head,
    `GET /big HTTP/1.1\r\nhost: ${up.url.slice(7)}\r\nx-big: ${big}\r\n\r\n`,
  );
  const body = new Uint8Array(10_000).fill(98);
  const large = "w".repeat(4_000);
  await (await t.send(req(up.url + "/post", {
    method: "POST",
    headers: [["x-large", large]],
    body,
  }))).text();
  assert.equal(
    seen[1]!.head,
    `POST /post HTTP/1.1\r\nhost: ${up.url.slice(7)}\r\nx-large: ${large}\r\n` +
      "content-length: 10000\r\n\r\n",
  );
  assert.equal(seen[1]!.body, "b".repeat(10_000));
  assert.equal(up.accepted, 1);
});
