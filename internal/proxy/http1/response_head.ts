/**
 * A strict parser of HTTP/1.1 response heads (RFC 9112 §4, §5; RFC 9110 §5.5, §8.6), and the
 * framing they announce (RFC 9112 §6.3). Hand-written for the hot path; a differential test
 * holds it against `http-parser-js`.
 *
 * @module
 */

import type { HeaderList } from "../headers.ts";
import { MalformedResponseError } from "./errors.ts";

/** A parsed response head. */
export interface ResponseHead {
  /** Minor version: 1 for HTTP/1.1, 0 for HTTP/1.0. */
  minor: 0 | 1;
  /** Status code, 100–599. */
  status: number;
  /** Reason phrase, possibly empty. */
  statusText: string;
  /**
   * Header fields in order, names lower-cased, values with surrounding whitespace removed;
   * `content-length` collapsed to one field when repeated with one value.
   */
  headers: HeaderList;
  /** Declared Content-Length, bytes; -1 when absent. */
  contentLength: number;
  /** `Transfer-Encoding: chunked`. */
  chunked: boolean;
  /** The connection may carry another request after this response (RFC 9112 §9.3). */
  keepAlive: boolean;
}

/** Where a previous {@linkcode findHeadEnd} call stopped, to resume without rescanning. */
export interface HeadScan {
  /** Index from which the next scan continues (start of the last incomplete line). */
  from: number;
}

/** Default bound of a response head, bytes (Deno's and hyper's default). */
export const MAX_HEAD_BYTES = 64 * 1024;

const LF = 10;
const CR = 13;

/**
 * Finds the end of a head (the empty line) in `buf[start, end)`, continuing from `scan.from`.
 * Every LF must follow a CR (RFC 9112 §2.2: bare LF refused).
 * @param buf the connection's read buffer.
 * @param start index where the head begins.
 * @param end index after the last byte read.
 * @param scan resume state; initialise `from` with `start`.
 * @returns the index after the head's final CRLF, or -1 when the head is not complete yet.
 * @throws {MalformedResponseError} a bare LF.
 */
export function findHeadEnd(buf: Uint8Array, start: number, end: number, scan: HeadScan): number {
  let lineStart = scan.from;
  for (;;) {
    const lf = buf.indexOf(LF, lineStart);
    if (lf < 0 || lf >= end) {
      scan.from = lineStart;
      return -1;
    }
    if (lf === start || buf[lf - 1] !== CR) throw new MalformedResponseError("bare LF in the head");
    if (lf - 1 === lineStart && lineStart !== start) return lf + 1;
    if (lf - 1 === lineStart) throw new MalformedResponseError("empty status line");
    lineStart = lf + 1;
  }
}

/** Token characters (RFC 9110 §5.6.2). */
const TCHAR = new Uint8Array(128);
for (const c of "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ") {
  TCHAR[c.charCodeAt(0)] = 1;
}

const ascii = new TextDecoder();

/**
 * Decodes bytes as ISO-8859-1 (each byte one character), the way `Headers` holds byte strings.
 * ASCII through the native decoder; anything else byte by byte.
 */
export function latin1(buf: Uint8Array, start: number, end: number): string {
  const text = ascii.decode(buf.subarray(start, end));
  if (text.length === end - start && !text.includes("\uFFFD")) return text;
  let out = "";
  for (let i = start; i < end; i += 4096) {
    out += String.fromCharCode.apply(
      null,
      buf.subarray(i, Math.min(end, i + 4096)) as unknown as number[],
    );
  }
  return out;
}

/**
 * Parses a complete head `buf[start, headEnd)` found by {@linkcode findHeadEnd}.
 *
 * Refused (RFC 9112 unless noted): a status line other than `HTTP/1.0` or `HTTP/1.1`, a space,
 * three digits 100–599 and an optional space and reason; a field line without a colon, with an
 * empty or non-token name, whitespace before the colon (§5.1), obs-fold (§5.2); control
 * characters other than HTAB in a value (RFC 9110 §5.5); Content-Length not 1*DIGIT, or
 * repeated with different values (RFC 9110 §8.6); Transfer-Encoding other than exactly
 * `chunked`, or with Content-Length (§6.1, §6.3); Transfer-Encoding in an HTTP/1.0 response.
 * @param buf the connection's read buffer.
 * @param start index where the head begins.
 * @param headEnd index after the head's final CRLF.
 * @returns the parsed head.
 * @throws {MalformedResponseError} whatever is refused above.
 */
