/**
 * End-to-end, raw sockets: CR, LF and NUL in header names or values never reach an upstream
 * inside a header; the request is refused, or its lines are read as the client framed them and
 * re-sent with clean CRLF framing (issue 9, security suite).
 *
 * @module
 */

import assert from "node:assert/strict";
import { proxyTest } from "../_matrix.ts";
import { startSluice } from "../_fixtures.ts";
import { startRecordingUpstream } from "../_recording_upstream.ts";
import { exchange } from "./_exchange.ts";

const REFUSED: Record<string, string> = {
  "CR inside a value": "X-A: a\rInjected: 1\r\n",
  "NUL inside a value": "X-A: a\0b\r\n",
  "NUL inside a name": "X\0A: a\r\n",
  "DEL inside a value": "X-A: a\x7fb\r\n",
  "space inside a name": "X A: a\r\n",
  "empty name": ": a\r\n",
  "no colon": "X-A a\r\n",
  "CR inside the request target": "",
};

proxyTest("header injection: CR, NUL and malformed names are refused with 400", async (variant) => {
  await using up = startRecordingUpstream();
  await using sluice = await startSluice(variant, ["--backends", up.url]);
  for (const [name, line] of Object.entries(REFUSED)) {
    const head = name === "CR inside the request target"
      ? "GET /a\rb HTTP/1.1\r\nHost: a\r\n\r\n"
      : `GET / HTTP/1.1\r\nHost: a\r\n${line}Connection: close\r\n\r\n`;
    assert.deepEqual(await exchange(sluice.url, head), [400], name);
  }
  assert.equal(up.requests.length, 0, "nothing reached the upstream");
});

proxyTest(
  "header injection: what reaches the upstream is framed with CRLF only, no CR, LF or NUL inside a line",
  async (variant) => {
    await using up = startRecordingUpstream();
    await using sluice = await startSluice(variant, ["--backends", up.url]);
    // A bare LF ends a line (RFC 9112 §2.2 lets a recipient accept it): `Injected` is a header of
    // the client's own, and is sent on as one, on a line of its own.
    const statuses = await exchange(
      sluice.url,
      "GET / HTTP/1.1\r\nHost: a\r\nX-A: a\nInjected: 1\r\nX-B: caf\xe9\r\nConnection: close\r\n\r\n",
    );
    if (variant.listener === "http1") {
      // The HTTP/1.1 listener refuses a bare LF (README: Client listeners, deliberately
      // stricter than hyper): nothing reaches the upstream.
      assert.deepEqual(statuses, [400]);
      assert.equal(up.requests.length, 0);
      return;
    }
    assert.deepEqual(statuses, [200]);
    await up.waitForRequests(1, 5_000);
    const seen = up.requests[0]!;
    assert.equal(seen.headers.get("x-a"), "a");
    assert.equal(seen.headers.get("injected"), "1");
    assert.equal(
      seen.headers.get("x-b"),
      "caf\xe9",
      "obs-text passes byte for byte (RFC 9110 §5.5)",
    );
    const bytes = up.raw.flatMap((chunk) => [...chunk]);
    assert.ok(!bytes.includes(0), "no NUL");
    for (let i = 0; i < bytes.length; i++) {
      if (bytes[i] === 0x0d) assert.equal(bytes[i + 1], 0x0a, `CR not followed by LF at ${i}`);
      if (bytes[i] === 0x0a) assert.equal(bytes[i - 1], 0x0d, `LF not after CR at ${i}`);
    }
    assert.ok(bytes.length > 0);
  },
);
