/**
 * Turns every failure below it into an HTTP response, in one place.
 *
 * @module
 */

import { getLogger } from "@logtape/logtape";
import { errorResponse, type ErrorResponseOptions, statusForError } from "../proxy/mod.ts";
import type { Handler, Middleware, RequestContext } from "./context.ts";

const logger = getLogger(["sluice", "proxy"]);

/**
 * Middleware that catches what the handler throws and answers with `errorResponse` (503 no
 * upstream, 502 connect or upstream failure, 504 timeout, 499 client gone, 500 bug). Unexpected
 * errors (500) are logged with their stack at error level.
 * @param options `Retry-After` for 503 responses, verbose gateway errors.
 * @returns the middleware.
 */
export function recover(options: ErrorResponseOptions = {}): Middleware {
  return async function recoverMiddleware(ctx: RequestContext, next: Handler) {
    try {
      return await next(ctx);
    } catch (error) {
      if (statusForError(error) === 500) {
        logger.error("Unexpected error while handling {method} {url}: {error}", {
          requestId: ctx.requestId,
          method: ctx.request.method,
          url: ctx.request.url,
          error,
        });
      }
      return errorResponse(error, ctx.requestId, options);
    }
  };
}
