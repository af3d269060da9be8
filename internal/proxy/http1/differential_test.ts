// The rules below look for control characters on purpose.
// deno-lint-ignore-file no-control-regex
/**
 * Differential test: Sluice's response parser and framing readers against `http-parser-js`
 * (the pure-JS port of Node's http_parser), on generated and mutated responses, each split
 * into two reads at every byte boundary. Where both accept, status, reason, headers and body
 * must be the same; where the reference refuses, Sluice must refuse; where only Sluice refuses,
 * the input must break one of the rules Sluice is deliberately stricter about (README,
 * "Upstream responses http1 refuses"), recognised here independently of the parser.
 *
 * @module
 */

import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { HTTPParser } from "http-parser-js";
import { scriptedConnection } from "./_test_connection.ts";
import { bodyReaderFor, readResponseHead } from "./response_reader.ts";

type Verdict =
  | { ok: true; status: number; reason: string; headers: string[]; length: string; body: string }
  | { ok: false };

/** Sluice's verdict: the transport's own head reader and body reader over scripted reads. */
async function ours(pieces: string[], method: string): Promise<Verdict> {
  const conn = scriptedConnection(pieces);
  try {
    const head = await readResponseHead(conn, false, {
      requestSent: true,
      responseStarted: false,
    });
    const reader = bodyReaderFor(conn, head, method);
    let body = "";
    for (;;) {
      const chunk = reader === null ? null : await reader.next();
      if (chunk === null) break;
      body += String.fromCharCode(...chunk);
    }
    const headers: string[] = [];
    for (const [name, value] of head.headers) {
      if (name !== "content-length") headers.push(`${name}: ${value}`);
    }
    return {
      ok: true,
      status: head.status,
      reason: head.statusText,
      headers,
      length: head.contentLength < 0 ? "" : String(head.contentLength),
      body,
    };
  } catch (error) {
    if (error instanceof Error && /^(malformed response|connection closed)/.test(error.message)) {
      return { ok: false };
    }
    throw error;
  }
}

HTTPParser.encoding = "latin1";

/**
 * The reference's verdict, driven as Node's http client drives it: bodies skipped for HEAD,
 * 1xx, 204 and 304; interim 1xx answers skipped; end of stream passed with `finish()`.
 */
function reference(pieces: string[], method: string): Verdict {
  let parser = new HTTPParser(HTTPParser.RESPONSE);
  let result: Verdict | undefined;
  let current: { status: number; reason: string; headers: string[]; length: string } | undefined;
  let body = "";
  let failed = false;
  const arm = (p: typeof parser) => {
    p[HTTPParser.kOnHeadersComplete] = (info: {
      statusCode: number;
      statusMessage: string;
      headers: string[];
    }) => {
      const headers: string[] = [];
      let length = "";
      for (let i = 0; i < info.headers.length; i += 2) {
        const name = info.headers[i]!.toLowerCase();
        if (name === "content-length") length = String(+info.headers[i + 1]!);
        else headers.push(`${name}: ${info.headers[i + 1]}`);
      }
      current = { status: info.statusCode, reason: info.statusMessage, headers, length };
      body = "";
      const s = info.statusCode;
      return method === "HEAD" || (s >= 100 && s < 200) || s === 204 || s === 304 ? 1 : 0;
    };
    p[HTTPParser.kOnBody] = (chunk: Buffer, offset: number, length: number) => {
      body += chunk.toString("latin1", offset, offset + length);
    };
    p[HTTPParser.kOnMessageComplete] = () => {
      if (result !== undefined || current === undefined) return;
      if (current.status >= 100 && current.status < 200) return; // interim: next message
      result = { ok: true, ...current, body };
    };
  };
  arm(parser);
  for (const piece of pieces) {
    if (result !== undefined || failed) break;
    const out = parser.execute(Buffer.from(piece, "latin1"));
    if (out instanceof Error) failed = true;
  }
  if (result === undefined && !failed) {
    const out = parser.finish();
    if (out instanceof Error) failed = true;
  }
  parser = undefined as never;
  // Only the first final message counts: what follows it is the next response's business.
  return result ?? { ok: false };
}

