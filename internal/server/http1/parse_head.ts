/**
 * A strict parser of HTTP/1.1 request heads (RFC 9112 §2–§6) over bytes: request line, header
 * fields and the message framing they declare. Hand-written for the hot path: one pass, no
 * regular expressions, strings made only for the parts kept.
 *
 * @module
 */

/** A request head that was refused, with the status to answer (the connection then closes). */
export interface HeadError {
  readonly ok: false;
  /** 400, 414, 431, 501 or 505. */
  readonly status: number;
  /** Why, for the log (never echoed with client bytes beyond this text). */
  readonly reason: string;
}

/** A parsed request head. */
export interface RequestHead {
  readonly ok: true;
  /** The method token, case kept. */
  readonly method: string;
  /** The request target exactly as sent (origin, absolute, authority or asterisk form). */
  readonly target: string;
  /** 0 for HTTP/1.0, 1 for HTTP/1.1. */
  readonly minor: 0 | 1;
  /** Header fields in wire order: names lower-cased, values with OWS trimmed (Latin-1). */
  readonly fields: [string, string][];
  /** The Host field's value, `undefined` without one. */
  readonly host: string | undefined;
  /** The body's length from Content-Length, -1 for a chunked body, 0 for none. */
  readonly bodyLength: number;
  /** Whether the connection stays open after this exchange (RFC 9112 §9.3). */
  readonly keepAlive: boolean;
  /** `Expect: 100-continue` was sent (HTTP/1.1 only). */
  readonly expectContinue: boolean;
  /** `Connection` lists `upgrade` and an `Upgrade` field is present. */
  readonly upgrade: boolean;
  /** Bytes of the head, including the empty line. */
  readonly size: number;
}

/** Limits of {@linkcode parseHead}. */
export interface HeadLimits {
  /** Most header fields. @default 100 (hyper's) */
  maxFields?: number;
}

const CR = 13;
const LF = 10;
const SP = 32;
const HTAB = 9;
const COLON = 58;

/** tchar (RFC 9110 §5.6.2): 1 for each byte allowed in a token. */
const TCHAR = new Uint8Array(256);
for (const c of "!#$%&'*+-.^_`|~") TCHAR[c.charCodeAt(0)] = 1;
for (let c = 0x30; c <= 0x39; c++) TCHAR[c] = 1;
for (let c = 0x41; c <= 0x5a; c++) TCHAR[c] = 1;
for (let c = 0x61; c <= 0x7a; c++) TCHAR[c] = 1;

/**
 * Finds the end of a request head: the index just past the first CRLFCRLF after leading empty
 * lines, -1 when the buffer holds no complete head yet, or -2 when a bare LF shows the head is
 * malformed (so that it is refused at once rather than at the header timeout).
 * @param buffer bytes read so far.
 * @param start where the head starts.
 * @param end where the read bytes end.
 * @returns the index past the empty line, -1 or -2.
 */
export function findHeadEnd(buffer: Uint8Array, start: number, end: number): number {
  let i = start;
  // RFC 9112 §2.2: empty lines before the request line are ignored.
  while (i + 1 < end && buffer[i] === CR && buffer[i + 1] === LF) i += 2;
  const first = i;
  for (; i < end; i++) {
    if (buffer[i] !== LF) continue;
    if (i === first || buffer[i - 1] !== CR) return -2;
    if (i >= first + 3 && buffer[i - 2] === LF) return i + 1;
  }
  return -1;
}

function fail(status: number, reason: string): HeadError {
  return { ok: false, status, reason };
}

function latin1(buffer: Uint8Array, from: number, to: number): string {
  // String.fromCharCode over a subarray is the fastest byte-string decoding for short fields.
  if (to - from < 2048) {
    return String.fromCharCode.apply(null, buffer.subarray(from, to) as unknown as number[]);
  }
  let text = "";
  for (let i = from; i < to; i += 2048) {
    text += String.fromCharCode.apply(
      null,
      buffer.subarray(i, Math.min(to, i + 2048)) as unknown as number[],
    );
  }
  return text;
}

