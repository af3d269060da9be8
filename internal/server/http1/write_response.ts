/**
 * Serialises a WHATWG `Response` onto an HTTP/1.1 connection: status line, headers, framing
 * chosen by Sluice (Content-Length, chunked, or close-delimited for HTTP/1.0), `Date`.
 *
 * @module
 */

import { encodeLatin1Into, responseFieldList, STATUS_TEXT } from "../../proxy/mod.ts";
import { WRITE_BUFFER_BYTES, WriteBuffers } from "../../net/mod.ts";

const encoder = new TextEncoder();

let cachedDate = "";
let cachedDateAt = 0;

/** The IMF-fixdate for `Date` (RFC 9110 §6.6.1), recomputed at most once a second. */
export function httpDate(): string {
  const now = Date.now();
  if (now - cachedDateAt >= 1000 || cachedDate === "") {
    cachedDateAt = now - (now % 1000);
    cachedDate = new Date(now).toUTCString();
  }
  return cachedDate;
}

/**
 * Framing of the response body: `none` (HEAD, 1xx, 204, 304, no body), `length`
 * (Content-Length), `chunked` (HTTP/1.1), `close` (until the connection closes: HTTP/1.0
 * without a length).
 */
export type Framing = "none" | "length" | "chunked" | "close";

/** A serialised response head and how its body is framed. */
export interface ResponseHead {
  /**
   * Bytes of the status line and header fields, with the empty line; followed by the body when
   * one was given and the framing is `length`.
   */
  bytes: Uint8Array;
  /** How the body is sent. */
  framing: Framing;
  /** The Content-Length, for `"length"`. */
  length: number;
  /** The connection closes after this response. */
  close: boolean;
  /** `bytes` holds the body after the head. */
  withBody: boolean;
  /**
   * The pooled buffer `bytes` is a view of, to give back with {@linkcode releaseBuffer} once
   * the write of `bytes` has settled; `undefined` when `bytes` has a buffer of its own.
   */
  pooled: Uint8Array<ArrayBuffer> | undefined;
}

/**
 * The listener's pooled response head buffers (`WriteBuffers`, shared with the transport's
 * design): one is out per response write in flight. Kept 64 at most before, `wrk -t1 -c200`
 * made 6,327 new zeroed 8 KiB buffers per 100,000 responses (every connection whose request
 * arrived in the same event-loop turn has one out before any write settles).
 */
const buffers = new WriteBuffers();

/**
 * Gives back the buffer of a {@linkcode ResponseHead} (its `pooled`) once the write of its bytes
 * has settled (resolved or rejected): the socket no longer reads it. Never call it twice.
 * @param buffer the head's `pooled`.
 */
export function releaseBuffer(buffer: Uint8Array<ArrayBuffer> | undefined): void {
  if (buffer !== undefined) buffers.give(buffer);
}

/** Hop-by-hop and framing fields Sluice writes itself (RFC 9110 §7.6.1, RFC 9112 §6). */
function isOwnField(name: string): boolean {
  switch (name) {
    case "connection":
    case "keep-alive":
    case "transfer-encoding":
    case "content-length":
    case "proxy-connection":
      return true;
  }
  return false;
}

/** `HTTP/1.1 <status> <reason>\r\n` of the statuses with a standard reason, by status. */
const STATUS_LINES: (string | undefined)[] = [];
for (const [status, reason] of Object.entries(STATUS_TEXT)) {
  STATUS_LINES[Number(status)] = `HTTP/1.1 ${status} ${reason}\r\n`;
}

/**
 * Builds the head for `response` to a request.
 *
 * Header fields are read with `Headers.forEach` (one pass over the sorted list; its iterator
 * costs an object per field) and written as Latin-1, byte for byte as they came (a field value
 * is a ByteString: obs-text stays one byte, RFC 9110 §5.5), into one buffer that also takes
 * `body`, so a small response is one allocation and one write.
 * @param response the handler's response.
 * @param minor the request's HTTP minor version (0 or 1).
 * @param head true for a HEAD request (no body is sent, Content-Length is kept).
 * @param keepAlive whether the connection may stay open.
 * @param knownLength the body's length when the caller measured it (no Content-Length field).
 * @param hasBody whether the response has a body (`response.body !== null`), told by the caller
 *   so that this never calls the body getter, which makes a stream of a byte body.
 * @param body the whole body, appended to the head's bytes when the framing is `length`
 *   (`withBody`); `knownLength` must then be its length.
 * @param pooled write into a pooled buffer when it fits (the caller then calls
 *   {@linkcode releaseBuffer} after the write): a fresh `ArrayBuffer` costs about a
 *   microsecond in Deno 2.9.6, more than serialising a small head.
 * @returns the head's bytes and the framing.
 */
