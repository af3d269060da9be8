import assert from "node:assert/strict";
import { RoundRobinStrategy } from "../balancer/mod.ts";
import { Pool, Upstream } from "../pool/mod.ts";
import { createDirector, type Transport, type UpstreamRequest } from "../proxy/mod.ts";
import { compose } from "./compose.ts";
import { createContext } from "./context.ts";
import { sticky, StickySigner } from "./sticky.ts";

const SECRET = "0123456789abcdef-sticky-secret";

/** Answers with the upstream's host; refuses connections to the hosts in `down`. */
class FakeTransport implements Transport {
  readonly down = new Set<string>();
  send(request: UpstreamRequest): Promise<Response> {
    const host = new URL(request.url).hostname;
    if (this.down.has(host)) {
      return Promise.reject(
        new TypeError("fetch failed", {
          cause: new Error("client error (Connect): tcp connect error: Connection refused"),
        }),
      );
    }
    return Promise.resolve(new Response(host));
  }
  close(): void {}
}

function setup() {
  const pool = new Pool(["a", "b", "c"].map((id) => ({ id, name: id, url: `http://${id}:80` })));
  const transport = new FakeTransport();
  const handle = compose(
    [sticky({ cookie: "lb", secret: SECRET, lookup: (id) => pool.get(id) })],
    createDirector({
      pool,
      strategy: new RoundRobinStrategy(),
      transport,
      timeoutMs: 1000,
      preserveHost: true,
      shutdownSignal: new AbortController().signal,
    }),
  );
  const send = async (cookie?: string, init: { https?: boolean; headers?: HeadersInit } = {}) => {
    const headers = new Headers(init.headers);
    if (cookie !== undefined) headers.set("cookie", cookie);
    const ctx = createContext(new Request("http://lb/", { headers }), "192.0.2.1", {
      protocol: init.https ? "https" : "http",
    });
    const response = await handle(ctx);
    return { text: await response.text(), setCookie: response.headers.get("set-cookie") };
  };
  return { pool, transport, send };
}

/** The `name=value` part of a Set-Cookie field. */
function pair(setCookie: string | null): string {
  assert.ok(setCookie !== null, "expected a Set-Cookie");
  return setCookie.split(";")[0]!;
}

Deno.test("StickySigner: <id>.<base64url HMAC-SHA256>, stable, verified only when intact", async () => {
  const upstream = new Upstream({ id: "u1", name: "a", url: "http://a:80" });
  const lookup = (id: string) => (id === "u1" ? upstream : undefined);
  const signer = new StickySigner(SECRET);
  const value = await signer.valueFor(upstream);
  assert.match(value, /^u1\.[A-Za-z0-9_-]{43}$/);
  assert.equal(signer.valueFor(upstream), value, "computed once, then at hand synchronously");
  assert.equal(await new StickySigner(SECRET).valueFor(upstream), value, "deterministic");
  assert.equal(await signer.verify(value, lookup), upstream);

  const mac = value.slice(3);
  const flipped = mac[0] === "A" ? `B${mac.slice(1)}` : `A${mac.slice(1)}`;
  for (
    const forged of [
      `u1.${flipped}`,
      `u1.${mac.slice(0, -1)}`,
      `u1.${mac}A`,
      `u2.${mac}`,
      `u1${mac}`,
      `.${mac}`,
      "u1",
      "",
    ]
  ) {
    assert.equal(await signer.verify(forged, lookup), undefined, forged);
  }
  assert.equal(await new StickySigner("another-secret-0123456").verify(value, lookup), undefined);
  // The same id on another server (a restart with another backend list) does not verify.
  const moved = new Upstream({ id: "u1", name: "a", url: "http://elsewhere:80" });
  assert.equal(await signer.verify(value, () => moved), undefined);
});

Deno.test("sticky(): the first response pins, later ones follow the cookie", async () => {
  const { send } = setup();
  const first = await send();
  assert.equal(first.text, "a");
  assert.match(first.setCookie ?? "", /^lb=a\.[\w-]{43}; Path=\/; HttpOnly; SameSite=Lax$/);
  const cookie = pair(first.setCookie);
  for (let i = 0; i < 4; i++) {
    const next = await send(cookie);
    assert.equal(next.text, "a", "round robin would have moved on");
    assert.equal(next.setCookie, null, "a valid cookie is not sent again");
  }
  const among = await send(`theme=dark; ${cookie}; other=1`);
  assert.deepEqual(among, { text: "a", setCookie: null }, "found among other cookies");
  const other = await send();
  assert.equal(other.text, "b", "clients without the cookie are balanced as before");
});

Deno.test("sticky(): an unavailable pinned upstream falls back and re-pins", async () => {
  const { pool, send } = setup();
  const cookie = pair((await send()).setCookie);
  pool.setAdminState("a", "draining");
  const moved = await send(cookie);
  assert.notEqual(moved.text, "a");
  const repinned = pair(moved.setCookie);
  assert.ok(repinned.startsWith(`lb=${moved.text[0]}.`), repinned);
  assert.equal((await send(repinned)).text, moved.text);
  assert.equal((await send(repinned)).setCookie, null);
});

Deno.test("sticky(): a pinned upstream that refuses the connection is not retried", async () => {
  const { transport, send } = setup();
  const cookie = pair((await send()).setCookie);
  transport.down.add("a");
  const moved = await send(cookie);
  assert.equal(moved.text, "b", "the retry goes to another upstream");
  assert.ok(pair(moved.setCookie).startsWith("lb=b."));
});

Deno.test("sticky(): a tampered or unknown cookie is ignored and replaced", async () => {
  const { send } = setup();
  const cookie = pair((await send()).setCookie); // lb=a.<mac>
  const tampered = cookie.replace("lb=a.", "lb=c.");
  const answer = await send(tampered);
  assert.equal(answer.text, "b", "the strategy chose, not the cookie");
  assert.ok(pair(answer.setCookie).startsWith("lb=b."));
  assert.ok((await send("lb=zz.abc")).setCookie !== null);
  assert.ok((await send("lb=garbage")).setCookie !== null);
});

Deno.test("sticky(): Secure over HTTPS, directly or behind a TLS terminator", async () => {
  const { send } = setup();
  assert.match((await send(undefined, { https: true })).setCookie ?? "", /; Secure$/);
  const terminated = await send(undefined, { headers: { "x-forwarded-proto": "https" } });
  assert.match(terminated.setCookie ?? "", /; Secure$/);
  assert.doesNotMatch((await send()).setCookie ?? "", /Secure/);
});

Deno.test("sticky(): no cookie when no upstream answered", async () => {
  const { pool, send } = setup();
  for (const id of ["a", "b", "c"]) pool.setAdminState(id, "maintenance");
  await assert.rejects(send(), { name: "NoUpstreamError" });
});