export function parseResponseHead(buf: Uint8Array, start: number, headEnd: number): ResponseHead {
  const text = latin1(buf, start, headEnd - 2);
  // Status line: HTTP/1.x SP 3DIGIT [SP reason]
  let eol = text.indexOf("\r\n");
  if (eol < 0) eol = text.length;
  if (
    eol < 12 || !text.startsWith("HTTP/1.") || text.charCodeAt(8) !== 32 ||
    (text.charCodeAt(7) !== 49 && text.charCodeAt(7) !== 48)
  ) {
    throw new MalformedResponseError("invalid status line");
  }
  const minor = text.charCodeAt(7) === 49 ? 1 : 0;
  const d0 = text.charCodeAt(9) - 48, d1 = text.charCodeAt(10) - 48, d2 = text.charCodeAt(11) - 48;
  if (!(d0 >= 1 && d0 <= 5 && d1 >= 0 && d1 <= 9 && d2 >= 0 && d2 <= 9)) {
    throw new MalformedResponseError("invalid status code");
  }
  const status = d0 * 100 + d1 * 10 + d2;
  let statusText = "";
  if (eol > 12) {
    if (text.charCodeAt(12) !== 32) throw new MalformedResponseError("invalid status line");
    statusText = eol === 15 && text.startsWith("OK", 13) ? "OK" : text.slice(13, eol);
    checkValue(statusText, "reason phrase");
  }
  const headers: HeaderList = [];
  let contentLength = -1;
  let transferEncoding: string | undefined;
  let connection: string | undefined;
  let lengthIndex = -1;
  let pos = eol + 2;
  while (pos < text.length) {
    let next = text.indexOf("\r\n", pos);
    if (next < 0) next = text.length;
    const first = text.charCodeAt(pos);
    if (first === 32 || first === 9) throw new MalformedResponseError("obs-fold in the head");
    const colon = text.indexOf(":", pos);
    if (colon < 0 || colon >= next) throw new MalformedResponseError("field line without a colon");
    if (colon === pos) throw new MalformedResponseError("empty field name");
    for (let i = pos; i < colon; i++) {
      const c = text.charCodeAt(i);
      if (c >= 128 || TCHAR[c] === 0) {
        throw new MalformedResponseError(
          c === 32 || c === 9 ? "whitespace before a colon" : "invalid field name",
        );
      }
    }
    let vs = colon + 1, ve = next;
    while (vs < ve && (text.charCodeAt(vs) === 32 || text.charCodeAt(vs) === 9)) vs++;
    while (ve > vs && (text.charCodeAt(ve - 1) === 32 || text.charCodeAt(ve - 1) === 9)) ve--;
    const name = knownName(text, pos, colon) ?? text.slice(pos, colon).toLowerCase();
    const value = name === "connection" && ve - vs === 10 && text.startsWith("keep-alive", vs)
      ? "keep-alive"
      : text.slice(vs, ve);
    checkValue(value, "field value");
    pos = next + 2;
    switch (name) {
      case "content-length": {
        const length = parseContentLength(value);
        if (contentLength >= 0 && contentLength !== length) {
          throw new MalformedResponseError("conflicting Content-Length");
        }
        contentLength = length;
        if (lengthIndex >= 0) continue;
        lengthIndex = headers.length;
        // The value itself when it is already the number's canonical form (nearly always).
        const canonical = value.length === 1 || (value.charCodeAt(0) !== 48 && isDigits(value));
        headers.push([name, canonical ? value : String(length)]);
        continue;
      }
      case "transfer-encoding":
        transferEncoding = transferEncoding === undefined ? value : `${transferEncoding}, ${value}`;
        break;
      case "connection":
        connection = connection === undefined ? value : `${connection}, ${value}`;
        break;
    }
    headers.push([name, value]);
  }
  let chunked = false;
  if (transferEncoding !== undefined) {
    if (minor === 0) throw new MalformedResponseError("Transfer-Encoding in an HTTP/1.0 response");
    if (contentLength >= 0) {
      throw new MalformedResponseError("both Content-Length and Transfer-Encoding");
    }
    if (transferEncoding.toLowerCase() !== "chunked") {
      throw new MalformedResponseError(`unsupported Transfer-Encoding "${transferEncoding}"`);
    }
    chunked = true;
  }
  let keepAlive = minor === 1;
  // The common single options first: no split, no token strings.
  if (connection === "keep-alive") keepAlive = true;
  else if (connection === "close") keepAlive = false;
  else if (connection !== undefined) {
    for (const token of connection.split(",")) {
      const t = token.trim().toLowerCase();
      if (t === "close") {
        keepAlive = false;
        break;
      }
      if (t === "keep-alive") keepAlive = true;
    }
  }
  return { minor, status, statusText, headers, contentLength, chunked, keepAlive };
}

