/**
 * Requests Sluice refuses itself, before any limit, balancing or upstream: what no upstream
 * should see and no upstream must be blamed for.
 *
 * @module
 */

import {
  BadRequestError,
  MethodNotAllowedError,
  NotImplementedError,
  parseContentLength,
} from "../proxy/mod.ts";
import type { Handler, Middleware, RequestContext } from "./context.ts";
import { requestField } from "./request_field.ts";
import { isValidHost } from "./request_target.ts";

/** Methods answered for `OPTIONS *` in `Allow`: those Sluice forwards (any other token is too). */
export const FORWARDED_METHODS = "GET, HEAD, POST, PUT, DELETE, PATCH, OPTIONS";

/**
 * Middleware that refuses, with the status a client can act on (it throws the error, which
 * `recover()` answers: place it inside `recover()`, first of the client checks):
 *
 * - no Host (and no absolute-form or HTTP/2 authority) → 400, as nginx (RFC 9112 §3.2: an
 *   HTTP/1.1 request without Host is invalid). `Deno.serve` does not say which HTTP version a
 *   request used, so an HTTP/1.0 request without Host is refused too;
 * - a Host that is not `host[:port]` (see {@linkcode isValidHost}) → 400 (RFC 9110 §7.2);
 * - TRACE and TRACK (any case) → 405: they would echo credentials back (cross-site tracing);
 *   nginx and HAProxy refuse TRACE too;
 * - CONNECT → 501: Sluice opens no tunnels (RFC 9110 §9.3.6);
 * - a Transfer-Encoding other than `chunked` → 501 (RFC 9112 §6.1): a coding Sluice would drop
 *   while passing the body on;
 * - a Content-Length that is not one number (RFC 9112 §6.3; repeated identical values are one)
 *   → 400.
 *
 * `OPTIONS *` (a question about the server, not a resource: RFC 9110 §9.3.7) is answered here
 * with `200` and `Allow`: Sluice is the server the client talks to, the upstreams behind it may
 * differ, and a transport such as fetch cannot send the asterisk form at all.
 *
 * @returns the middleware.
 */
export function requestChecks(): Middleware {
  return function requestChecksMiddleware(ctx: RequestContext, next: Handler) {
    const request = ctx.request;
    const method = request.method;
    if (method.length === 5 || method.length === 7) {
      const upper = method.toUpperCase();
      if (upper === "TRACE" || upper === "TRACK") {
        return Promise.reject(new MethodNotAllowedError(method));
      }
      if (upper === "CONNECT") {
        return Promise.reject(new NotImplementedError("CONNECT tunnels are not supported"));
      }
    }
    const authority = ctx.authority;
    if (authority === "") return Promise.reject(new BadRequestError("the Host header is missing"));
    if (!isValidHost(authority)) {
      return Promise.reject(
        new BadRequestError(
          `the Host header is not a valid host[:port]: ${JSON.stringify(authority)}`,
        ),
      );
    }
    const coding = requestField(ctx, "transfer-encoding");
    if (coding !== null && coding.trim().toLowerCase() !== "chunked") {
      return Promise.reject(
        new NotImplementedError(`transfer coding ${JSON.stringify(coding)} (only chunked)`),
      );
    }
    try {
      parseContentLength(requestField(ctx, "content-length"));
    } catch (error) {
      return Promise.reject(error);
    }
    if (ctx.target === "*") {
      if (method !== "OPTIONS") {
        return Promise.reject(new BadRequestError(`the target "*" is only valid for OPTIONS`));
      }
      return Promise.resolve(asteriskOptions(ctx.requestId));
    }
    return next(ctx);
  };
}

function asteriskOptions(requestId: string): Response {
  return new Response(null, {
    status: 200,
    headers: { allow: FORWARDED_METHODS, "content-length": "0", "x-request-id": requestId },
  });
}
