/**
 * End-to-end: what the upstream receives (method, target, Host, forwarding headers, request id)
 * and what the client receives back (hop-by-hop headers removed, request id returned).
 *
 * Every test runs once per transport (tests/_matrix.ts). Known traits of `--transport fetch`:
 * - fetch removes dot segments from the path (`/a/../b` reaches the upstream as `/b`);
 * - fetch adds `accept: *\/*`, `accept-language: *` and `user-agent: Deno/…` when the client
 *   did not send them (a client's own values are kept);
 * - FetchTransport sends `accept-encoding: identity` so fetch never decompresses a body.
 * `--transport http1` sends the target byte for byte and adds nothing of the kind.
 *
 * @module
 */

import assert from "node:assert/strict";
import { get, type SeenRequest, startSluice, startUpstream } from "./_fixtures.ts";
import { proxyTest, type Variant } from "./_matrix.ts";
import { rawRequest, type RawResponse } from "./_raw_http.ts";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** Headers Sluice may add on the way to the upstream, whatever the transport. */
const ADDED_BY_SLUICE = [
  "x-forwarded-for",
  "x-forwarded-proto",
  "x-forwarded-host",
  "forwarded",
  "x-real-ip",
  "x-request-id",
  "content-length",
  "host",
  // W3C trace context: a new trace when the client sent none (tests/trace_context_test.ts).
  "traceparent",
];

/** Headers Sluice and its transport may add on the way to the upstream. */
function addedAllowed(variant: Variant): ReadonlySet<string> {
  return new Set([
    ...ADDED_BY_SLUICE,
    // Added by fetch when absent, and `identity` set by FetchTransport: see the module comment.
    ...(variant.transport === "fetch"
      ? ["accept", "accept-language", "user-agent", "accept-encoding"]
      : []),
  ]);
}

const decoder = new TextDecoder();

function headerNames(raw: RawResponse): string[] {
  return raw.headerList.map(([name]) => name);
}

function only(seen: SeenRequest[]): SeenRequest {
  assert.equal(seen.length, 1, `expected exactly one request upstream, got ${seen.length}`);
  return seen[0]!;
}

// --- Tests ---

proxyTest("headers: method, path and query reach the upstream byte for byte", async (variant) => {
  await using up = startUpstream("up");
  await using sluice = await startSluice(variant, ["--backends", up.url]);
  const target = "/a%2Fb/c%20d?q=%E2%9C%93&x=1&x=2";
  const methods = ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"];
  for (const method of methods) {
    const init: RequestInit = { method };
    if (method === "POST" || method === "PUT" || method === "PATCH") init.body = "body";
    const { status, text } = await get(sluice.url + target, init);
    assert.equal(status, 200, method);
    assert.equal(text, "up", method);
  }
  assert.deepEqual(up.seen.map((r) => r.method), methods);
  for (const seen of up.seen) assert.equal(seen.target, target, seen.method);
});

proxyTest("headers: odd request targets sent raw reach the upstream unchanged", async (variant) => {
  await using up = startUpstream("up");
  await using sluice = await startSluice(variant, ["--backends", up.url]);
  const targets = [
    "/",
    "/?",
    "/only?",
    "/%41%2f%2F",
    "/a//b",
    "//leading/double",
    "/x?redirect=http%3A%2F%2Fexample.test%2F%3Fa%3Db&empty=&flag",
    "/~user/file.tar.gz;v=1",
  ];
  for (const target of targets) {
    const raw = await rawRequest(
      sluice.url,
      `GET ${target} HTTP/1.1\r\nHost: sluice.test\r\nConnection: close\r\n\r\n`,
    );
    assert.equal(raw.status, 200, target);
  }
  assert.deepEqual(up.seen.map((r) => r.target), targets);
});

proxyTest(
  "headers: the client's Host is preserved and reported as X-Forwarded-Host",
  async (variant) => {
    await using up = startUpstream("up");
    await using sluice = await startSluice(variant, ["--backends", up.url]);

    const raw = await rawRequest(
      sluice.url,
      "GET /h HTTP/1.1\r\nHost: shop.example.test:8443\r\nConnection: close\r\n\r\n",
    );
    assert.equal(raw.status, 200);
    assert.equal(decoder.decode(raw.body), "up");
    const seen = only(up.seen);
    assert.equal(seen.headers.get("host"), "shop.example.test:8443");
    assert.equal(seen.headers.get("x-forwarded-host"), "shop.example.test:8443");

    // fetch sends Sluice's own address as Host: that is what the upstream sees too.
    const { status } = await get(sluice.url + "/h2");
    assert.equal(status, 200);
    const sluiceHost = new URL(sluice.url).host;
    assert.equal(up.seen[1]?.headers.get("host"), sluiceHost);
    assert.equal(up.seen[1]?.headers.get("x-forwarded-host"), sluiceHost);
  },
);

