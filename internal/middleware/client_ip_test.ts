import assert from "node:assert/strict";
import { CidrSet } from "../net/mod.ts";
import { clientIp, resolveClientIp } from "./client_ip.ts";
import { compose } from "./compose.ts";
import { createContext } from "./context.ts";

const TRUSTED = new CidrSet(["10.0.0.0/8", "2001:db8::/32"]);

function resolve(peer: string, forwardedFor?: string | string[], trusted = TRUSTED): string {
  const headers = new Headers();
  for (const value of [forwardedFor ?? []].flat()) headers.append("x-forwarded-for", value);
  return resolveClientIp(peer, headers, trusted);
}

Deno.test("resolveClientIp(): an untrusted peer is the client, whatever it forwards", () => {
  assert.equal(resolve("198.51.100.7", "203.0.113.1"), "198.51.100.7");
  assert.equal(resolve("198.51.100.7", "10.0.0.5"), "198.51.100.7");
  assert.equal(resolve("2001:db9::1", "203.0.113.1"), "2001:db9::1");
  assert.equal(resolve("198.51.100.7"), "198.51.100.7");
  assert.equal(resolve("10.0.0.1", "203.0.113.1", new CidrSet([])), "10.0.0.1", "none trusted");
});

Deno.test("resolveClientIp(): a trusted peer's X-Forwarded-For is read from the right", () => {
  assert.equal(resolve("10.0.0.1", "203.0.113.9"), "203.0.113.9");
  assert.equal(resolve("10.0.0.1"), "10.0.0.1", "no X-Forwarded-For: the proxy itself");
  // Proxies in a chain, each trusted, appended their peers: the first untrusted is the client.
  assert.equal(resolve("10.0.0.1", "203.0.113.9, 10.0.0.3, 10.0.0.2"), "203.0.113.9");
  assert.equal(resolve("2001:db8::1", "2001:db8::2,2a00:1450::5"), "2a00:1450::5");
});

Deno.test("resolveClientIp(): spoofed entries left of the first untrusted address are ignored", () => {
  // The client sent "X-Forwarded-For: 1.1.1.1, 10.0.0.9"; the trusted proxy appended its peer.
  assert.equal(resolve("10.0.0.1", "1.1.1.1, 10.0.0.9, 203.0.113.9"), "203.0.113.9");
  assert.equal(resolve("10.0.0.1", ["1.1.1.1", "203.0.113.9"]), "203.0.113.9", "two fields");
});

Deno.test("resolveClientIp(): when every entry is trusted, the leftmost is the client", () => {
  assert.equal(resolve("10.0.0.1", "10.0.0.3, 10.0.0.2"), "10.0.0.3");
});

Deno.test("resolveClientIp(): a malformed entry stops the walk at the last valid address", () => {
  assert.equal(resolve("10.0.0.1", "203.0.113.9, garbage"), "10.0.0.1", "nothing valid read");
  assert.equal(resolve("10.0.0.1", "203.0.113.9, unknown, 10.0.0.2"), "10.0.0.2");
  assert.equal(resolve("10.0.0.1", "203.0.113.9, 10.0.0.300"), "10.0.0.1");
  assert.equal(resolve("10.0.0.1", "203.0.113.9 10.0.0.2"), "10.0.0.1", "no comma");
});

Deno.test("resolveClientIp(): spaces, empty entries, ports and brackets", () => {
  assert.equal(resolve("10.0.0.1", "  203.0.113.9\t,\t10.0.0.2  "), "203.0.113.9");
  assert.equal(resolve("10.0.0.1", "203.0.113.9,, ,10.0.0.2,"), "203.0.113.9");
  assert.equal(resolve("10.0.0.1", "203.0.113.9:4711, 10.0.0.2:80"), "203.0.113.9");
  assert.equal(resolve("10.0.0.1", "[2a00:1450::5]:443"), "2a00:1450::5");
  assert.equal(resolve("10.0.0.1", "[2a00:1450::5]"), "2a00:1450::5");
  assert.equal(resolve("10.0.0.1", "2a00:1450::5:443"), "2a00:1450::5:443", "bare IPv6 is IPv6");
  assert.equal(resolve("10.0.0.1", "203.0.113.9:"), "10.0.0.1", "a colon without a port");
  assert.equal(resolve("10.0.0.1", "203.0.113.9:123456"), "10.0.0.1", "six digits");
  assert.equal(resolve("10.0.0.1", "[2a00:1450::5"), "10.0.0.1", "no closing bracket");
  assert.equal(resolve("10.0.0.1", ""), "10.0.0.1");
});

Deno.test("resolveClientIp(): IPv4-mapped IPv6 on either side, canonical spelling out", () => {
  assert.equal(resolve("::ffff:10.0.0.1", "203.0.113.9"), "203.0.113.9", "a mapped peer");
  assert.equal(resolve("10.0.0.1", "::ffff:203.0.113.9"), "203.0.113.9", "a mapped client");
  assert.equal(resolve("10.0.0.1", "203.0.113.9, ::ffff:10.0.0.2"), "203.0.113.9");
  assert.equal(resolve("10.0.0.1", "2A00:1450:0:0::5"), "2a00:1450::5");
});

Deno.test("clientIp(): sets ctx.clientIp and leaves clientAddress (for X-Forwarded-For)", async () => {
  const seen: string[] = [];
  const handle = compose([clientIp({ trustedProxies: ["127.0.0.1"] })], (ctx) => {
    seen.push(`${ctx.clientAddress} ${ctx.clientIp}`);
    return Promise.resolve(new Response("ok"));
  });
  const request = () =>
    new Request("http://lb/", { headers: { "x-forwarded-for": "1.1.1.1, 203.0.113.9" } });
  await handle(createContext(request(), "127.0.0.1"));
  await handle(createContext(request(), "192.0.2.1"));
  assert.deepEqual(seen, ["127.0.0.1 203.0.113.9", "192.0.2.1 192.0.2.1"]);
  assert.throws(() => clientIp({ trustedProxies: ["nope"] }), TypeError);
});
