/**
 * Differential test of the HTTP/1.1 listener against hyper: the same bytes go to a `Deno.serve`
 * echo and to an `Http1Listener` echo, and both must reach the same verdict — both refuse, or
 * both accept the same requests (method, target, headers, body). The corpus: request smuggling
 * payloads (CL.TE, TE.CL, TE.TE, duplicate Content-Length, obs-fold), bare CR and bare LF, NUL,
 * invalid chunk sizes, overlong lines, and seeded mutations of valid requests (a byte flipped,
 * inserted or deleted; every split point). A difference fails the test unless it falls in one of
 * the deliberate stricter choices listed in the README ("HTTP/1.1 listener: where it is stricter
 * than hyper"), where the listener must be the one refusing.
 *
 * @module
 */

import * as assert from "node:assert/strict";
import { exchange, startEchoPair, type Verdict, verdict } from "./_echo_servers.ts";
import { concat } from "./_bytes.ts";
import { seeded } from "./_seeded.ts";

const latin1 = new TextDecoder("latin1");

const VALID = [
  "GET /a/b?c=d HTTP/1.1\r\nHost: example.test\r\nUser-Agent: t\r\nAccept: */*\r\n\r\n",
  "POST /upload HTTP/1.1\r\nHost: example.test\r\nContent-Length: 11\r\n\r\nhello world",
  "POST /chunked HTTP/1.1\r\nHost: example.test\r\nTransfer-Encoding: chunked\r\n\r\n" +
  "5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\nTrailer-Field: x\r\n\r\n",
  "GET /ten HTTP/1.0\r\nHost: example.test\r\nConnection: keep-alive\r\n\r\n" +
  "GET /second HTTP/1.1\r\nHost: example.test\r\n\r\n",
];