// ---------------------------------------------------------------------------------------------
// Rules Sluice is deliberately stricter about, recognised on the raw bytes.

const TCHAR = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/** The reasons (if any) a response breaks a rule Sluice enforces and the reference does not. */
function stricterRules(wire: string, method: string): string[] {
  const rules = new Set<string>();
  // Walk the messages (interim ones first) as lines, without a parser of our own.
  let pos = 0;
  for (let message = 0; message < 40; message++) {
    const headEnd = wire.indexOf("\n\n", pos) < 0 && wire.indexOf("\r\n\r\n", pos) < 0
      ? -1
      : Math.min(
        ...[wire.indexOf("\r\n\r\n", pos), wire.indexOf("\n\n", pos), wire.indexOf("\n\r\n", pos)]
          .filter((i) => i >= 0),
      );
    const head = headEnd < 0 ? wire.slice(pos) : wire.slice(pos, headEnd);
    if (/(^|[^\r])\n/.test(wire.slice(pos, headEnd < 0 ? undefined : headEnd + 4))) {
      rules.add("bare LF");
    }
    if (/^\r?\n/.test(head)) rules.add("empty line before the status line");
    const lines = head.split(/\r?\n/);
    const status = lines[0] ?? "";
    const m = /^HTTP\/(\d)\.(\d) (\d{3})( (.*))?$/.exec(status);
    if (m && (m[1] !== "1" || (m[2] !== "0" && m[2] !== "1"))) rules.add("HTTP version");
    if (m && (+m[3]! < 100 || +m[3]! > 599)) rules.add("status code range");
    if (m === null && /^HTTP\/\d\.\d \d{3}/.test(status)) rules.add("status line");
    if (m?.[5] !== undefined && /[\x00-\x08\x0a-\x1f\x7f]/.test(m[5])) {
      rules.add("control character");
    }
    let te: string[] = [];
    const cls: string[] = [];
    for (const line of lines.slice(1)) {
      if (/^[ \t]/.test(line)) {
        rules.add("obs-fold");
        continue;
      }
      const colon = line.indexOf(":");
      if (colon <= 0) {
        rules.add("field line without name: value");
        continue;
      }
      const name = line.slice(0, colon);
      if (!TCHAR.test(name)) rules.add("field name not a token");
      const value = line.slice(colon + 1).replace(/^[ \t]+|[ \t]+$/g, "");
      if (/[\x00-\x08\x0a-\x1f\x7f]/.test(value)) rules.add("control character");
      const lower = name.toLowerCase();
      if (lower === "transfer-encoding") te = te.concat(value.split(","));
      if (lower === "content-length") cls.push(...value.split(","));
    }
    const statusCode = m ? +m[3]! : 0;
    if (te.length > 0) {
      if (te.length !== 1 || te[0]!.trim().toLowerCase() !== "chunked") {
        rules.add("Transfer-Encoding other than chunked");
      }
      if (cls.length > 0) rules.add("both Content-Length and Transfer-Encoding");
      if (m?.[2] === "0") rules.add("Transfer-Encoding in HTTP/1.0");
    }
    for (const cl of cls) if (!/^\d{1,16}$/.test(cl.trim())) rules.add("invalid Content-Length");
    if (new Set(cls.map((cl) => +cl.trim())).size > 1) rules.add("conflicting Content-Length");
    if (m && statusCode === 101) rules.add("unsolicited 101");
    if (headEnd < 0) break;
    pos = headEnd + (wire.startsWith("\r\n\r\n", headEnd) ? 4 : wire[headEnd + 1] === "\r" ? 3 : 2);
    if (statusCode >= 100 && statusCode < 200) continue;
    // The body: chunked framing, read leniently.
    const chunked = te.length > 0 && te[te.length - 1]!.trim().toLowerCase() === "chunked";
    const noBody = method === "HEAD" || statusCode === 204 || statusCode === 304;
    if (chunked && !noBody) {
      for (let n = 0; n < 1000; n++) {
        const lf = wire.indexOf("\n", pos);
        if (lf < 0) break;
        const line = wire.slice(pos, lf);
        if (!line.endsWith("\r")) rules.add("bare LF");
        const sizeLine = line.replace(/\r$/, "");
        if (!/^[0-9a-fA-F]+([ \t]*;[^\x00-\x08\x0a-\x1f\x7f]*)?$/.test(sizeLine)) {
          rules.add("chunk-size line");
        }
        if (
          /^0+([ \t;]|$)/.test(sizeLine) || parseInt(sizeLine, 16) === 0 ||
          isNaN(parseInt(sizeLine, 16))
        ) {
          // trailers: lines up to an empty one
          let t = lf + 1;
          for (;;) {
            const tl = wire.indexOf("\n", t);
            if (tl < 0) break;
            const tline = wire.slice(t, tl);
            if (!tline.endsWith("\r")) rules.add("bare LF");
            const text = tline.replace(/\r$/, "");
            if (text === "") break;
            if (/^[ \t]/.test(text)) rules.add("obs-fold");
            const colon = text.indexOf(":");
            if (colon <= 0 || !TCHAR.test(text.slice(0, colon))) rules.add("trailer line");
            if (/[\x00-\x08\x0a-\x1f\x7f]/.test(text)) rules.add("control character");
            t = tl + 1;
          }
          break;
        }
        const size = parseInt(sizeLine, 16);
        pos = lf + 1 + size;
        if (wire.startsWith("\n", pos)) rules.add("bare LF");
        pos = wire.indexOf("\n", pos) + 1;
        if (pos === 0) break;
      }
    }
    break;
  }
  return [...rules];
}

