import assert from "node:assert/strict";
import { parseHashKey } from "../config/mod.ts";
import { type HashKey, hashKeyOf } from "./hash_key.ts";
import type { SelectContext } from "./strategy.ts";

function ctx(url: string, headers: HeadersInit = {}, clientIp = "192.0.2.7"): SelectContext {
  return { request: new Request(url, { headers }), clientIp };
}

Deno.test("hashKeyOf: ip is the client IP from the context, not the socket or a header", () => {
  const c = ctx("http://lb/", { "x-forwarded-for": "203.0.113.9" }, "2001:db8::1");
  assert.equal(hashKeyOf({ source: "ip" }, c), "2001:db8::1");
});

Deno.test("hashKeyOf: path is the pathname as sent, without query or fragment", () => {
  const path: HashKey = { source: "path" };
  assert.equal(hashKeyOf(path, ctx("http://lb:8080/a/b.png?v=123&utm=x")), "/a/b.png");
  assert.equal(hashKeyOf(path, ctx("http://lb/a/b.png")), "/a/b.png");
  assert.equal(hashKeyOf(path, ctx("http://lb")), "/");
  assert.equal(hashKeyOf(path, ctx("http://lb/?q=1")), "/");
  assert.equal(hashKeyOf(path, ctx("https://user:pw@lb/x%20y#frag")), "/x%20y");
  assert.equal(hashKeyOf(path, ctx("http://[::1]:80/v6")), "/v6");
});

Deno.test("hashKeyOf: header value; missing or empty is undefined", () => {
  const key = parseHashKey("header:X-User");
  assert.equal(hashKeyOf(key, ctx("http://lb/", { "X-User": "alice" })), "alice");
  assert.equal(hashKeyOf(key, ctx("http://lb/", { "x-user": " bob " })), "bob");
  assert.equal(hashKeyOf(key, ctx("http://lb/")), undefined);
  assert.equal(hashKeyOf(key, ctx("http://lb/", { "x-user": "" })), undefined);
});

Deno.test("hashKeyOf: cookie value from the Cookie header", () => {
  const sid = parseHashKey("cookie:sid");
  const of = (cookie: string) => hashKeyOf(sid, ctx("http://lb/", { cookie }));
  assert.equal(of("sid=abc"), "abc");
  assert.equal(of("theme=dark; sid=abc; lang=en"), "abc");
  assert.equal(of("theme=dark;sid=abc;lang=en"), "abc");
  assert.equal(of("  sid = abc  ;x=1"), "abc");
  assert.equal(of("xsid=1; sidx=2; sid=3"), "3", "names match whole");
  assert.equal(of("sid=a=b=="), "a=b==", "base64 padding stays");
  assert.equal(of('sid="quoted"'), '"quoted"');
  assert.equal(of("sid=first; sid=second"), "first");
  assert.equal(of("a=1, sid=abc"), "abc", "Cookie fields joined by Headers.get");
  assert.equal(of("SID=abc"), undefined, "cookie names are case-sensitive");
  assert.equal(of("theme=dark"), undefined);
  assert.equal(of("sid"), undefined);
  assert.equal(of("sid=; x=1"), undefined, "empty value");
  assert.equal(of(""), undefined);
  assert.equal(hashKeyOf(sid, ctx("http://lb/")), undefined, "no Cookie header");

  const headers = new Headers();
  headers.append("cookie", "a=1");
  headers.append("cookie", "sid=two");
  assert.equal(
    hashKeyOf(sid, { request: new Request("http://lb/", { headers }), clientIp: "" }),
    "two",
  );
});