/** Refuses control characters other than HTAB (RFC 9110 §5.5: CR, LF, NUL and the rest). */
function checkValue(value: string, what: string): void {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if ((c < 32 && c !== 9) || c === 127) {
      throw new MalformedResponseError(`control character in a ${what}`);
    }
  }
}

/** Whether `text` is 1*DIGIT. */
function isDigits(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const d = text.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return false;
  }
  return text.length > 0;
}

/**
 * Field names most responses carry, lower case, by length: a name found here is not sliced and
 * lower-cased again (the parser's largest garbage per field before).
 */
const KNOWN_NAMES: (readonly string[] | undefined)[] = (() => {
  const byLength: string[][] = [];
  for (
    const name of [
      "accept-ranges",
      "access-control-allow-origin",
      "age",
      "cache-control",
      "connection",
      "content-encoding",
      "content-length",
      "content-security-policy",
      "content-type",
      "date",
      "etag",
      "expires",
      "keep-alive",
      "last-modified",
      "location",
      "pragma",
      "server",
      "set-cookie",
      "strict-transport-security",
      "transfer-encoding",
      "upgrade",
      "vary",
      "via",
      "x-content-type-options",
      "x-frame-options",
      "x-powered-by",
      "x-request-id",
    ]
  ) (byLength[name.length] ??= []).push(name);
  return byLength;
})();

/**
 * The interned lower-case name `text[start, end)` spells in any case, if it is one of
 * {@linkcode KNOWN_NAMES}. The range holds token characters only (checked before): among them
 * `| 0x20` lower-cases A–Z and maps nothing else onto a letter, digit or `-`.
 */
function knownName(text: string, start: number, end: number): string | undefined {
  const candidates = KNOWN_NAMES[end - start];
  if (candidates === undefined) return undefined;
  for (let k = 0; k < candidates.length; k++) {
    const name = candidates[k]!;
    let i = 0;
    while (i < name.length && (text.charCodeAt(start + i) | 0x20) === name.charCodeAt(i)) i++;
    if (i === name.length) return name;
  }
  return undefined;
}

/**
 * Content-Length: 1*DIGIT, or a list of one repeated value (RFC 9110 §8.6), at most 2^53 - 1.
 */
function parseContentLength(value: string): number {
  if (value.length <= 16 && isDigits(value)) {
    // One plain number (nearly always): no split, no trimmed parts.
    const n = Number(value);
    if (n > Number.MAX_SAFE_INTEGER) throw new MalformedResponseError("invalid Content-Length");
    return n;
  }
  let result = -1;
  for (const part of value.split(",")) {
    const digits = part.trim();
    if (digits.length === 0 || digits.length > 16) {
      throw new MalformedResponseError("invalid Content-Length");
    }
    let n = 0;
    for (let i = 0; i < digits.length; i++) {
      const d = digits.charCodeAt(i) - 48;
      if (d < 0 || d > 9) throw new MalformedResponseError("invalid Content-Length");
      n = n * 10 + d;
    }
    if (n > Number.MAX_SAFE_INTEGER) throw new MalformedResponseError("invalid Content-Length");
    if (result >= 0 && result !== n) throw new MalformedResponseError("conflicting Content-Length");
    result = n;
  }
  return result;
}
