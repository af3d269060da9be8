/**
 * Errors of opening and using a connection to an upstream, each telling how far a request got:
 * never sent (connect failure), or sent but no complete answer (closed or reset). Thrown by the
 * HTTP/1.1 transport (internal/proxy/http1); `isConnectFailure`, `isConnectionLost` and
 * `describeNetworkError` (internal/health) read them. They live here, below both, so that
 * health never imports proxy.
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