const SMUGGLING: Record<string, string> = {
  "CL.TE":
    "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 13\r\nTransfer-Encoding: chunked\r\n\r\n" +
    "0\r\n\r\nSMUGGLED",
  "TE.CL": "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n" +
    "8\r\nSMUGGLED\r\n0\r\n\r\n",
  "TE.TE space before colon":
    "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding : chunked\r\nContent-Length: 4\r\n\r\n" +
    "1\r\nZ\r\n0\r\n\r\n",
  "TE.TE xchunked": "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: xchunked\r\n\r\n0\r\n\r\n",
  "TE.TE chunked twice":
    "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: x\r\n\r\n" +
    "0\r\n\r\n",
  "TE.TE tab": "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding:\tchunked\r\n\r\n0\r\n\r\n",
  "TE.TE identity,chunked":
    "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: identity, chunked\r\n\r\n0\r\n\r\n",
  "TE.TE obs-fold": "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding:\r\n chunked\r\n\r\n0\r\n\r\n",
  "TE in HTTP/1.0": "POST / HTTP/1.0\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
  "TE chunked uppercase":
    "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: CHUNKED\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
  "duplicate CL differing":
    "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nContent-Length: 5\r\n\r\nabcde",
  "duplicate CL same":
    "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\nabc",
  "CL list": "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3, 3\r\n\r\nabc",
  "CL list differing": "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3, 4\r\n\r\nabcd",
  "CL plus sign": "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: +3\r\n\r\nabc",
  "CL negative": "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: -3\r\n\r\nabc",
  "CL hex": "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0x3\r\n\r\nabc",
  "CL huge": "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 99999999999999999999\r\n\r\nabc",
  "CL short body": "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\nabc",
  "obs-fold": "GET / HTTP/1.1\r\nHost: a\r\nX-Folded: one\r\n two\r\n\r\n",
  "obs-fold tab": "GET / HTTP/1.1\r\nHost: a\r\nX-Folded: one\r\n\ttwo\r\n\r\n",
  "bare CR in value": "GET / HTTP/1.1\r\nHost: a\r\nX-A: b\rc\r\n\r\n",
  "bare CR line end": "GET / HTTP/1.1\rHost: a\r\n\r\n",
  "bare LF headers": "GET / HTTP/1.1\nHost: a\n\n",
  "bare LF one line": "GET / HTTP/1.1\r\nHost: a\nX-A: b\r\n\r\n",
  "NUL in value": "GET / HTTP/1.1\r\nHost: a\r\nX-A: b\0c\r\n\r\n",
  "NUL in target": "GET /a\0b HTTP/1.1\r\nHost: a\r\n\r\n",
  "NUL in name": "GET / HTTP/1.1\r\nHost: a\r\nX\0A: b\r\n\r\n",
  "space in name": "GET / HTTP/1.1\r\nHost: a\r\nX A: b\r\n\r\n",
  "empty name": "GET / HTTP/1.1\r\nHost: a\r\n: b\r\n\r\n",
  "no colon": "GET / HTTP/1.1\r\nHost: a\r\nX-A b\r\n\r\n",
  "leading space first field": "GET / HTTP/1.1\r\n Host: a\r\n\r\n",
  "chunk size not hex":
    "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nab\r\n0\r\n\r\n",
  "chunk size negative":
    "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n-1\r\na\r\n0\r\n\r\n",
  "chunk size overflow":
    "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffffff\r\na\r\n0\r\n\r\n",
  "chunk size 0x":
    "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0x2\r\nab\r\n0\r\n\r\n",
  "chunk data too long":
    "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabc\r\n0\r\n\r\n",
  "chunk no last chunk":
    "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nab\r\n",
  "chunk bare LF":
    "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n2\nab\r\n0\r\n\r\n",
  "chunk size with space":
    "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n2 \r\nab\r\n0\r\n\r\n",
  "HTTP/2.0 line": "GET / HTTP/2.0\r\nHost: a\r\n\r\n",
  "HTTP/1.2": "GET / HTTP/1.2\r\nHost: a\r\n\r\n",
  "lower-case version": "GET / http/1.1\r\nHost: a\r\n\r\n",
  "double space": "GET  / HTTP/1.1\r\nHost: a\r\n\r\n",
  "no version": "GET /\r\nHost: a\r\n\r\n",
  "tab separator": "GET\t/ HTTP/1.1\r\nHost: a\r\n\r\n",
  "absolute form": "GET http://other.test/x?y HTTP/1.1\r\nHost: a\r\n\r\n",
  "leading empty line": "\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n",
  "no Host 1.0": "GET / HTTP/1.0\r\n\r\n",
  "overlong target": `GET /${"a".repeat(70_000)} HTTP/1.1\r\nHost: a\r\n\r\n`,
  "overlong field": `GET / HTTP/1.1\r\nHost: a\r\nX-Big: ${"b".repeat(70_000)}\r\n\r\n`,
  "many fields": `GET / HTTP/1.1\r\nHost: a\r\n${"X-F: 1\r\n".repeat(200)}\r\n`,
  "expect continue":
    "POST / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\nab",
  "UTF-8 target": "GET /caf\xc3\xa9 HTTP/1.1\r\nHost: a\r\n\r\n",
  "obs-text value": "GET / HTTP/1.1\r\nHost: a\r\nX-A: caf\xe9\r\n\r\n",
  "DEL in value": "GET / HTTP/1.1\r\nHost: a\r\nX-A: b\x7fc\r\n\r\n",
  "control in value": "GET / HTTP/1.1\r\nHost: a\r\nX-A: b\x01c\r\n\r\n",
  "GET with body": "GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabc" +
    "GET /next HTTP/1.1\r\nHost: a\r\n\r\n",
};

/**
 * The deliberate stricter choices (listed in the README): the listener refuses, hyper accepts.
 * Each takes the raw bytes and says whether they fall in the class.
 */
const DELIBERATE: Record<string, (raw: string) => boolean> = {
  "bare LF as a line ending": (raw) => /(^|[^\r])\n/.test(raw),
  "a byte outside visible ASCII in the request target": (raw) =>
    /^[^\r\n]* [^ \r\n]*[^\x21-\x7e \r\n][^ \r\n]* HTTP/.test(raw.replace(/^(\r\n)+/, "")),
};

/** The cases that differed in a deliberate way, for the smuggling test's own check. */
const deliberate = new Set<string>();

function bytesOf(text: string): Uint8Array {
  return Uint8Array.from(text, (c) => c.charCodeAt(0) & 0xff);
}

function describe(v: Verdict): string {
  return JSON.stringify(v);
}

