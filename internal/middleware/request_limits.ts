/**
 * Limits on the request target's length (414) and the header fields' size (431).
 *
 * @module
 */

import { HeaderFieldsTooLargeError, UriTooLongError } from "../proxy/mod.ts";
import type { Handler, Middleware, RequestContext } from "./context.ts";

/** Options of {@linkcode requestLimits}. */
export interface RequestLimitsOptions {
  /** Longest request target (path and query), bytes; 0 for no limit. @default 8192 */
  maxUrlBytes?: number;
  /** Largest total size of the header fields (see {@linkcode headerBytes}), bytes; 0 for no limit. @default 32768 */
  maxHeaderBytes?: number;
}

/**
 * Middleware that refuses a request whose target (path and query) is longer than
 * `maxUrlBytes` with 414 URI Too Long (RFC 9110 §15.5.15), or whose header fields are larger
 * than `maxHeaderBytes` in total with 431 Request Header Fields Too Large (RFC 6585 §5). It
 * throws {@linkcode UriTooLongError} or {@linkcode HeaderFieldsTooLargeError}, which `recover()`
 * answers: place it inside `recover()`.
 *
 * Deno's server (hyper) already answers 400 Bad Request, and closes the connection, when the
 * request line and headers together pass 64 KiB or there are more than 128 header fields; such
 * requests never reach Sluice's handler, so they are neither logged nor counted. These limits
 * are meant to be lower, so that clients get the precise status and a request id, and upstreams
 * (often with an 8 KiB line and header buffer, as nginx's `large_client_header_buffers`) are
 * not sent what they would refuse.
 *
 * @param options the limits.
 * @returns the middleware.
 * @throws {RangeError} when a limit is not a whole number >= 0.
 */
export function requestLimits(options: RequestLimitsOptions = {}): Middleware {
  const maxUrlBytes = checkLimit("maxUrlBytes", options.maxUrlBytes ?? 8192);
  const maxHeaderBytes = checkLimit("maxHeaderBytes", options.maxHeaderBytes ?? 32768);
  return function requestLimitsMiddleware(ctx: RequestContext, next: Handler) {
    const request = ctx.request;
    if (maxUrlBytes > 0) {
      const length = ctx.target.length;
      if (length > maxUrlBytes) return Promise.reject(new UriTooLongError(maxUrlBytes, length));
    }
    // The listener's field lines, counted one by one, are never fewer bytes than the combined
    // fields headerBytes() counts (a repeated name counts its name and 4 bytes again, where
    // joining adds 2): within the limit, they need no other count, and Headers no copy.
    const fields = ctx.headerFields;
    if (
      maxHeaderBytes > 0 && (fields === undefined || fieldLineBytes(fields) > maxHeaderBytes)
    ) {
      const size = headerBytes(request.headers);
      if (size > maxHeaderBytes) {
        return Promise.reject(new HeaderFieldsTooLargeError(maxHeaderBytes, size));
      }
    }
    return next(ctx);
  };
}

function checkLimit(name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new RangeError(`${name} must be a whole number of bytes >= 0: current value is ${value}`);
  }
  return value;
}

/**
 * Length of the request target (path and query) of an absolute URL string, without slicing it:
 * `"http://h:1/a?b"` → 4. A request target is ASCII on the wire, so this is its size in bytes.
 * @param url an absolute URL such as `Request.url`.
 * @returns the length of what follows the origin, at least 1 (`"/"`).
 */
export function requestTargetLength(url: string): number {
  const schemeEnd = url.indexOf("://");
  const authority = schemeEnd < 0 ? 0 : schemeEnd + 3;
  let end = authority;
  while (end < url.length) {
    const c = url.charCodeAt(end);
    if (c === SLASH || c === QUESTION_MARK) break;
    end++;
  }
  return Math.max(1, url.length - end + (url.charCodeAt(end) === QUESTION_MARK ? 1 : 0));
}

const SLASH = 0x2f;
const QUESTION_MARK = 0x3f;

/** Running total of {@linkcode headerBytes}; module scope, so counting needs no closure. */
let counted = 0;

function countField(value: string, name: string): void {
  counted += name.length + value.length + 4;
}

/**
 * Size of header field lines counted one by one, each as `name: value` and CRLF: at least
 * {@linkcode headerBytes} of the same fields, which counts a repeated name once.
 * @param fields the fields, one entry per field line.
 * @returns the size, bytes.
 */
export function fieldLineBytes(fields: readonly (readonly [string, string])[]): number {
  let bytes = 0;
  for (let i = 0; i < fields.length; i++) {
    const field = fields[i]!;
    bytes += field[0].length + field[1].length + 4;
  }
  return bytes;
}

/**
 * Size of header fields as sent in HTTP/1.1: each counted as `name: value` and CRLF (the
 * length of name and value plus 4). Fields of the same name count as one, their values joined
 * with `", "` (how `Headers` keeps them), which is within a few bytes of the wire size. Header
 * values are byte strings, so lengths are bytes.
 * @param headers the request's headers.
 * @returns the size, bytes.
 */
export function headerBytes(headers: Headers): number {
  counted = 0;
  headers.forEach(countField);
  return counted;
}
