/**
 * The one place where failures become HTTP responses.
 *
 * @module
 */

import {
  BadRequestError,
  ClientBodyError,
  ClientClosedError,
  ContentTooLargeError,
  HeaderFieldsTooLargeError,
  MethodNotAllowedError,
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
}

/**
 * Maps a failure to its status: no upstream or all at capacity → 503, connect failure or upstream failure → 502,
 * header timeout → 504, client gone → 499, shutting down → 503; refused requests: malformed →
 * 400, TRACE → 405, body not sent in time → 408, CONNECT or an unknown transfer coding → 501;
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
  if (error instanceof NotImplementedError) return 501;
  if (error instanceof UriTooLongError) return 414;
  if (error instanceof HeaderFieldsTooLargeError) return 431;
  return 500;
}

const REASONS: Record<number, string> = {
  400: "Bad Request",
  405: "Method Not Allowed",
  408: "Request Timeout",
  413: "Content Too Large",
  414: "URI Too Long",
  429: "Too Many Requests",
  431: "Request Header Fields Too Large",
  499: "Client Closed Request",
  500: "Internal Server Error",
  501: "Not Implemented",
  502: "Bad Gateway",
  503: "Service Unavailable",
  504: "Gateway Timeout",
};

/**
 * Builds the response for a failure: a short `text/plain` body naming the status, what went
 * wrong and the request id, plus `X-Request-Id` (and `Retry-After` on 503 and 429, RFC 9110
 * §10.2.3, RFC 6585 §4).
 * Internal errors (500) do not reveal their message.
 * @param error what was thrown.
 * @param requestId the request's id.
 * @param options `Retry-After` for 503.
 * @returns a new response.
 */
export function errorResponse(
  error: unknown,
  requestId: string,
  options: ErrorResponseOptions = {},
): Response {
  const status = statusForError(error);
  const detail = status === 500
    ? "an internal error occurred"
    : error instanceof Error
    ? error.message
    : String(error);
  const headers = new Headers({
    "content-type": "text/plain; charset=utf-8",
    "cache-control": "no-store",
    "x-request-id": requestId,
  });
  if (status === 503) headers.set("retry-after", String(options.retryAfterSeconds ?? 1));
  if (error instanceof TooManyRequestsError) {
    headers.set("retry-after", String(error.retryAfterSeconds));
  }
  const body = `${status} ${REASONS[status]}: ${detail} (request id ${requestId})\n`;
  return new Response(body, { status, headers });
}