async function compare(
  pair: { servePort: number; http1Port: number },
  name: string,
  pieces: Uint8Array[],
  failures: string[],
): Promise<void> {
  const [reference, ours] = await Promise.all([
    exchange(pair.servePort, pieces).then(verdict),
    exchange(pair.http1Port, pieces).then(verdict),
  ]);
  // A refusal is an error status or a close without an answer: the verdict is what was
  // accepted (the sentinel request last, when everything was).
  if (JSON.stringify(reference.accepted) === JSON.stringify(ours.accepted)) return;
  const raw = latin1.decode(concat(pieces));
  const stricter = ours.accepted.length < reference.accepted.length &&
    JSON.stringify(ours.accepted) ===
      JSON.stringify(reference.accepted.slice(0, ours.accepted.length));
  if (stricter) {
    for (const [reason, applies] of Object.entries(DELIBERATE)) {
      if (applies(raw)) {
        deliberate.add(`${name}: ${reason}`);
        return;
      }
    }
  }
  failures.push(
    `${name}: ${JSON.stringify(raw.slice(0, 200))}\n  hyper: ${describe(reference)}\n  http1: ${
      describe(ours)
    }`,
  );
}

/** Runs `cases` a few at a time. */
async function runAll(cases: (() => Promise<void>)[], parallel = 8): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: parallel }, async () => {
    while (next < cases.length) await cases[next++]!();
  }));
}

Deno.test("differential: valid requests, pipelined, are accepted alike", async () => {
  await using pair = startEchoPair();
  const failures: string[] = [];
  for (const [i, text] of VALID.entries()) {
    await compare(pair, `valid ${i}`, [bytesOf(text)], failures);
  }
  // Control: the echo really accepted them (a verdict of two refusals would pass too).
  const all = verdict(await exchange(pair.http1Port, [bytesOf(VALID.join(""))]));
  assert.equal(all.refused, false);
  // Four requests, the HTTP/1.0 one followed by another, and the sentinel.
  assert.equal(all.accepted.length, VALID.length + 2);
  assert.equal(all.accepted.at(-1)?.target, "/sentinel");
  assert.deepEqual(failures, []);
});

Deno.test("differential: smuggling payloads and malformed heads get the same verdict", async () => {
  await using pair = startEchoPair();
  const failures: string[] = [];
  await runAll(
    Object.entries(SMUGGLING).map(([name, text]) => () =>
      compare(pair, name, [bytesOf(text)], failures)
    ),
  );
  assert.deepEqual(failures, [], failures.join("\n"));
  // The deliberate differences are real ones (the listener refuses where hyper accepts).
  assert.deepEqual([...deliberate].filter((d) => !d.startsWith("mutation")).sort(), [
    "UTF-8 target: a byte outside visible ASCII in the request target",
    "bare LF headers: bare LF as a line ending",
    "bare LF one line: bare LF as a line ending",
  ]);
});

Deno.test("differential: every split point of valid requests gives the same verdict", async () => {
  await using pair = startEchoPair();
  const failures: string[] = [];
  const cases: (() => Promise<void>)[] = [];
  for (const [i, text] of VALID.entries()) {
    const bytes = bytesOf(text);
    for (let at = 1; at < bytes.length; at++) {
      cases.push(() =>
        compare(pair, `valid ${i} split at ${at}`, [
          bytes.subarray(0, at),
          bytes.subarray(at),
        ], failures)
      );
    }
  }
  await runAll(cases);
  assert.deepEqual(failures, [], failures.join("\n"));
});

Deno.test("differential: seeded mutations of valid requests (flip, insert, delete) give the same verdict", async () => {
  await using pair = startEchoPair();
  const random = seeded(0x5111ce);
  const failures: string[] = [];
  const cases: (() => Promise<void>)[] = [];
  const interesting = [0x00, 0x09, 0x0a, 0x0d, 0x20, 0x3a, 0x2c, 0x3b, 0x7f, 0x80, 0xff];
  for (let n = 0; n < 3000; n++) {
    const source = bytesOf(VALID[n % VALID.length]!);
    const at = Math.floor(random() * source.length);
    const byte = random() < 0.5
      ? interesting[Math.floor(random() * interesting.length)]!
      : Math.floor(random() * 256);
    const kind = n % 3;
    let mutated: Uint8Array;
    if (kind === 0) {
      mutated = source.slice();
      mutated[at] = byte;
    } else if (kind === 1) {
      mutated = concat([source.subarray(0, at), Uint8Array.of(byte), source.subarray(at)]);
    } else {
      mutated = concat([source.subarray(0, at), source.subarray(at + 1)]);
    }
    cases.push(() => compare(pair, `mutation ${n}`, [mutated], failures));
  }
  await runAll(cases);
  assert.deepEqual(failures, [], failures.join("\n"));
});
