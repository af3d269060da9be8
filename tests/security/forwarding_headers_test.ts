/**
 * End-to-end, raw sockets: X-Real-IP and Forwarded (RFC 7239) from clients are handled like the
 * X-Forwarded-* headers, and `Connection: host` cannot remove Host (issue 9, item 4).
 *
 * @module
 */

import assert from "node:assert/strict";
import { proxyTest } from "../_matrix.ts";
import { startSluice } from "../_fixtures.ts";
import { rawRequest } from "../_raw_http.ts";
import { startRecordingUpstream } from "../_recording_upstream.ts";

proxyTest(
  "forwarding: a client's X-Real-IP is replaced and Forwarded gets Sluice's element",
  async (variant) => {
    await using up = startRecordingUpstream();
    await using sluice = await startSluice(variant, ["--backends", up.url]);
    const response = await rawRequest(
      sluice.url,
      "GET / HTTP/1.1\r\nHost: a\r\nX-Real-IP: 9.9.9.9\r\nForwarded: for=8.8.8.8\r\n" +
        "X-Forwarded-For: 7.7.7.7\r\nConnection: close\r\n\r\n",
    );
    assert.equal(response.status, 200);
    await up.waitForRequests(1, 5_000);
    const seen = up.requests[0]!;
    assert.deepEqual(seen.headerList.filter(([n]) => n === "x-real-ip"), [[
      "x-real-ip",
      "127.0.0.1",
    ]]);
    // Appended like X-Forwarded-For: the rightmost element is Sluice's, the only one to believe.
    assert.equal(seen.headers.get("forwarded"), "for=8.8.8.8, for=127.0.0.1;host=a;proto=http");
    assert.equal(seen.headers.get("x-forwarded-for"), "7.7.7.7, 127.0.0.1");
  },
);

proxyTest(
  "forwarding: behind a trusted proxy, X-Real-IP is the client X-Forwarded-For names",
  async (variant) => {
    await using up = startRecordingUpstream();
    await using sluice = await startSluice(variant, [
      "--backends",
      up.url,
      "--trusted-proxies",
      "127.0.0.1",
    ]);
    const response = await rawRequest(
      sluice.url,
      "GET / HTTP/1.1\r\nHost: a\r\nX-Real-IP: 9.9.9.9\r\nX-Forwarded-For: 203.0.113.7\r\n" +
        "Forwarded: for=203.0.113.7\r\nConnection: close\r\n\r\n",
    );
    assert.equal(response.status, 200);
    await up.waitForRequests(1, 5_000);
    const seen = up.requests[0]!;
    assert.equal(seen.headers.get("x-real-ip"), "203.0.113.7");
    assert.equal(seen.headers.get("x-forwarded-for"), "203.0.113.7, 127.0.0.1");
    assert.equal(seen.headers.get("forwarded"), "for=203.0.113.7, for=127.0.0.1;host=a;proto=http");
  },
);

proxyTest(
  "forwarding: Connection: host does not remove Host (nor the framing)",
  async (variant) => {
    await using up = startRecordingUpstream();
    const dir = await Deno.makeTempDir();
    try {
      const file = `${dir}/sluice.yaml`;
      await Deno.writeTextFile(file, "proxy:\n  preserve_host: true\n");
      await using sluice = await startSluice(variant, ["--config", file, "--backends", up.url]);
      const response = await rawRequest(
        sluice.url,
        "POST / HTTP/1.1\r\nHost: app.example\r\nConnection: host, content-length, close\r\n" +
          "Content-Length: 5\r\n\r\nhello",
      );
      assert.equal(response.status, 200);
      await up.waitForRequests(1, 5_000);
      const seen = up.requests[0]!;
      assert.equal(seen.headers.get("host"), "app.example");
      assert.equal(seen.headers.get("x-forwarded-host"), "app.example");
      assert.equal(new TextDecoder().decode(seen.body), "hello");
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
);
