import assert from "node:assert/strict";
import { isValidHost, splitRequestUrl } from "./request_target.ts";

Deno.test("splitRequestUrl: the Host header never moves into the target", () => {
  assert.deepEqual(splitRequestUrl("http://a/admin/secret", "GET", "a/admin"), {
    authority: "a/admin",
    target: "/secret",
  });
  assert.deepEqual(splitRequestUrl("http://a?x=1/secret", "GET", "a?x=1"), {
    authority: "a?x=1",
    target: "/secret",
  });
  assert.deepEqual(splitRequestUrl("http://a/p?q", "GET", "a"), { authority: "a", target: "/p?q" });
});

Deno.test("splitRequestUrl: absolute form, no Host, asterisk and authority forms", () => {
  assert.deepEqual(splitRequestUrl("http://other:5/x?y", "GET", "a"), {
    authority: "other:5",
    target: "/x?y",
  });
  assert.deepEqual(splitRequestUrl("http://ab/x", "GET", "a"), { authority: "ab", target: "/x" });
  assert.deepEqual(splitRequestUrl("http://localhost:8080/x", "GET", null, "localhost:8080"), {
    authority: "",
    target: "/x",
  });
  assert.deepEqual(splitRequestUrl("http://localhost:8080/x", "GET", "", "localhost:8080"), {
    authority: "",
    target: "/x",
  });
  // HTTP/2: no Host, :authority in the URL.
  assert.deepEqual(splitRequestUrl("http://shop:8080/x", "GET", null, "localhost:8080"), {
    authority: "shop:8080",
    target: "/x",
  });
  assert.deepEqual(splitRequestUrl("http://a/*", "OPTIONS", "a"), { authority: "a", target: "*" });
  assert.deepEqual(splitRequestUrl("http://a/*", "GET", "a"), { authority: "a", target: "/*" });
  assert.deepEqual(splitRequestUrl("http://a:443", "CONNECT", "a:443"), {
    authority: "a:443",
    target: "",
  });
});

Deno.test("splitRequestUrl: characters outside ASCII are percent-encoded as UTF-8", () => {
  assert.deepEqual(splitRequestUrl("http://a/é?q=✓&e=😀", "GET", "a"), {
    authority: "a",
    target: "/%C3%A9?q=%E2%9C%93&e=%F0%9F%98%80",
  });
  assert.equal(splitRequestUrl("http://a/%C3%A9", "GET", "a").target, "/%C3%A9");
});

Deno.test("isValidHost: host[:port] per RFC 9110 §7.2 and RFC 3986", () => {
  for (
    const valid of [
      "a",
      "a:1",
      "a:65535",
      "EXAMPLE.com",
      "127.0.0.1",
      "[::1]",
      "[::1]:80",
      "[2001:db8::1]",
      "my_host~x",
      "a%2Fb",
      "a!$&'()*+,;=b",
    ]
  ) assert.ok(isValidHost(valid), valid);
  for (
    const invalid of [
      "",
      ":80",
      "a:",
      "a:65536",
      "a:123456",
      "a:8o",
      "a/b",
      "a?b",
      "a#b",
      "u@a",
      "a b",
      "a\\b",
      "a\tb",
      "a\x00b",
      "é.example",
      "[::1",
      "::1",
      "[zz::1]",
      "[v1.x]",
      "[::1]x",
      "a%2",
      "a%zz",
      'a"b',
      "a<b",
    ]
  ) assert.ok(!isValidHost(invalid), JSON.stringify(invalid));
});