proxyTest("headers: hop-by-hop request headers are not forwarded", async (variant) => {
  await using up = startUpstream("up");
  await using sluice = await startSluice(variant, ["--backends", up.url]);
  const raw = await rawRequest(
    sluice.url,
    "GET /hop HTTP/1.1\r\n" +
      "Host: sluice.test\r\n" +
      "Connection: close, X-Custom-Hop\r\n" +
      "X-Custom-Hop: secret\r\n" +
      "Keep-Alive: timeout=5\r\n" +
      "TE: trailers\r\n" +
      "Upgrade: example/1\r\n" +
      "Proxy-Connection: keep-alive\r\n" +
      "X-End-To-End: kept\r\n" +
      "\r\n",
  );
  assert.equal(raw.status, 200);
  const seen = only(up.seen).headers;
  for (const name of ["x-custom-hop", "keep-alive", "te", "upgrade", "proxy-connection"]) {
    assert.equal(seen.get(name), null, `${name} was forwarded`);
  }
  // The transport may open its own keep-alive connection, but never relays the client's.
  assert.doesNotMatch(seen.get("connection") ?? "", /close|x-custom-hop/i);
  assert.equal(seen.get("x-end-to-end"), "kept");
});

proxyTest("headers: hop-by-hop response headers do not reach the client", async (variant) => {
  await using up = startUpstream("up", () =>
    new Response("hello", {
      headers: {
        "connection": "x-up-hop",
        "x-up-hop": "1",
        "keep-alive": "timeout=5",
        "proxy-connection": "keep-alive",
        "upgrade": "example/1",
        "x-end-to-end": "kept",
      },
    }));
  await using sluice = await startSluice(variant, ["--backends", up.url]);
  const head = "GET / HTTP/1.1\r\nHost: sluice.test\r\nConnection: close\r\n\r\n";

  // Control: the upstream really sends them on the wire.
  const direct = await rawRequest(up.url, head);
  assert.ok(headerNames(direct).includes("x-up-hop"), "control: upstream did not send x-up-hop");
  assert.ok(headerNames(direct).includes("keep-alive"), "control: no keep-alive upstream");

  const raw = await rawRequest(sluice.url, head);
  assert.equal(raw.status, 200);
  assert.equal(decoder.decode(raw.body), "hello");
  const names = headerNames(raw);
  for (const name of ["x-up-hop", "keep-alive", "proxy-connection", "upgrade"]) {
    assert.ok(
      !names.includes(name),
      `${name} reached the client: ${JSON.stringify(raw.headerList)}`,
    );
  }
  // Sluice's own connection management may say `close` (the client asked for it), nothing else.
  for (const [name, value] of raw.headerList) {
    if (name === "connection") assert.equal(value.toLowerCase(), "close");
  }
  assert.ok(raw.headerList.some(([n, v]) => n === "x-end-to-end" && v === "kept"));
});

proxyTest("headers: X-Forwarded-For is appended, -Proto and -Host replaced", async (variant) => {
  await using up = startUpstream("up");
  await using sluice = await startSluice(variant, ["--backends", up.url]);

  await get(sluice.url + "/one", { headers: { "x-forwarded-for": "1.2.3.4" } });
  await get(sluice.url + "/two", {
    headers: {
      "x-forwarded-for": "1.2.3.4, 10.0.0.1",
      "x-forwarded-proto": "https",
      "x-forwarded-host": "spoofed.example.test",
    },
  });
  await get(sluice.url + "/three");
  const [one, two, three] = up.seen;
  const host = new URL(sluice.url).host;
  assert.equal(one?.headers.get("x-forwarded-for"), "1.2.3.4, 127.0.0.1");
  assert.equal(one?.headers.get("x-forwarded-proto"), "http");
  assert.equal(one?.headers.get("x-forwarded-host"), host);
  assert.equal(two?.headers.get("x-forwarded-for"), "1.2.3.4, 10.0.0.1, 127.0.0.1");
  assert.equal(two?.headers.get("x-forwarded-proto"), "http");
  assert.equal(two?.headers.get("x-forwarded-host"), host);
  assert.equal(three?.headers.get("x-forwarded-for"), "127.0.0.1");
});