/** UTF-8 decoding is Latin-1 for an all-ASCII head; Deno decodes UTF-8 on its fastest path. */
const UTF8 = new TextDecoder("utf-8", { ignoreBOM: true });
const NON_ASCII = /[\u0080-\uffff]/;

/**
 * The head's bytes as one string, one code unit per byte (Latin-1), so that the method, target,
 * names and values are slices of it (V8 shares the characters of a slice of 13 or more) instead
 * of a decoding each. A short head is decoded with `String.fromCharCode` (cheapest there); a
 * longer one natively as UTF-8, which is exact when it is all ASCII (the string then has one
 * code unit per byte and none above 0x7F), else it is decoded again as exact Latin-1 (obs-text).
 */
function headText(buffer: Uint8Array, from: number, to: number): string {
  if (to - from <= 64) return latin1(buffer, from, to);
  const text = UTF8.decode(buffer.subarray(from, to));
  return text.length === to - from && !NON_ASCII.test(text) ? text : latin1(buffer, from, to);
}

/**
 * Parses a complete request head (as delimited by {@linkcode findHeadEnd}). Strict where RFC
 * 9112 allows leniency: CRLF only (a bare CR or bare LF is a 400), no whitespace before a colon,
 * no obs-fold, no NUL or other control bytes, a request target of visible ASCII only.
 * Framing (RFC 9112 §6): `Transfer-Encoding: chunked` (only that coding, HTTP/1.1 only) or one
 * Content-Length value (repeated fields with the same value are one; a list is refused); both at once is refused (a
 * smuggling vector, RFC 9112 §6.1 lets a server refuse it).
 * @param buffer the bytes.
 * @param start where the head starts (leading empty lines allowed).
 * @param end index past the head's empty line.
 * @param limits field count limit.
 * @returns the head, or the error to answer.
 */
