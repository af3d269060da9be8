/**
 * Errors of the HTTP/1.1 transport, each telling the director how far a request got: never
 * sent (connect failure), sent but no complete answer (closed or reset), or answered with
 * something that is not HTTP/1.1 (malformed). `isConnectFailure` and `describeNetworkError`
 * (internal/health) read them.
 *
 * @module
 */

/** The connection to the upstream did not open (refused, unreachable, timed out): nothing was sent. */
export class ConnectFailedError extends Error {
  /** `host:port` of the upstream. */
  readonly authority: string;
  /**
   * @param authority `host:port` of the upstream.
   * @param reason short reason, e.g. `"connection refused"` or `"connect timed out after 5000ms"`.
   * @param options the underlying error as `cause`.
   */
  constructor(authority: string, reason: string, options?: ErrorOptions) {
    super(`connect to ${authority} failed: ${reason}`, options);
    this.name = "ConnectFailedError";
    this.authority = authority;
  }
}

/**
 * The upstream closed or reset the connection before the response (head or body) was complete.
 * `requestSent` tells whether any byte of the request had been written (the upstream may have
 * acted on it); `responseStarted` whether any byte of a response had arrived.
 */
export class UpstreamClosedError extends Error {
  /** Whether request bytes had been written when the connection broke. */
  readonly requestSent: boolean;
  /** Whether response bytes had arrived when the connection broke. */
  readonly responseStarted: boolean;
  /**
   * @param detail where it broke, e.g. `"before the response head"`.
   * @param state how far the exchange got.
   * @param options the underlying error (a reset) as `cause`.
   */
  constructor(
    detail: string,
    state: { requestSent: boolean; responseStarted: boolean },
    options?: ErrorOptions,
  ) {
    super(`connection closed before a complete response (${detail})`, options);
    this.name = "UpstreamClosedError";
    this.requestSent = state.requestSent;
    this.responseStarted = state.responseStarted;
  }
}

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
