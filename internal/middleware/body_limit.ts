/**
 * The request body size limit (413 Content Too Large, RFC 9110 §15.5.14).
 *
 * @module
 */

import { ClientClosedError, ContentTooLargeError, parseContentLength } from "../proxy/mod.ts";
import type { Handler, Middleware, RequestContext } from "./context.ts";
import { requestField } from "./request_field.ts";

/** Options of {@linkcode bodyLimit}. */
export interface BodyLimitOptions {
  /** Largest request body accepted, bytes; 0 accepts any size. */
  maxBytes: number;
}

/**
 * Middleware that refuses request bodies larger than `maxBytes` with 413 (it throws
 * {@linkcode ContentTooLargeError}, which `recover()` answers; place it inside `recover()`).
 *
 * - A Content-Length over the limit is refused before a byte of the body is read and before an
 *   upstream is chosen: the client's `Expect: 100-continue` gets the 413 instead of a 100. A
 *   field repeated with the same value counts once (RFC 9112 §6.3); one that is not a number
 *   is refused with `BadRequestError` (400).
 *   A body with a Content-Length at or under the limit is let through untouched: the server
 *   (hyper) never delivers more bytes than it declares, over HTTP/1.1 and HTTP/2 alike.
 * - A body without Content-Length (chunked) streams to the upstream through
 *   {@linkcode limitBody}, set as `ctx.body`: once it grows past the limit the stream errors, so
 *   the upstream request is aborted (the upstream never sees a complete body) and the client's
 *   remaining body is not read. When no response has reached the client yet, whatever the
 *   handler threw or returned then is replaced by the 413; the upstream's response, if one
 *   came, is cancelled. If the upstream answered before the body grew too large, that answer
 *   stands and the upload is cut.
 *
 * @param options the limit.
 * @returns the middleware.
 * @throws {RangeError} when `maxBytes` is not a whole number >= 0.
 */
export function bodyLimit(options: BodyLimitOptions): Middleware {
  const maxBytes = options.maxBytes;
  if (!Number.isSafeInteger(maxBytes) || maxBytes < 0) {
    throw new RangeError(
      `maxBytes must be a whole number of bytes >= 0: current value is ${maxBytes}`,
    );
  }
  if (maxBytes === 0) {
    return function bodyLimitOff(ctx: RequestContext, next: Handler) {
      return next(ctx);
    };
  }
  return function bodyLimitMiddleware(ctx: RequestContext, next: Handler) {
    const request = ctx.request;
    let declared: number | null;
    try {
      // Repeated identical fields ("5242880, 5242880") are one value (RFC 9112 §6.3).
      declared = parseContentLength(requestField(ctx, "content-length"));
    } catch (error) {
      return Promise.reject(error);
    }
    if (declared !== null) {
      if (declared > maxBytes) return Promise.reject(new ContentTooLargeError(maxBytes, declared));
      return next(ctx);
    }
    const source = request.body;
    return source === null ? next(ctx) : nextWithLimitedBody(ctx, next, source, maxBytes);
  };
}

/** The chunked case of {@linkcode bodyLimit}, apart so that the others need no async frame. */
async function nextWithLimitedBody(
  ctx: RequestContext,
  next: Handler,
  source: ReadableStream<Uint8Array>,
  maxBytes: number,
): Promise<Response> {
  const limited = limitBody(source, maxBytes);
  ctx.body = limited.stream;
  let response: Response;
  try {
    response = await next(ctx);
  } catch (error) {
    // The stream's error reached fetch, which rejected with its own TypeError, which forward()
    // reported as an upstream failure: the client's body is what failed.
    if (limited.error !== undefined && !(error instanceof ClientClosedError)) throw limited.error;
    throw error;
  }
  if (limited.error !== undefined) {
    // Answered after seeing a cut body (or without reading all of it): not the client's answer.
    response.body?.cancel(limited.error).catch(() => {});
    ctx.responseDone = undefined;
    throw limited.error;
  }
  return response;
}

/** A body stream under a size limit, and whether it went over. */
export interface LimitedBody {
  /** The body, erroring with {@linkcode ContentTooLargeError} past the limit. */
  readonly stream: ReadableStream<Uint8Array>;
  /** The error the stream failed with once it went over the limit; `undefined` until then. */
  readonly error: ContentTooLargeError | undefined;
}

/**
 * Passes a body through while it stays within `maxBytes`. The chunk that would take it past
 * the limit is not passed on: the stream errors with {@linkcode ContentTooLargeError} instead and
 * stops reading `source` (cancels it), so a reader never gets more than `maxBytes`, nor an end
 * that would make a cut body look complete. Reads only when its reader asks (no read-ahead), and
 * locks `source` only then.
 * @param source the client's body.
 * @param maxBytes the limit, bytes.
 * @returns the limited stream and its state.
 */
export function limitBody(source: ReadableStream<Uint8Array>, maxBytes: number): LimitedBody {
  // Locked on the first read, not before: a handler that reads `request.body` instead finds
  // it unlocked.
  let reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
  let bytes = 0;
  const state: { stream: ReadableStream<Uint8Array>; error: ContentTooLargeError | undefined } = {
    stream: new ReadableStream<Uint8Array>({
      async pull(controller) {
        reader ??= source.getReader();
        const { done, value } = await reader.read();
        if (done) {
          controller.close();
          return;
        }
        bytes += value.byteLength;
        if (bytes > maxBytes) {
          const error = new ContentTooLargeError(maxBytes);
          state.error = error;
          controller.error(error);
          await reader.cancel(error).catch(() => {});
          return;
        }
        controller.enqueue(value);
      },
      cancel(reason) {
        return reader === undefined ? source.cancel(reason) : reader.cancel(reason);
      },
    }, { highWaterMark: 0 }),
    error: undefined,
  };
  return state;
}
