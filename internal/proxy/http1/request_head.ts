/**
 * Serialises an HTTP/1.1 request head (RFC 9112 §3, §5).
 *
 * @module
 */

import type { HeaderList } from "../headers.ts";

/** How the request body is framed on the wire. */
export type RequestFraming =
  /** No body; `content-length` from the list is dropped unless the method expects content. */
  | { kind: "none" }
  /** `Content-Length: length` (any from the list replaced). */
  | { kind: "length"; length: number }
  /** A streamed body keeping the client's own `Content-Length`. */
  | { kind: "declared" }
  /** `Transfer-Encoding: chunked` (any `content-length` from the list dropped). */
  | { kind: "chunked" };

/** Methods whose requests carry content, so an empty one says `Content-Length: 0` (RFC 9110 §8.6). */
const CONTENT_METHODS: ReadonlySet<string> = new Set(["POST", "PUT", "PATCH"]);

/**
 * Builds the head: request line with the target byte for byte (no normalisation), `Host`
 * (from the list when present, else `defaultHost`) first, the listed headers in order, then
 * the body's framing header. Headers are sent as given: names and values come from `Headers`,
 * which already refused CR, LF and NUL. `transfer-encoding` in the list is never copied (the
 * framing decides it).
 * @param method request method.
 * @param target request target in origin form, e.g. `/a/../b?x=1`.
 * @param defaultHost `host[:port]` of the upstream, used when the list has no `host`.
 * @param headers the headers to send.
 * @param framing how the body is framed.
 * @returns the head as a byte string (one character per byte), CRLFCRLF included.
 */
export function serializeRequestHead(
  method: string,
  target: string,
  defaultHost: string,
  headers: HeaderList,
  framing: RequestFraming,
): string {
  let host = defaultHost;
  let declared = false;
  let lines = "";
  for (let i = 0; i < headers.length; i++) {
    const [name, value] = headers[i]!;
    if (name === "host") {
      host = value;
      continue;
    }
    if (name === "content-length") {
      if (framing.kind !== "declared") continue;
      declared = true;
    } else if (name === "transfer-encoding") continue;
    lines += `${name}: ${value}\r\n`;
  }
  let head = `${method} ${byteTarget(target)} HTTP/1.1\r\nhost: ${host}\r\n${lines}`;
  switch (framing.kind) {
    case "length":
      head += `content-length: ${framing.length}\r\n`;
      break;
    case "chunked":
      head += "transfer-encoding: chunked\r\n";
      break;
    case "declared":
      if (!declared) head += "transfer-encoding: chunked\r\n";
      break;
    case "none":
      if (CONTENT_METHODS.has(method)) head += "content-length: 0\r\n";
  }
  return head + "\r\n";
}

/**
 * Writes the head {@linkcode serializeRequestHead} builds into `buffer` as bytes (one per
 * character, the request target as UTF-8 like there), with one `TextEncoder.encodeInto` of the
 * head string when it is ASCII (its fast path), else one byte per character.
 *
 * It wrote the head character by character with `charCodeAt` before: 4.1% of the busy time in
 * a CPU profile of the defaults, more than building the string and encoding it once. A
 * `charCodeAt` loop is fast only over a flat sequential string; the forwarding values are
 * concatenations (cons strings, flattened on the first read) and slices of the client's head
 * (sliced strings), and one loop seeing every kind ran at 3–9 ns a character against 0.6 for a
 * flat one (Deno 2.9.6). Flattening the one string is a copy; `bench/request_head_bench.ts`.
 * @param buffer where to write, from index 0.
 * @param method request method.
 * @param target request target in origin form.
 * @param defaultHost `host[:port]` of the upstream, used when the list has no `host`.
 * @param headers the headers to send.
 * @param framing how the body is framed.
 * @returns the head's length in bytes, or -1 when it does not fit in `buffer` (nothing written).
 */
export function writeRequestHead(
  buffer: Uint8Array,
  method: string,
  target: string,
  defaultHost: string,
  headers: HeaderList,
  framing: RequestFraming,
): number {
  const head = serializeRequestHead(method, target, defaultHost, headers, framing);
  if (head.length > buffer.length) return -1;
  return encodeLatin1Into(head, buffer);
}

const encoder = new TextEncoder();

/**
 * The target as a byte string: `Deno.serve` decodes the bytes of a request target as UTF-8
 * (`/\xc3\xa9` arrives as `/é`), so they go back out as UTF-8, not one byte per character.
 */
function byteTarget(target: string): string {
  for (let i = 0; i < target.length; i++) {
    if (target.charCodeAt(i) > 127) {
      return String.fromCharCode(...encoder.encode(target));
    }
  }
  return target;
}

/**
 * Encodes a byte string (characters 0–255, as `Headers` holds them) to bytes, reserving
 * `extra` bytes after it (for a small body sent in the same write).
 * @param text a string whose characters are all below 256.
 * @param extra bytes to reserve after the text.
 * @returns the bytes and the length used by the text.
 */
export function encodeLatin1(
  text: string,
  extra = 0,
): { bytes: Uint8Array<ArrayBuffer>; length: number } {
  const bytes = new Uint8Array(text.length + extra);
  return { bytes, length: encodeLatin1Into(text, bytes) };
}

/**
 * Encodes a byte string (characters 0–255, as `Headers` holds them) into the start of
 * `target`, one byte per character.
 * @param text a string whose characters are all below 256.
 * @param target where to write; at least `text.length` bytes long (bytes after the text may be
 *   overwritten).
 * @returns the number of bytes written: `text.length`.
 * @throws {RangeError} when `target` is shorter than `text`.
 */
export function encodeLatin1Into(text: string, target: Uint8Array): number {
  if (target.length < text.length) {
    throw new RangeError(`${text.length} bytes do not fit in ${target.length}`);
  }
  const { read, written } = encoder.encodeInto(text, target);
  if (read === text.length && written === text.length) return written;
  // Not ASCII: one byte per character.
  for (let i = 0; i < text.length; i++) target[i] = text.charCodeAt(i) & 0xff;
  return text.length;
}
