/**
 * End-to-end, raw sockets: methods Sluice will not forward are answered by Sluice and never
 * counted against an upstream; `OPTIONS *` is answered by Sluice, never forwarded as `/*`
 * (issue 9, items 3 and 5).
 *
 * @module
 */

import assert from "node:assert/strict";
import { proxyTest } from "../_matrix.ts";
import { startSluice } from "../_fixtures.ts";
import { rawRequest } from "../_raw_http.ts";
import { startRecordingUpstream } from "../_recording_upstream.ts";

proxyTest("methods: ten TRACE get 405 from Sluice and eject no upstream", async (variant) => {
  await using u1 = startRecordingUpstream();
  await using u2 = startRecordingUpstream();
  await using u3 = startRecordingUpstream();
  await using sluice = await startSluice(variant, [
    "--backends",
    [u1.url, u2.url, u3.url].join(","),
    "--passive-failures",
    "2",
  ]);
  for (let i = 0; i < 10; i++) {
    const response = await rawRequest(
      sluice.url,
      "TRACE / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n",
    );
    assert.equal(response.status, 405);
  }
  for (const method of ["trace", "TRACK"]) {
    const response = await rawRequest(
      sluice.url,
      `${method} / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n`,
    );
    assert.equal(response.status, 405, method);
  }
  const connect = await rawRequest(
    sluice.url,
    "CONNECT a:443 HTTP/1.1\r\nHost: a:443\r\nConnection: close\r\n\r\n",
  );
  assert.equal(connect.status, 501);
  const pool = sluice.app.pool.list();
  assert.deepEqual(pool.map((u) => u.ejectedUntil), [null, null, null], "no upstream ejected");
  assert.equal(sluice.app.pool.available().length, 3);
  assert.equal(u1.requests.length + u2.requests.length + u3.requests.length, 0);
});

proxyTest(
  "methods: OPTIONS * is answered by Sluice, never sent upstream as /*",
  async (variant) => {
    await using up = startRecordingUpstream();
    await using sluice = await startSluice(variant, ["--backends", up.url]);
    const response = await rawRequest(
      sluice.url,
      "OPTIONS * HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n",
    );
    assert.equal(response.status, 200);
    assert.match(response.headers.get("allow") ?? "", /GET, HEAD, POST/);
    assert.equal(response.headers.get("content-length"), "0");
    assert.equal(up.requests.length, 0);
  },
);

proxyTest("methods: OPTIONS on a path goes upstream without an invented body", async (variant) => {
  await using up = startRecordingUpstream();
  await using sluice = await startSluice(variant, ["--backends", up.url]);
  const response = await rawRequest(
    sluice.url,
    "OPTIONS /api HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n",
  );
  assert.equal(response.status, 200);
  await up.waitForRequests(1, 5_000);
  const seen = up.requests[0]!;
  assert.equal(seen.requestLine, "OPTIONS /api HTTP/1.1");
  assert.equal(seen.framing, "none");
  assert.equal(seen.headers.get("transfer-encoding"), null);
});
