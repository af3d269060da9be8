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

/** Sluice is shutting down and aborted the request after the grace period. */
export class ShuttingDownError extends Error {
  constructor() {
    super("Sluice is shutting down and the grace period ended");
    this.name = "ShuttingDownError";
  }
}
