/**
 * Records every request in the Prometheus metrics and the traffic totals once its response has
 * finished.
 *
 * @module
 */

import type { SluiceMetrics, Traffic } from "../metrics/mod.ts";
import { STATUS_CLIENT_CLOSED, statusForError } from "../proxy/mod.ts";
import {
  type Handler,
  type Middleware,
  type RequestContext,
  requestDurationMs,
  type ResponseOutcome,
} from "./context.ts";

/** Options of {@linkcode metrics}. */
export interface MetricsOptions {
  /** The Prometheus metrics to record in (`createMetrics()`). */
  metrics: SluiceMetrics;
  /** The whole-proxy totals to count in. */
  traffic: Traffic;
}

/**
 * Middleware that counts each request: `traffic.begin()` when it arrives, then, once the
 * response body has been sent or abandoned (`ctx.responseDone`, or at once for responses that
 * do not stream, such as error pages), `traffic.end()` and `metrics.recordRequest()` with the
 * duration from arrival, the status (499 when the client left first) and the body bytes sent.
 *
 * Place it outside `recover()` so Sluice's own 502/503/504 are counted as sent; should the
 * handler throw anyway, the request is recorded with the status `errorResponse` would give it
 * and the error is rethrown. Recording costs 0.3–0.4 µs per request (`bench/metrics_bench.ts`).
 * @param options where to record.
 * @returns the middleware.
 */
export function metrics(options: MetricsOptions): Middleware {
  const sink = options.metrics;
  const traffic = options.traffic;
  const finish = (ctx: RequestContext, status: number, bytesSent: number): void => {
    const durationMs = requestDurationMs(ctx);
    traffic.end(status, durationMs, ctx.attempts);
    sink.recordRequest(ctx, status, durationMs, bytesSent);
  };
  return async function metricsMiddleware(ctx: RequestContext, next: Handler) {
    traffic.begin();
    let response: Response;
    try {
      response = await next(ctx);
    } catch (error) {
      finish(ctx, statusForError(error), 0);
      throw error;
    }
    const done = ctx.responseDone;
    const status = response.status;
    if (done === undefined) {
      finish(ctx, status, bodyLength(ctx, response));
    } else {
      done.then(
        (outcome: ResponseOutcome) =>
          finish(ctx, outcome.clientAborted ? STATUS_CLIENT_CLOSED : status, outcome.bytes),
        () => finish(ctx, STATUS_CLIENT_CLOSED, 0),
      );
    }
    return response;
  };
}

/**
 * Body bytes of a response that does not stream through the proxy: its Content-Length. Reading
 * `response.body` would turn a string body into a stream and slow down sending it.
 */
function bodyLength(ctx: RequestContext, response: Response): number {
  if (ctx.request.method === "HEAD") return 0;
  const length = response.headers.get("content-length");
  if (length === null) return 0;
  const bytes = Number(length);
  return bytes > 0 && bytes <= Number.MAX_SAFE_INTEGER ? bytes : 0;
}