export function parseHead(
  buffer: Uint8Array,
  start: number,
  end: number,
  limits: HeadLimits = {},
): RequestHead | HeadError {
  const maxFields = limits.maxFields ?? 100;
  const text = headText(buffer, start, end);
  let i = start;
  while (buffer[i] === CR && buffer[i + 1] === LF) i += 2;
  // Method.
  const methodStart = i;
  while (TCHAR[buffer[i]!] === 1) i++;
  if (i === methodStart || buffer[i] !== SP) return fail(400, "malformed request line");
  const method = text.slice(methodStart - start, i - start);
  // Target: visible ASCII.
  const targetStart = ++i;
  for (let c = buffer[i]!; c > 0x20 && c < 0x7f; c = buffer[++i]!);
  if (i === targetStart || buffer[i] !== SP) return fail(400, "malformed request target");
  const target = text.slice(targetStart - start, i - start);
  i++;
  // Version: HTTP/1.0 or HTTP/1.1.
  if (
    buffer[i] !== 0x48 || buffer[i + 1] !== 0x54 || buffer[i + 2] !== 0x54 ||
    buffer[i + 3] !== 0x50 || buffer[i + 4] !== 0x2f || buffer[i + 6] !== 0x2e ||
    buffer[i + 8] !== CR || buffer[i + 9] !== LF
  ) return fail(400, "malformed HTTP version");
  const major = buffer[i + 5]! - 0x30;
  const minorDigit = buffer[i + 7]! - 0x30;
  if (major < 0 || major > 9 || minorDigit < 0 || minorDigit > 9) {
    return fail(400, "malformed HTTP version");
  }
  if (major !== 1 || minorDigit > 1) return fail(505, "HTTP version not supported");
  const minor = minorDigit as 0 | 1;
  i += 10;

  const fields: [string, string][] = [];
  let host: string | undefined;
  let contentLength = -1;
  let contentLengths = 0;
  let transferEncoding: string | undefined;
  let connection = "";
  let expect: string | undefined;
  let hasUpgrade = false;
  const last = end - 2; // the final CRLF
  while (i < last) {
    const nameStart = i;
    let upper = false;
    for (let c = buffer[i]!; TCHAR[c] === 1; c = buffer[++i]!) {
      if (c <= 0x5a && c >= 0x41) upper = true;
    }
    if (i === nameStart) {
      return fail(
        400,
        buffer[i] === SP || buffer[i] === HTAB ? "obs-fold is not allowed" : "malformed field",
      );
    }
    if (buffer[i] !== COLON) return fail(400, "malformed field name");
    const nameEnd = i++;
    while (buffer[i] === SP || buffer[i] === HTAB) i++;
    const valueStart = i;
    let valueEnd = i;
    for (;;) {
      const c = buffer[i]!;
      if (c === CR) break;
      if (c > 0x20 && c !== 0x7f) valueEnd = i + 1;
      else if (c !== SP && c !== HTAB) return fail(400, "invalid byte in a field value");
      i++;
    }
    if (buffer[i + 1] !== LF) return fail(400, "bare CR in a field");
    i += 2;
    if (fields.length === maxFields) return fail(431, "too many header fields");
    const raw = text.slice(nameStart - start, nameEnd - start);
    const name = upper ? raw.toLowerCase() : raw;
    const value = text.slice(valueStart - start, valueEnd - start);
    fields.push([name, value]);
    switch (name) {
      case "host":
        if (host !== undefined) return fail(400, "more than one Host");
        host = value;
        break;
      case "content-length": {
        const length = parseLength(value);
        if (length < 0) return fail(400, "invalid Content-Length");
        if (contentLengths > 0 && length !== contentLength) {
          return fail(400, "differing Content-Length values");
        }
        contentLength = length;
        contentLengths++;
        break;
      }
      case "transfer-encoding":
        transferEncoding = transferEncoding === undefined ? value : `${transferEncoding}, ${value}`;
        break;
      case "connection":
        connection = connection === "" ? value : `${connection}, ${value}`;
        break;
      case "expect":
        expect = expect === undefined ? value : `${expect}, ${value}`;
        break;
      case "upgrade":
        hasUpgrade = true;
        break;
    }
  }
  if (i !== last || buffer[i] !== CR || buffer[i + 1] !== LF) return fail(400, "malformed head");
  let bodyLength = contentLengths > 0 ? contentLength : 0;
  if (transferEncoding !== undefined) {
    if (minor === 0) return fail(400, "Transfer-Encoding in an HTTP/1.0 request");
    if (contentLengths > 0) return fail(400, "both Content-Length and Transfer-Encoding");
    // Only `chunked` alone: any other coding or list is refused as framing this parser does
    // not read one way only (RFC 9112 §6.3; hyper refuses them too).
    if (transferEncoding.toLowerCase() !== "chunked") {
      return fail(400, "the transfer coding is not chunked alone");
    }
    bodyLength = -1;
  }
  let close = false;
  let keepAliveOption = false;
  let upgradeOption = false;
  if (connection !== "") {
    for (const option of connection.split(",")) {
      const o = option.trim().toLowerCase();
      if (o === "close") close = true;
      else if (o === "keep-alive") keepAliveOption = true;
      else if (o === "upgrade") upgradeOption = true;
    }
  }
  let expectContinue = false;
  if (expect !== undefined && minor === 1) {
    if (expect.toLowerCase() !== "100-continue") return fail(417, "unsupported expectation");
    expectContinue = true;
  }
  return {
    ok: true,
    method,
    target,
    minor,
    fields,
    host,
    bodyLength,
    keepAlive: !close && (minor === 1 || keepAliveOption),
    expectContinue,
    upgrade: upgradeOption && hasUpgrade,
    size: end - start,
  };
}

/**
 * Content-Length: decimal digits only (RFC 9112 §6.3), up to 2^53 - 1. A list (`"5, 5"`) is
 * refused, as hyper does; repeated fields with the same value are accepted by the caller.
 * @returns the length, or -1 when malformed.
 */
function parseLength(value: string): number {
  const n = value.length;
  if (n === 0 || n > 15) return -1;
  let length = 0;
  for (let i = 0; i < n; i++) {
    const d = value.charCodeAt(i) - 0x30;
    if (d < 0 || d > 9) return -1;
    length = length * 10 + d;
  }
  return length;
}