export function responseHead(
  response: Response,
  minor: 0 | 1,
  head: boolean,
  keepAlive: boolean,
  knownLength: number | undefined,
  hasBody: boolean,
  body?: Uint8Array,
  pooled = false,
): ResponseHead {
  const status = response.status;
  const fields: HeadFields = { text: "", hasDate: false };
  // A transport's field list, in the upstream's order, when nothing made its Headers.
  const list = responseFieldList(response);
  let declaredLength: string | null | undefined;
  if (list === undefined) {
    response.headers.forEach(addField, fields);
  } else {
    for (let i = 0; i < list.length; i++) {
      const field = list[i]!;
      addField.call(fields, field[1], field[0]);
      if (field[0] === "content-length") declaredLength = field[1];
    }
    declaredLength ??= null;
  }
  let text = (STATUS_LINES[status] ??
    `HTTP/1.1 ${status} ${STATUS_TEXT[status] ?? (response.statusText || "Unknown")}\r\n`) +
    fields.text;
  if (!fields.hasDate) text += `date: ${httpDate()}\r\n`;
  let framing: Framing;
  let length = 0;
  const noBody = status < 200 || status === 204 || status === 304;
  const declared = knownLength !== undefined
    ? String(knownLength)
    : declaredLength !== undefined
    ? declaredLength
    : response.headers.get("content-length");
  if (noBody) {
    framing = "none";
  } else if (declared !== null && isDigits(declared)) {
    length = Number(declared);
    text += `content-length: ${declared}\r\n`;
    framing = head ? "none" : "length";
  } else if (head) {
    // No length known: none sent (RFC 9110 §8.6: a HEAD's Content-Length must be the GET's;
    // an upstream's HEAD answer framed as chunked has none, and 0 would be a lie to caches).
    framing = "none";
  } else if (!hasBody) {
    text += "content-length: 0\r\n";
    framing = "none";
  } else if (minor === 1) {
    text += "transfer-encoding: chunked\r\n";
    framing = "chunked";
  } else {
    framing = "close";
    keepAlive = false;
  }
  if (!keepAlive) text += "connection: close\r\n";
  else if (minor === 0) text += "connection: keep-alive\r\n";
  text += "\r\n";
  const withBody = body !== undefined && framing === "length";
  const size = text.length + (withBody ? body.length : 0);
  const buffer = pooled && size <= WRITE_BUFFER_BYTES ? buffers.take(size) : undefined;
  const bytes = buffer === undefined ? new Uint8Array(size) : buffer.subarray(0, size);
  encodeLatin1Into(text, bytes);
  if (withBody) bytes.set(body, text.length);
  return { bytes, framing, length, close: !keepAlive, withBody, pooled: buffer };
}

/** The header fields of a response head, gathered by `Headers.forEach`. */
interface HeadFields {
  text: string;
  hasDate: boolean;
}

/** `Headers.forEach` callback, `this` the fields gathered (no closure per response). */
function addField(this: HeadFields, value: string, name: string): void {
  if (isOwnField(name)) return;
  if (name === "date") this.hasDate = true;
  this.text += `${name}: ${value}\r\n`;
}

function isDigits(value: string): boolean {
  if (value.length === 0 || value.length > 15) return false;
  for (let i = 0; i < value.length; i++) {
    const d = value.charCodeAt(i) - 0x30;
    if (d < 0 || d > 9) return false;
  }
  return true;
}

/**
 * A minimal response Sluice writes itself before a request reached the handler (a malformed
 * head, a timeout, the connection cap); it always closes the connection.
 * @param status the status code.
 * @param reason a short plain-text body line.
 * @returns the whole response's bytes.
 */
export function plainResponse(status: number, reason: string): Uint8Array {
  const body = `${status} ${STATUS_TEXT[status] ?? ""}: ${reason}\n`;
  return encoder.encode(
    `HTTP/1.1 ${status} ${STATUS_TEXT[status] ?? "Error"}\r\ncontent-type: text/plain; ` +
      `charset=utf-8\r\ncontent-length: ${body.length}\r\nconnection: close\r\n` +
      `date: ${httpDate()}\r\n\r\n${body}`,
  );
}
