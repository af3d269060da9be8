/**
 * End-to-end, raw sockets: request smuggling payloads keep failing safely — refused, or framed
 * one way only, never reaching the upstream as two requests (issue 9, security suite).
 *
 * Every payload hides `GET /smuggled` where one reading of its framing would see a second
 * request. Sluice re-frames every request it forwards, so an upstream can only be desynchronised
 * if Sluice itself reads the framing two ways: the upstream must never see `/smuggled`.
 *
 * @module
 */

import assert from "node:assert/strict";
import { proxyTest } from "../_matrix.ts";
import { startSluice } from "../_fixtures.ts";
import { startRecordingUpstream } from "../_recording_upstream.ts";
import { exchange } from "./_exchange.ts";

const SMUGGLED = "GET /smuggled HTTP/1.1\r\nHost: a\r\n\r\n";
const HEX = SMUGGLED.length.toString(16);

/** Payloads refused with 400 (by the server's parser or Sluice's checks), as nginx does. */
const REFUSED: Record<string, string> = {
  "CL.TE": `POST / HTTP/1.1\r\nHost: a\r\nContent-Length: ${4 + SMUGGLED.length}\r\n` +
    `Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n${SMUGGLED}`,
  "TE.CL": `POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n` +
    `${HEX}\r\n${SMUGGLED}\r\n0\r\n\r\n`,
  "TE.TE: xchunked": `POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: xchunked\r\n` +
    `Content-Length: 4\r\n\r\n0\r\n\r\n${SMUGGLED}`,
  "TE.TE: space before the colon": `POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding : chunked\r\n` +
    `Content-Length: 4\r\n\r\n0\r\n\r\n${SMUGGLED}`,
  "TE.TE: twice, second unknown": `POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n` +
    `Transfer-Encoding: x\r\n\r\n0\r\n\r\n${SMUGGLED}`,
  "TE.TE: chunked, identity": `POST / HTTP/1.1\r\nHost: a\r\n` +
    `Transfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n${SMUGGLED}`,
  "TE.TE: identity, chunked": `POST / HTTP/1.1\r\nHost: a\r\n` +
    `Transfer-Encoding: identity, chunked\r\n\r\n0\r\n\r\n${SMUGGLED}`,
  "TE.TE: quoted": `POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: "chunked"\r\n\r\n` +
    `0\r\n\r\n${SMUGGLED}`,
  "TE.TE: obs-fold": `POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding:\r\n chunked\r\n` +
    `Content-Length: 4\r\n\r\n0\r\n\r\n${SMUGGLED}`,
  "TE.TE: leading space (obs-fold of the Host line)": `POST / HTTP/1.1\r\nHost: a\r\n` +
    ` Transfer-Encoding: chunked\r\nContent-Length: 4\r\n\r\n0\r\n\r\n${SMUGGLED}`,
  "TE in HTTP/1.0": `POST / HTTP/1.0\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n` +
    `0\r\n\r\n${SMUGGLED}`,
  "CL.CL: differing fields": `POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\n` +
    `Content-Length: ${4 + SMUGGLED.length}\r\n\r\nabcd${SMUGGLED}`,
  "CL.CL: differing list": `POST / HTTP/1.1\r\nHost: a\r\n` +
    `Content-Length: 4, ${4 + SMUGGLED.length}\r\n\r\nabcd${SMUGGLED}`,
  "obs-fold in a header": `GET / HTTP/1.1\r\nHost: a\r\nX-A: a\r\n b\r\n\r\n${SMUGGLED}`,
};

/** Bodies whose chunked framing is broken after the head: no answer but a refusal. */
const BROKEN_BODIES: Record<string, string> = {
  "chunk size overflow": `POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n` +
    `FFFFFFFFFFFFFFFFF1\r\nx\r\n0\r\n\r\n${SMUGGLED}`,
  "chunk lines ended by LF only":
    `POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n` +
    `4\nabcd\n0\n\n${SMUGGLED}`,
};

proxyTest(
  "smuggling: CL.TE, TE.CL, TE.TE variants, differing CLs and obs-fold are refused",
  async (variant) => {
    await using up = startRecordingUpstream();
    await using sluice = await startSluice(variant, ["--backends", up.url]);
    for (const [name, payload] of Object.entries(REFUSED)) {
      const statuses = await exchange(sluice.url, payload);
      assert.deepEqual(statuses, [400], name);
    }
    assert.deepEqual(up.requests.map((r) => r.target), [], "nothing reached the upstream");
  },
);

proxyTest(
  "smuggling: broken chunked bodies never reach the upstream whole, nor as two requests",
  async (variant) => {
    await using up = startRecordingUpstream();
    await using sluice = await startSluice(variant, ["--backends", up.url]);
    for (const [name, payload] of Object.entries(BROKEN_BODIES)) {
      const statuses = await exchange(sluice.url, payload);
      // hyper may close the connection without an answer once the body fails to parse.
      assert.ok(statuses.length <= 1 && statuses.every((s) => s === 400), `${name}: ${statuses}`);
    }
    assert.ok(up.requests.every((r) => r.target !== "/smuggled"), "no smuggled request upstream");
    assert.equal(up.requests.length, 0, "no request read whole upstream");
  },
);

proxyTest(
  "smuggling: valid framings are read one way, the upstream gets one request each",
  async (variant) => {
    await using up = startRecordingUpstream();
    await using sluice = await startSluice(variant, ["--backends", up.url]);
    const valid: [name: string, payload: string, body: string][] = [
      [
        "TE with a tab",
        "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding:\tchunked\r\n\r\n4\r\nabcd\r\n0\r\n\r\n",
        "abcd",
      ],
      [
        "TE in capitals",
        "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: CHUNKED\r\n\r\n4\r\nabcd\r\n0\r\n\r\n",
        "abcd",
      ],
      [
        "chunk extension",
        "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n4;ext=1\r\nabcd\r\n0\r\n\r\n",
        "abcd",
      ],
      [
        "CL with a smuggled-looking body",
        `POST / HTTP/1.1\r\nHost: a\r\nContent-Length: ${SMUGGLED.length}\r\n\r\n${SMUGGLED}`,
        SMUGGLED,
      ],
    ];
    for (const [name, payload, body] of valid) {
      const before = up.requests.length;
      const statuses = await exchange(
        sluice.url,
        payload.replace("\r\n\r\n", "\r\nConnection: close\r\n\r\n"),
      );
      assert.deepEqual(statuses, [200], name);
      const seen = up.requests.slice(before);
      assert.equal(seen.length, 1, name);
      assert.equal(new TextDecoder().decode(seen[0]!.body), body, name);
    }
    assert.ok(up.requests.every((r) => r.target === "/"), "no smuggled request upstream");
  },
);
