/**
 * Failures the proxy tells apart; each maps to one HTTP status in `errorResponse`.
 *
 * @module
 */

/** No upstream is available to take the request (all down, draining or in maintenance). */
export class NoUpstreamError extends Error {
  /** Upstreams in the pool, available or not. */
  readonly poolSize: number;
  /** @param poolSize upstreams in the pool. */
  constructor(poolSize: number) {
    super(
      poolSize === 0
        ? "no upstream is configured"
        : `none of the ${poolSize} upstream(s) is available`,
    );
    this.name = "NoUpstreamError";
    this.poolSize = poolSize;
  }
}

/** No route matches the request (404, never a silent default pool). */
export class NoRouteError extends Error {
  constructor() {
    super("no route matches this request");
    this.name = "NoRouteError";
  }
}

/** The connection to an upstream could not be opened: the request was never sent. */
export class UpstreamConnectError extends Error {
  /** Name of the upstream. */
  readonly upstream: string;
  /**
   * @param upstream name of the upstream.
   * @param reason short reason, e.g. `"connection refused"`.
   * @param options the underlying error as `cause`.
   */
  constructor(upstream: string, reason: string, options?: ErrorOptions) {
    super(`could not connect to upstream ${upstream}: ${reason}`, options);
    this.name = "UpstreamConnectError";
    this.upstream = upstream;
  }
}

/**
 * The upstream did not send response headers within the backend timeout (`phase: "headers"`),
 * or paused longer than the idle timeout inside a response body (`phase: "idle"`).
 */
export class UpstreamTimeoutError extends Error {
  /** Name of the upstream. */
  readonly upstream: string;
  /** The timeout that elapsed, ms. */
  readonly timeoutMs: number;
  /** Which wait timed out. */
  readonly phase: "headers" | "idle";
  /**
   * @param upstream name of the upstream.
   * @param timeoutMs the timeout that elapsed, ms.
   * @param phase waiting for the response headers, or for the next body chunk.
   */
  constructor(upstream: string, timeoutMs: number, phase: "headers" | "idle" = "headers") {
    super(
      phase === "headers"
        ? `upstream ${upstream} sent no response headers within ${timeoutMs}ms`
        : `upstream ${upstream} sent nothing for ${timeoutMs}ms inside the response body`,
    );
    this.name = "UpstreamTimeoutError";
    this.upstream = upstream;
    this.timeoutMs = timeoutMs;
    this.phase = phase;
  }
}

/** The upstream failed after the connection opened (reset, malformed response). */
export class UpstreamError extends Error {
  /** Name of the upstream. */
  readonly upstream: string;
  /**
   * @param upstream name of the upstream.
   * @param reason short reason.
   * @param options the underlying error as `cause`.
   */
  constructor(upstream: string, reason: string, options?: ErrorOptions) {
    super(`upstream ${upstream} failed: ${reason}`, options);
    this.name = "UpstreamError";
    this.upstream = upstream;
  }
}

/**
 * The connection to the upstream was reset or closed after it opened and before a complete
 * response head came: no upstream answered, though it may have read the request (a crashed
 * upstream, a keep-alive connection closed as the request went out). Retried for idempotent
 * methods without charging the retry budget.
 */
export class UpstreamResetError extends UpstreamError {
  /**
   * @param upstream name of the upstream.
   * @param reason short reason, e.g. `"connection reset"`.
   * @param options the underlying error as `cause`.
   */
  constructor(upstream: string, reason: string, options?: ErrorOptions) {
    super(upstream, reason, options);
    this.name = "UpstreamResetError";
  }
}

/** Every available upstream is at its concurrency limit and no slot freed up in time. */
export class UpstreamsBusyError extends Error {
  /** The per-upstream limit. */
  readonly maxPerUpstream: number;
  /**
   * @param maxPerUpstream the per-upstream limit.
   * @param reason why the request stopped waiting.
   */
  constructor(maxPerUpstream: number, reason: string) {
    super(`every upstream is at its limit of ${maxPerUpstream} requests in flight: ${reason}`);
    this.name = "UpstreamsBusyError";
    this.maxPerUpstream = maxPerUpstream;
  }
}

/** The client closed the connection before the response was ready (logged as 499, nginx). */
export class ClientClosedError extends Error {
  constructor() {
    super("client closed the connection before the response was sent");
    this.name = "ClientClosedError";
  }
}

/**
 * The client's request body failed while it was being sent upstream (malformed chunked
 * encoding, a broken upload): the client's fault, answered with 400, never blamed on the
 * upstream nor retried.
 */
export class ClientBodyError extends Error {
  /**
   * @param reason what went wrong.
   * @param options the stream's error as `cause`.
   */
  constructor(reason: string, options?: ErrorOptions) {
    super(`the request body could not be read: ${reason}`, options);
    this.name = "ClientBodyError";
  }
}

/** Sluice is shutting down and aborted the request after the grace period. */
export class ShuttingDownError extends Error {
  constructor() {
    super("Sluice is shutting down and the grace period ended");
    this.name = "ShuttingDownError";
  }
}

