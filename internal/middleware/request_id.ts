/**
 * Request ids (X-Request-Id): kept from the client when sane, generated otherwise.
 *
 * @module
 */

import type { Handler, Middleware, RequestContext } from "./context.ts";
import { requestField } from "./request_field.ts";
import { setResponseField } from "../proxy/field_response.ts";

const SANE_REQUEST_ID = /^[A-Za-z0-9._:+\/=-]{1,128}$/;

/**
 * Whether a client-supplied request id may be reused: 1–128 characters from
 * `A-Z a-z 0-9 . _ : + / = -` (covers UUIDs, ULIDs, W3C trace ids, base64), so it is safe in
 * logs and headers.
 * @param value the header value.
 * @returns true when it can be kept.
 */
export function isSaneRequestId(value: string): boolean {
  return SANE_REQUEST_ID.test(value);
}

/**
 * Middleware that sets `ctx.requestId` from the client's `X-Request-Id` when sane, else a new
 * UUID v4, and returns it on the response as `X-Request-Id`. The proxy sends it upstream.
 * @returns the middleware.
 */
export function requestId(): Middleware {
  return async function requestIdMiddleware(ctx: RequestContext, next: Handler) {
    const incoming = requestField(ctx, "x-request-id");
    ctx.requestId = incoming !== null && isSaneRequestId(incoming) ? incoming : crypto.randomUUID();
    const response = await next(ctx);
    // In a transport's field list when the response has one (no Headers made).
    setResponseField(response, "x-request-id", ctx.requestId);
    return response;
  };
}
