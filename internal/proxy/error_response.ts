/**
 * The one place where failures become HTTP responses.
 *
 * @module
 */

import { STATUS_TEXT } from "./status_text.ts";
import {
  BadRequestError,
  ClientBodyError,
  ClientClosedError,
  ContentTooLargeError,
  HeaderFieldsTooLargeError,
  MethodNotAllowedError,
  NoRouteError,
  NotImplementedError,
  NoUpstreamError,
  RequestTimeoutError,
  ShuttingDownError,
  TooManyRequestsError,
  UpstreamConnectError,
  UpstreamError,
  UpstreamsBusyError,
  UpstreamTimeoutError,
  UriTooLongError,
} from "./errors.ts";

/** Status 499 (nginx): the client closed the connection; nothing reaches it, only the log. */
export const STATUS_CLIENT_CLOSED = 499;

/** Options of {@linkcode errorResponse}. */
export interface ErrorResponseOptions {
  /** `Retry-After` of a 503, seconds. @default 1 */
  retryAfterSeconds?: number;
  /**
   * Put the failure's details ({@linkcode errorDetail}) in 502/503/504 bodies too
   * (`proxy.verbose_errors`). @default false
   */
  verbose?: boolean;
}

/**
 * What a 502/503/504 body says without `verbose`: the same words whatever failed, so a client
 * learns nothing of the upstreams' addresses, Sluice's own ports or the transport's messages
 * (nginx and HAProxy answer with a fixed page too). The details go to the log.
 */
const GATEWAY_TEXT: Record<number, string> = {
  502: "the upstream server failed to answer",
  503: "no upstream server is available",
  504: "the upstream server did not answer in time",
};

/** The fixed sentence of a gateway error: a few 503s say which kind, in the same few words. */
function gatewayText(error: unknown, status: number): string | undefined {
  if (error instanceof UpstreamsBusyError) return "every upstream server is busy";
  if (error instanceof ShuttingDownError) return "the server is shutting down";
  return GATEWAY_TEXT[status];
}

/**
 * The full story of a failure for the log (and verbose error bodies): its message, then the
 * innermost message of its `cause` chain when that says more (the transport's own text, e.g.
 * hyper's `tcp connect error: Connection refused (os error 111)`), first line only, at most
 * 300 characters.
 * @param error what was thrown.
 * @returns one line.
 */
export function errorDetail(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  let cause: unknown = error instanceof Error ? error.cause : undefined;
  let innermost: string | undefined;
  for (let depth = 0; depth < 4 && cause !== undefined; depth++) {
    innermost = cause instanceof Error ? cause.message : String(cause);
    cause = cause instanceof Error ? cause.cause : undefined;
  }
  const line = innermost?.split("\n", 1)[0];
  const detail = line === undefined || line === "" || message.includes(line)
    ? message
    : `${message} (${line})`;
  return detail.length > 300 ? detail.slice(0, 300) + "…" : detail;
}

/**
 * Maps a failure to its status: no upstream or all at capacity → 503, connect failure or upstream failure → 502,
 * header timeout → 504, client gone → 499, shutting down → 503; refused requests: malformed →
 * 400, no route → 404, TRACE → 405, body not sent in time → 408, CONNECT or an unknown transfer coding → 501;
 * client limits: body too large → 413, request target too long → 414, rate limited → 429, header fields too large → 431;
 * anything else (a bug) → 500.
 * @param error what was thrown.
 * @returns the HTTP status code.
 */
export function statusForError(error: unknown): number {
  if (
    error instanceof NoUpstreamError || error instanceof ShuttingDownError ||
    error instanceof UpstreamsBusyError
  ) return 503;
  if (error instanceof UpstreamConnectError || error instanceof UpstreamError) return 502;
  if (error instanceof UpstreamTimeoutError) return 504;
  if (error instanceof ClientClosedError) return STATUS_CLIENT_CLOSED;
  if (error instanceof TooManyRequestsError) return 429;
  if (error instanceof ContentTooLargeError) return 413;
  if (error instanceof ClientBodyError || error instanceof BadRequestError) return 400;
  if (error instanceof MethodNotAllowedError) return 405;
  if (error instanceof RequestTimeoutError) return 408;
  if (error instanceof NoRouteError) return 404;
  if (error instanceof NotImplementedError) return 501;
  if (error instanceof UriTooLongError) return 414;
  if (error instanceof HeaderFieldsTooLargeError) return 431;
  return 500;
}

/**
 * Builds the response for a failure: a short `text/plain` body naming the status, what went
 * wrong and the request id, plus `X-Request-Id` (and `Retry-After` on 503 and 429, RFC 9110
 * §10.2.3, RFC 6585 §4). Client errors (400, 413, 414, 429, 431) say what was wrong with the
 * request; gateway errors (502, 503, 504) say only a fixed sentence unless `options.verbose`;
 * internal errors (500) never reveal their message.
 * @param error what was thrown.
 * @param requestId the request's id.
 * @param options `Retry-After` for 503, verbose gateway errors.
 * @returns a new response.
 */
export function errorResponse(
  error: unknown,
  requestId: string,
  options: ErrorResponseOptions = {},
): Response {
  const status = statusForError(error);
  const gateway = gatewayText(error, status);
  const detail = status === 500
    ? "an internal error occurred"
    : gateway === undefined
    ? (error instanceof Error ? error.message : String(error))
    : options.verbose
    ? errorDetail(error)
    : gateway;
  const headers = new Headers({
    "content-type": "text/plain; charset=utf-8",
    "cache-control": "no-store",
    "x-request-id": requestId,
  });
  if (status === 503) headers.set("retry-after", String(options.retryAfterSeconds ?? 1));
  if (error instanceof TooManyRequestsError) {
    headers.set("retry-after", String(error.retryAfterSeconds));
  }
  const body = `${status} ${STATUS_TEXT[status]}: ${detail} (request id ${requestId})\n`;
  return new Response(body, { status, headers });
}