/** Where Sluice accepts more than the reference: one Content-Length repeated (RFC 9110 §8.6). */
function lenientRules(wire: string): string[] {
  return /\r\ncontent-length:[^\r\n]*,/i.test(wire) ? ["Content-Length list of one value"] : [];
}

// ---------------------------------------------------------------------------------------------
// The corpus.

const BASE: [wire: string, method: string][] = [
  ["HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-A: 1\r\n\r\nhello", "GET"],
  ["HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", "GET"],
  ["HTTP/1.1 404 Not Found\r\nContent-Type: text/plain\r\nContent-Length: 3\r\n\r\nnop", "GET"],
  [
    "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n",
    "GET",
  ],
  [
    "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3;ext=1\r\nabc\r\n0\r\nX-T: 1\r\n\r\n",
    "GET",
  ],
  ["HTTP/1.1 200 OK\r\nTransfer-Encoding: Chunked\r\n\r\nA\r\n0123456789\r\n0\r\n\r\n", "GET"],
  ["HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nuntil the end", "GET"],
  ["HTTP/1.0 200 OK\r\nServer: old\r\n\r\nclose-delimited", "GET"],
  ["HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 2\r\n\r\nok", "GET"],
  ["HTTP/1.1 204 No Content\r\nX-A: 1\r\n\r\n", "GET"],
  ['HTTP/1.1 304 Not Modified\r\nETag: "x"\r\nContent-Length: 100\r\n\r\n', "GET"],
  ["HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n", "HEAD"],
  ["HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", "HEAD"],
  ["HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", "GET"],
  [
    "HTTP/1.1 103 Early Hints\r\nLink: </s.css>; rel=preload\r\n\r\n" +
    "HTTP/1.1 201 Created\r\nContent-Length: 1\r\n\r\n!",
    "POST",
  ],
  ["HTTP/1.1 200\r\nContent-Length: 1\r\n\r\nx", "GET"],
  [
    "HTTP/1.1 500 Internal Server Error\r\nSet-Cookie: a=1\r\nSet-Cookie: b=2\r\nContent-Length: 1\r\n\r\nx",
    "GET",
  ],
  [
    "HTTP/1.1 200 OK\r\nX-Latin: caf\xe9\r\nX-Empty:\r\nX-Ws: \t padded \t\r\nContent-Length: 1\r\n\r\nx",
    "GET",
  ],
  ["HTTP/1.1 200 OK\r\nContent-Length: 007\r\n\r\n1234567", "GET"],
  ["HTTP/1.1 301 Moved\r\nLocation: /x\r\nContent-Length: 0\r\n\r\n", "GET"],
  ["HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabcEXTRA", "GET"],
];

