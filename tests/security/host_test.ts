/**
 * End-to-end, raw sockets: the path sent upstream comes from the request target only, never
 * from the Host header; a Host that is not `host[:port]` (RFC 9110 §7.2, RFC 3986) and an
 * HTTP/1.1 request without Host get 400 and reach no upstream (issue 9, item 1).
 *
 * @module
 */

import assert from "node:assert/strict";
import { proxyTest } from "../_matrix.ts";
import { startSluice } from "../_fixtures.ts";
import { rawRequest } from "../_raw_http.ts";
import { startRecordingUpstream } from "../_recording_upstream.ts";
import { spawnMain } from "../_process.ts";

proxyTest(
  "host: Host: a/admin does not turn GET /secret into /admin/secret upstream",
  async (variant) => {
    await using up = startRecordingUpstream();
    await using sluice = await startSluice(variant, ["--backends", up.url]);
    // printf 'GET /secret HTTP/1.1\r\nHost: a/admin\r\n\r\n' (with Connection: close to end it)
    const refused = await rawRequest(
      sluice.url,
      "GET /secret HTTP/1.1\r\nHost: a/admin\r\nConnection: close\r\n\r\n",
    );
    assert.equal(refused.status, 400);
    assert.match(
      new TextDecoder().decode(refused.body),
      /Host header is not a valid host\[:port\]/,
    );
    const ok = await rawRequest(
      sluice.url,
      "GET /secret HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n",
    );
    assert.equal(ok.status, 200);
    await up.waitForRequests(1, 5_000);
    assert.deepEqual(
      up.requests.map((r) => r.target),
      ["/secret"],
      "only the valid request, as sent",
    );
    assert.equal(up.requests[0]!.headers.get("x-forwarded-host"), "a");
  },
);

proxyTest(
  "host: every Host that is not host[:port] gets 400 and reaches no upstream",
  async (variant) => {
    await using up = startRecordingUpstream();
    await using sluice = await startSluice(variant, ["--backends", up.url]);
    const invalid = [
      "a/admin",
      "a?x=1",
      "a#x",
      "user@a",
      "a b",
      "a\\b",
      "",
      ":80",
      "a:",
      "a:99999",
      "a:8o",
      "[::1",
      "[zz::1]:80",
      "[v1.x]",
      "a%2",
      "\xc3\xa9.example",
    ];
    for (const host of invalid) {
      const response = await rawRequest(
        sluice.url,
        `GET /x HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`,
      );
      assert.equal(response.status, 400, `Host: ${JSON.stringify(host)}`);
    }
    assert.equal(up.requests.length, 0, "no invalid Host reached the upstream");
  },
);

proxyTest("host: valid Hosts pass, the path stays the target byte for byte", async (variant) => {
  await using up = startRecordingUpstream();
  await using sluice = await startSluice(variant, ["--backends", up.url]);
  const valid = [
    "a",
    "a:8080",
    "Example.COM",
    "127.0.0.1:80",
    "[::1]:8080",
    "[2001:db8::1]",
    "xn--bcher-kva.example",
    "my_host.internal",
    "a%2Fb",
  ];
  for (const host of valid) {
    const response = await rawRequest(
      sluice.url,
      `GET /p?q=1 HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`,
    );
    assert.equal(response.status, 200, `Host: ${host}`);
  }
  await up.waitForRequests(valid.length, 5_000);
  assert.deepEqual(up.requests.map((r) => r.target), valid.map(() => "/p?q=1"));
  assert.deepEqual(up.requests.map((r) => r.headers.get("x-forwarded-host")), valid);
});

proxyTest("host: an HTTP/1.1 request without Host gets 400 (as nginx)", async (variant) => {
  await using up = startRecordingUpstream();
  await using sluice = await startSluice(variant, ["--backends", up.url]);
  const response = await rawRequest(sluice.url, "GET /x HTTP/1.1\r\nConnection: close\r\n\r\n");
  assert.equal(response.status, 400);
  assert.match(new TextDecoder().decode(response.body), /Host header is missing/);
  assert.equal(up.requests.length, 0);
});

proxyTest(
  "host: an absolute-form target's authority, not Host, is X-Forwarded-Host (RFC 9112 §3.2.2)",
  async (variant) => {
    await using up = startRecordingUpstream();
    await using sluice = await startSluice(variant, ["--backends", up.url]);
    const response = await rawRequest(
      sluice.url,
      "GET http://other.example:5/x?y HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n",
    );
    assert.equal(response.status, 200);
    await up.waitForRequests(1, 5_000);
    const seen = up.requests[0]!;
    assert.equal(seen.target, "/x?y");
    assert.equal(seen.headers.get("x-forwarded-host"), "other.example:5");
  },
);

Deno.test("host: the access log shows the request target, never a path made of the Host", async () => {
  await using up = startRecordingUpstream();
  await using proc = spawnMain(["--allow-net"], [
    "--host",
    "127.0.0.1",
    "--port",
    "0",
    "--backends",
    up.url,
    "--log-format",
    "json",
  ]);
  const start = await proc.line((e) =>
    e.logger === "sluice.app" && String(e.message).startsWith("Sluice listening")
  );
  const response = await rawRequest(
    `http://127.0.0.1:${start.port}`,
    "GET /secret HTTP/1.1\r\nHost: a/admin\r\nConnection: close\r\n\r\n",
  );
  assert.equal(response.status, 400);
  const entry = await proc.line((e) => e.logger === "sluice.access");
  assert.equal(entry.path, "/secret");
  assert.equal(entry.status, 400);
  assert.equal(up.requests.length, 0);
});
