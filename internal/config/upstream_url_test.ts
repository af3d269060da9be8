import assert from "node:assert/strict";
import { normalizeBackendUrl, normalizeUpstreamUrl, parseDiscoveryUrl } from "./upstream_url.ts";

Deno.test("normalizeUpstreamUrl() returns the origin without a trailing slash", () => {
  assert.equal(normalizeUpstreamUrl("http://localhost:9001"), "http://localhost:9001");
  assert.equal(normalizeUpstreamUrl("http://localhost:9001/"), "http://localhost:9001");
  assert.equal(normalizeUpstreamUrl("HTTP://LocalHost:9001/"), "http://localhost:9001");
  assert.equal(normalizeUpstreamUrl("https://example.com:443"), "https://example.com");
  assert.equal(normalizeUpstreamUrl("http://[::1]:8080"), "http://[::1]:8080");
});

Deno.test("normalizeUpstreamUrl() rejects what is not an http(s) URL, with a hint", () => {
  assert.throws(() => normalizeUpstreamUrl("localhost:9001"), {
    name: "TypeError",
    message: '"localhost:9001" is not an http(s) URL (did you mean "http://localhost:9001"?)',
  });
  assert.throws(() => normalizeUpstreamUrl("ftp://example.com"), {
    message: '"ftp://example.com" is not an http(s) URL',
  });
  assert.throws(() => normalizeUpstreamUrl(""), { message: '"" is not an http(s) URL' });
  assert.throws(() => normalizeUpstreamUrl("http://"), TypeError);
});

Deno.test("normalizeUpstreamUrl() rejects a path, query or fragment", () => {
  assert.throws(() => normalizeUpstreamUrl("http://a:1/api"), {
    message: '"http://a:1/api" must be an origin only (http://a:1), without the path "/api"',
  });
  assert.throws(() => normalizeUpstreamUrl("http://a:1/?x=1#top"), {
    message:
      '"http://a:1/?x=1#top" must be an origin only (http://a:1), without the query "?x=1", the fragment "#top"',
  });
});

Deno.test("normalizeUpstreamUrl() rejects credentials without echoing the password", () => {
  assert.throws(() => normalizeUpstreamUrl("http://user:s3cret@a:1"), (error: unknown) => {
    assert.ok(error instanceof TypeError);
    assert.equal(
      error.message,
      '"http://user:***@a:1/" must not contain credentials (user:password@)',
    );
    assert.ok(!error.message.includes("s3cret"));
    return true;
  });
  assert.throws(() => normalizeUpstreamUrl("http://user@a:1"), /must not contain credentials/);
});

Deno.test("parseDiscoveryUrl() reads dns:// and dns+srv:// backends, strictly", () => {
  assert.deepEqual(parseDiscoveryUrl("dns://API.Internal:8080"), {
    kind: "a",
    name: "api.internal",
    port: 8080,
    url: "dns://api.internal:8080",
  });
  assert.deepEqual(parseDiscoveryUrl("dns+srv://_http._tcp.api.internal/"), {
    kind: "srv",
    name: "_http._tcp.api.internal",
    url: "dns+srv://_http._tcp.api.internal",
  });
  assert.equal(parseDiscoveryUrl("http://a:1"), undefined);
  assert.equal(normalizeBackendUrl("HTTP://a:1/"), "http://a:1");
  for (
    const bad of [
      "dns://api.internal",
      "dns://api.internal:0",
      "dns://api.internal:8080/path",
      "dns+srv://_http._tcp.api.internal:80",
      "dns://bad name:80",
      "dns://user@api:80",
    ]
  ) {
    assert.throws(() => parseDiscoveryUrl(bad), TypeError, bad);
  }
});