/** Fragments inserted by mutations: the usual suspects of response smuggling. */
const INSERTS = [
  "\r",
  "\n",
  "\r\n",
  "\x00",
  " ",
  "\t",
  ":",
  ",",
  "0",
  "a",
  "\x7f",
  "\xe9",
  "\x01",
  "Content-Length: 3\r\n",
  "Content-Length: abc\r\n",
  "Content-Length: -1\r\n",
  "Content-Length: 1, 2\r\n",
  "Transfer-Encoding: chunked\r\n",
  "Transfer-Encoding: gzip\r\n",
  "Transfer-Encoding: gzip, chunked\r\n",
  "Transfer-Encoding: chunked, gzip\r\n",
  " folded\r\n",
  "X-Bad : v\r\n",
  "X(bad): v\r\n",
  "no colon\r\n",
  "Connection: close\r\n",
  "HTTP/1.1 100 Continue\r\n\r\n",
];

/** A seeded PRNG (mulberry32), so the corpus is the same on every run. */
function prng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function mutate(wire: string, random: () => number): string {
  const at = Math.floor(random() * (wire.length + 1));
  switch (Math.floor(random() * 5)) {
    case 0: // delete a byte
      return wire.slice(0, at) + wire.slice(at + 1);
    case 1: // insert a fragment
      return wire.slice(0, at) + INSERTS[Math.floor(random() * INSERTS.length)] + wire.slice(at);
    case 2: // replace a byte
      return wire.slice(0, at) + INSERTS[Math.floor(random() * 13)] + wire.slice(at + 1);
    case 3: { // insert a header line after the status line
      const eol = wire.indexOf("\r\n") + 2;
      return wire.slice(0, eol) + INSERTS[13 + Math.floor(random() * (INSERTS.length - 13))] +
        wire.slice(eol);
    }
    default: // change the case of a byte
      return wire.slice(0, at) + (wire[at] ?? "").toUpperCase() + wire.slice(at + 1);
  }
}

function corpus(): [string, string][] {
  const random = prng(9112);
  const out: [string, string][] = [...BASE];
  for (let i = 0; i < 2000; i++) {
    const [wire, method] = BASE[Math.floor(random() * BASE.length)]!;
    let mutated = mutate(wire, random);
    if (random() < 0.3) mutated = mutate(mutated, random);
    out.push([mutated, method]);
  }
  return out;
}

Deno.test("differential: response parsing agrees with http-parser-js at every split", async () => {
  const stricter = new Map<string, number>();
  const lenient = new Map<string, number>();
  let agreed = 0;
  let bothRefused = 0;
  for (const [wire, method] of corpus()) {
    const expected = reference([wire], method);
    const mine = await ours([wire], method);
    const label = `${method} ${JSON.stringify(wire)}`;
    if (mine.ok && expected.ok) {
      assert.deepEqual(mine, expected, label);
      agreed++;
    } else if (mine.ok) {
      const rules = lenientRules(wire);
      assert.ok(rules.length > 0, `Sluice accepts what http-parser-js refuses: ${label}`);
      for (const rule of rules) lenient.set(rule, (lenient.get(rule) ?? 0) + 1);
    } else if (expected.ok) {
      const rules = stricterRules(wire, method);
      assert.ok(rules.length > 0, `Sluice refuses, breaking no listed rule: ${label}`);
      for (const rule of rules) stricter.set(rule, (stricter.get(rule) ?? 0) + 1);
    } else {
      bothRefused++;
    }
    // The verdict must not depend on how the bytes were split into reads.
    for (let i = 1; i < wire.length; i++) {
      const pieces = [wire.slice(0, i), wire.slice(i)];
      assert.deepEqual(await ours(pieces, method), mine, `${label} split at ${i}`);
      assert.deepEqual(reference(pieces, method), expected, `reference: ${label} split at ${i}`);
    }
  }
  // The corpus exercises all three outcomes.
  assert.ok(agreed >= BASE.length, `only ${agreed} accepted by both`);
  assert.ok(bothRefused > 20, `only ${bothRefused} refused by both`);
  assert.ok(stricter.size > 5, `stricter rules seen: ${[...stricter.keys()].join(", ")}`);
});