/**
 * The request body is larger than the configured limit (413 Content Too Large, RFC 9110
 * §15.5.14): refused by its Content-Length before reading, or cut once a body without one grew
 * past the limit.
 */
export class ContentTooLargeError extends Error {
  /** The limit, bytes. */
  readonly limitBytes: number;
  /** The Content-Length the client declared, bytes; `undefined` for a body without one. */
  readonly contentLength: number | undefined;
  /**
   * @param limitBytes the limit, bytes.
   * @param contentLength the declared Content-Length, bytes, when there was one.
   */
  constructor(limitBytes: number, contentLength?: number) {
    super(
      contentLength === undefined
        ? `request body is larger than the limit of ${limitBytes} bytes`
        : `request body of ${contentLength} bytes is larger than the limit of ${limitBytes} bytes`,
    );
    this.name = "ContentTooLargeError";
    this.limitBytes = limitBytes;
    this.contentLength = contentLength;
  }
}

/** The request target (path and query) is longer than the limit (414 URI Too Long, RFC 9110 §15.5.15). */
export class UriTooLongError extends Error {
  /** The limit, bytes. */
  readonly limitBytes: number;
  /** Length of the request target, bytes. */
  readonly length: number;
  /**
   * @param limitBytes the limit, bytes.
   * @param length length of the request target, bytes.
   */
  constructor(limitBytes: number, length: number) {
    super(`request target of ${length} bytes is longer than the limit of ${limitBytes} bytes`);
    this.name = "UriTooLongError";
    this.limitBytes = limitBytes;
    this.length = length;
  }
}

/**
 * The request's header fields are larger than the limit in total (431 Request Header Fields Too
 * Large, RFC 6585 §5).
 */
export class HeaderFieldsTooLargeError extends Error {
  /** The limit, bytes. */
  readonly limitBytes: number;
  /** Size of the header fields, bytes (each counted as `name: value` and CRLF). */
  readonly size: number;
  /**
   * @param limitBytes the limit, bytes.
   * @param size size of the header fields, bytes.
   */
  constructor(limitBytes: number, size: number) {
    super(
      `request header fields of ${size} bytes are larger than the limit of ${limitBytes} bytes`,
    );
    this.name = "HeaderFieldsTooLargeError";
    this.limitBytes = limitBytes;
    this.size = size;
  }
}

/** The client used up its rate limit (429 Too Many Requests, RFC 6585 §4). */
export class TooManyRequestsError extends Error {
  /** Whole seconds until the client may send again (`Retry-After`), at least 1. */
  readonly retryAfterSeconds: number;
  /**
   * @param retryAfterSeconds whole seconds until a request would be accepted, at least 1.
   * @param limit the policy, for the message, e.g. `"5 requests/s per client, burst 2"`.
   */
  constructor(retryAfterSeconds: number, limit: string) {
    super(`rate limit of ${limit} exceeded; retry after ${retryAfterSeconds}s`);
    this.name = "TooManyRequestsError";
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

/**
 * The request is malformed in a way the server did not catch (400 Bad Request, RFC 9110
 * §15.5.1): a Host that is missing or not a valid `host[:port]`, an unreadable Content-Length.
 */
export class BadRequestError extends Error {
  /** @param reason what is wrong, naming the value seen. */
  constructor(reason: string) {
    super(`bad request: ${reason}`);
    this.name = "BadRequestError";
  }
}

/**
 * A method Sluice refuses to forward (405 Method Not Allowed, RFC 9110 §15.5.6): TRACE and
 * TRACK, which would echo the request, credentials included, back to whoever can make a browser
 * send it (cross-site tracing); nginx and HAProxy refuse them too.
 */
export class MethodNotAllowedError extends Error {
  /** The method refused. */
  readonly method: string;
  /** @param method the method refused. */
  constructor(method: string) {
    super(`method ${method} is not forwarded`);
    this.name = "MethodNotAllowedError";
    this.method = method;
  }
}

/**
 * Something the request needs that Sluice does not implement (501 Not Implemented, RFC 9110
 * §15.6.2): CONNECT tunnels, transfer codings other than chunked (RFC 9112 §6.1).
 */
export class NotImplementedError extends Error {
  /** @param reason what is not implemented. */
  constructor(reason: string) {
    super(`not implemented: ${reason}`);
    this.name = "NotImplementedError";
  }
}

/**
 * The client did not send its request body in time (408 Request Timeout, RFC 9110 §15.5.9):
 * the backend timeout ran out while the upstream was waiting for the client's next bytes. The
 * client's fault: never reported to passive health checks nor retried.
 */
export class RequestTimeoutError extends Error {
  /** The timeout that elapsed, ms. */
  readonly timeoutMs: number;
  /** @param timeoutMs the timeout that elapsed, ms. */
  constructor(timeoutMs: number) {
    super(`the request body was not received within ${timeoutMs}ms`);
    this.name = "RequestTimeoutError";
    this.timeoutMs = timeoutMs;
  }
}