proxyTest(
  "headers: X-Request-Id kept when sane, replaced when not, same on both sides",
  async (variant) => {
    await using up = startUpstream("up");
    await using sluice = await startSluice(variant, ["--backends", up.url]);
    const cases: { sent: string | undefined; kept: boolean }[] = [
      { sent: "0f6c1e9a-5b7d-4c1e-9f3a-2b8d7e6c5a41", kept: true },
      { sent: "trace:abc.DEF_123+/=-", kept: true },
      { sent: "x".repeat(128), kept: true },
      { sent: "x".repeat(300), kept: false },
      { sent: "<script>alert(1)</script>", kept: false },
      { sent: "has space", kept: false },
      { sent: undefined, kept: false },
    ];
    const returned: string[] = [];
    for (const [i, { sent, kept }] of cases.entries()) {
      const init: RequestInit = sent === undefined ? {} : { headers: { "x-request-id": sent } };
      const { status, headers } = await get(sluice.url + "/", init);
      assert.equal(status, 200);
      const toClient = headers.get("x-request-id");
      const toUpstream = up.seen[i]?.headers.get("x-request-id");
      assert.ok(toClient, `no X-Request-Id returned for ${sent}`);
      assert.equal(toUpstream, toClient, `upstream and client disagree for ${sent}`);
      if (kept) assert.equal(toClient, sent);
      else assert.match(toClient, UUID, `${sent} should have been replaced by a generated id`);
      returned.push(toClient);
    }
    assert.equal(new Set(returned).size, returned.length, "request ids repeat");
  },
);

proxyTest(
  "headers: Accept-Encoding: identity with fetch, the client's own with http1",
  async (variant) => {
    await using up = startUpstream("up");
    await using sluice = await startSluice(variant, ["--backends", up.url]);
    await get(sluice.url + "/", { headers: { "accept-encoding": "gzip, br" } });
    assert.equal(
      only(up.seen).headers.get("accept-encoding"),
      variant.transport === "fetch" ? "identity" : "gzip, br",
    );
  },
);

Deno.test("headers: http1 sends the request target byte for byte, dot segments included", async () => {
  await using up = startUpstream("up");
  await using sluice = await startSluice(["--transport", "http1", "--backends", up.url]);
  const targets = ["/a/../b", "/a/./b?x=%41", "/%2e%2e/x", "/a%2Fb//c"];
  for (const target of targets) {
    const raw = await rawRequest(
      sluice.url,
      `GET ${target} HTTP/1.1\r\nHost: t.example\r\nConnection: close\r\n\r\n`,
    );
    assert.equal(raw.status, 200, target);
  }
  assert.deepEqual(up.seen.map((seen) => seen.target), targets);
});

proxyTest(
  "headers: nothing unexpected is added, end-to-end headers arrive unchanged",
  async (variant) => {
    await using up = startUpstream("up");
    await using sluice = await startSluice(variant, ["--backends", up.url]);
    // Exactly these lines go over the wire (no fetch in between on the client side).
    const sent: [string, string][] = [
      ["host", "app.example.test"],
      ["authorization", "Bearer t0ken"],
      ["cookie", "a=1; b=2"],
      ["x-custom", "value, with comma"],
      ["cache-control", "no-cache"],
      ["if-none-match", '"etag-1"'],
      ["content-type", "application/json"],
      ["content-length", "2"],
    ];
    const raw = await rawRequest(
      sluice.url,
      `POST /api HTTP/1.1\r\n${sent.map(([n, v]) => `${n}: ${v}\r\n`).join("")}` +
        "Connection: close\r\n\r\n{}",
    );
    assert.equal(raw.status, 200);
    const seen = only(up.seen).headers;
    for (const [name, value] of sent) assert.equal(seen.get(name), value, name);
    const sentNames = new Set(sent.map(([name]) => name));
    const added = [...seen.keys()].filter((name) => !sentNames.has(name));
    const allowed = addedAllowed(variant);
    const unexpected = added.filter((name) => !allowed.has(name));
    assert.deepEqual(unexpected, [], `unexpected headers upstream: ${unexpected.join(", ")}`);
  },
);

proxyTest("headers: a client's own User-Agent and Accept are not overwritten", async (variant) => {
  await using up = startUpstream("up");
  await using sluice = await startSluice(variant, ["--backends", up.url]);
  await get(sluice.url + "/", {
    headers: { "user-agent": "my-client/1.0", "accept": "application/json" },
  });
  const seen = only(up.seen).headers;
  assert.equal(seen.get("user-agent"), "my-client/1.0");
  assert.equal(seen.get("accept"), "application/json");
});

proxyTest(
  "headers: several Set-Cookie headers reach the client as separate lines",
  async (variant) => {
    const cookies = [
      "session=abc; Path=/; HttpOnly",
      "theme=dark; Expires=Wed, 21 Oct 2037 07:28:00 GMT",
    ];
    await using up = startUpstream("up", () => {
      const headers = new Headers();
      for (const cookie of cookies) headers.append("set-cookie", cookie);
      return new Response("ok", { headers });
    });
    await using sluice = await startSluice(variant, ["--backends", up.url]);
    const raw = await rawRequest(
      sluice.url,
      "GET / HTTP/1.1\r\nHost: sluice.test\r\nConnection: close\r\n\r\n",
    );
    assert.equal(raw.status, 200);
    assert.deepEqual(raw.headerList.filter(([n]) => n === "set-cookie").map(([, v]) => v), cookies);
  },
);
