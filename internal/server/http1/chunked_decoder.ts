/**
 * Incremental decoder of the chunked transfer coding of request bodies (RFC 9112 §7.1):
 * strict hex sizes, chunk extensions skipped, CRLF after each chunk's data, trailer fields
 * read and dropped, every line bounded.
 *
 * @module
 */

/** One step of {@linkcode ChunkedDecoder.decode}. */
export interface ChunkedPiece {
  /** Index in the buffer up to which bytes were consumed. */
  next: number;
  /** Body bytes decoded in this step (a copy), if any. */
  data?: Uint8Array;
  /** The last chunk and the trailer section were read: the body is complete. */
  done?: boolean;
  /** Why the encoding is malformed; the connection must close. */
  error?: string;
}

const CR = 13;
const LF = 10;
/** Longest chunk-size line or trailer line, bytes. */
const MAX_LINE = 4096;
/** Largest trailer section, bytes. */
const MAX_TRAILERS = 16 * 1024;
/** Hex digits of the largest chunk size (13 hex digits stay below 2^53). */
const MAX_SIZE_DIGITS = 13;

/** tchar (RFC 9110 §5.6.2): 1 for each byte allowed in a token. */
const TCHAR = new Uint8Array(256);
for (const c of "!#$%&'*+-.^_`|~") TCHAR[c.charCodeAt(0)] = 1;
for (let c = 0x30; c <= 0x39; c++) TCHAR[c] = 1;
for (let c = 0x41; c <= 0x5a; c++) TCHAR[c] = 1;
for (let c = 0x61; c <= 0x7a; c++) TCHAR[c] = 1;

type State = "size" | "data" | "data-crlf" | "trailers" | "done";

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  return -1;
}

/** Decodes one chunked body; feed it the connection buffer until `done` or `error`. */
export class ChunkedDecoder {
  #state: State = "size";
  #remaining = 0;
  #trailerBytes = 0;

  /**
   * Decodes as much as `buffer[start, end)` allows.
   * @param buffer the connection's buffer.
   * @param start first unread byte.
   * @param end end of the read bytes.
   * @returns what was consumed, the data, or the end or an error; `next === start` with no data
   *   means more bytes are needed.
   */
  decode(buffer: Uint8Array, start: number, end: number): ChunkedPiece {
    let i = start;
    for (;;) {
      switch (this.#state) {
        case "size": {
          const lf = indexOfLf(buffer, i, end);
          if (lf < 0) {
            if (end - i > MAX_LINE) return { next: i, error: "chunk size line too long" };
            return { next: i };
          }
          if (lf === i || buffer[lf - 1] !== CR) return { next: i, error: "bare LF" };
          let size = 0;
          let j = i;
          while (j < lf - 1) {
            const v = hexValue(buffer[j]!);
            if (v < 0) break;
            size = size * 16 + v;
            j++;
          }
          if (j === i) return { next: i, error: "chunk size is not hexadecimal" };
          if (j - i > MAX_SIZE_DIGITS) return { next: i, error: "chunk size too large" };
          // Optional spaces (hyper refuses tabs), then chunk extensions, ignored.
          while (j < lf - 1 && buffer[j] === 0x20) j++;
          if (j < lf - 1) {
            if (buffer[j] !== 0x3b) return { next: i, error: "invalid chunk size line" };
            for (let k = j; k < lf - 1; k++) {
              const c = buffer[k]!;
              if (c < 0x20 || c === 0x7f) {
                return { next: i, error: "invalid byte in a chunk extension" };
              }
            }
          }
          i = lf + 1;
          if (size === 0) {
            this.#state = "trailers";
          } else {
            this.#remaining = size;
            this.#state = "data";
          }
          break;
        }
        case "data": {
          if (i >= end) return { next: i };
          const n = Math.min(end - i, this.#remaining);
          const data = buffer.slice(i, i + n);
          this.#remaining -= n;
          i += n;
          if (this.#remaining === 0) this.#state = "data-crlf";
          return { next: i, data };
        }
        case "data-crlf": {
          if (end - i < 2) {
            if (i < end && buffer[i] !== CR) return { next: i, error: "no CRLF after chunk data" };
            return { next: i };
          }
          if (buffer[i] !== CR || buffer[i + 1] !== LF) {
            return { next: i, error: "no CRLF after chunk data" };
          }
          i += 2;
          this.#state = "size";
          break;
        }
        case "trailers": {
          const lf = indexOfLf(buffer, i, end);
          if (lf < 0) {
            if (end - i > MAX_LINE) return { next: i, error: "trailer line too long" };
            return { next: i };
          }
          if (lf === i || buffer[lf - 1] !== CR) return { next: i, error: "bare LF" };
          this.#trailerBytes += lf + 1 - i;
          if (this.#trailerBytes > MAX_TRAILERS) return { next: i, error: "trailers too large" };
          const empty = lf === i + 1;
          if (!empty) {
            // A field line as in the head: token, colon, value without control bytes.
            let k = i;
            while (k < lf - 1 && TCHAR[buffer[k]!] === 1) k++;
            if (k === i || buffer[k] !== 0x3a) {
              return { next: i, error: "malformed trailer field" };
            }
            for (k++; k < lf - 1; k++) {
              const c = buffer[k]!;
              if ((c < 0x20 && c !== 0x09) || c === 0x7f) {
                return { next: i, error: "invalid byte in a trailer field" };
              }
            }
          }
          i = lf + 1;
          if (empty) {
            this.#state = "done";
            return { next: i, done: true };
          }
          break;
        }
        case "done":
          return { next: i, done: true };
      }
    }
  }
}

function indexOfLf(buffer: Uint8Array, from: number, to: number): number {
  const at = buffer.subarray(from, to).indexOf(LF);
  return at < 0 ? -1 : from + at;
}
