/**
 * Errors of the HTTP/1.1 transport: an answer that is not HTTP/1.1 (malformed). The errors that
 * tell how far a request got on the connection (`ConnectFailedError`, `UpstreamClosedError`) live
 * in internal/net/upstream_errors.ts, where internal/health reads them too.
 *
 * @module
 */

/**
 * The upstream's response is not valid HTTP/1.1 framing (RFC 9112): refused with 502, the
 * connection closed and never reused.
 */
export class MalformedResponseError extends Error {
  /**
   * @param detail what is wrong, e.g. `"both Content-Length and Transfer-Encoding"`.
   */
  constructor(detail: string) {
    super(`malformed response: ${detail}`);
    this.name = "MalformedResponseError";
  }
}
