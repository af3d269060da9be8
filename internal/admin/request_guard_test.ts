import assert from "node:assert/strict";
import { hostAllowed, isJsonContentType, originAllowed, splitHost } from "./request_guard.ts";

Deno.test("splitHost: name and port, IPv6 literals bracketed; malformed is undefined", () => {
  assert.deepEqual(splitHost("LocalHost:8090"), { name: "localhost", port: 8090 });
  assert.deepEqual(splitHost("[::1]:8090"), { name: "[::1]", port: 8090 });
  assert.deepEqual(splitHost("example.com"), { name: "example.com", port: undefined });
  for (const bad of ["", ":80", "a:b", "a:99999", "a:", "x[::1]"]) {
    assert.equal(splitHost(bad), undefined, bad);
  }
});

Deno.test("hostAllowed: loopback names on the admin port, plus the allowed hosts", () => {
  const rule = { port: 8090, allowedHosts: ["lb.example", "admin.example:9000"] };
  for (const host of ["localhost:8090", "127.0.0.1:8090", "[::1]:8090", "LOCALHOST:8090"]) {
    assert.equal(hostAllowed(host, rule), true, host);
  }
  for (
    const host of [null, "evil.example", "localhost:8091", "127.0.0.1", "127.0.0.2:8090", "[::1]"]
  ) {
    assert.equal(hostAllowed(host, rule), false, String(host));
  }
  assert.equal(hostAllowed("lb.example:443", rule), true, "a name alone: any port");
  assert.equal(hostAllowed("admin.example:9000", rule), true);
  assert.equal(hostAllowed("admin.example:8090", rule), false, "name:port: that port only");
  assert.equal(hostAllowed("localhost", { port: 80, allowedHosts: [] }), true, "no port is 80");
});

Deno.test("originAllowed: none, or the request's own host; null and others refused", () => {
  assert.equal(originAllowed(null, "127.0.0.1:8090"), true);
  assert.equal(originAllowed("http://127.0.0.1:8090", "127.0.0.1:8090"), true);
  assert.equal(originAllowed("https://lb.example", "lb.example:443"), true);
  assert.equal(originAllowed("http://evil.example", "127.0.0.1:8090"), false);
  assert.equal(originAllowed("http://127.0.0.1:8091", "127.0.0.1:8090"), false);
  assert.equal(originAllowed("null", "127.0.0.1:8090"), false);
  assert.equal(originAllowed("file://", "127.0.0.1:8090"), false);
  assert.equal(originAllowed("http://127.0.0.1:8090", null), false);
});

Deno.test("isJsonContentType: JSON and +json types; what forms send is not", () => {
  for (
    const type of [
      "application/json",
      "application/json; charset=utf-8",
      "application/merge-patch+json",
    ]
  ) {
    assert.equal(isJsonContentType(type), true, type);
  }
  for (
    const type of [
      null,
      "application/x-www-form-urlencoded",
      "multipart/form-data; boundary=x",
      "text/plain",
      "application/jsonx",
    ]
  ) {
    assert.equal(isJsonContentType(type), false, String(type));
  }
});
