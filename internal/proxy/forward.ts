/**
 * Sends one client request to one upstream and streams the answer back.
 *
 * @module
 */

import type { RequestContext, ResponseOutcome } from "../middleware/context.ts";
import type { Upstream } from "../pool/mod.ts";
import {
  ClientClosedError,
  ShuttingDownError,
  UpstreamConnectError,
  UpstreamError,
  UpstreamTimeoutError,
} from "./errors.ts";
import { clientResponseHeaders, upstreamRequestHeaders } from "./headers.ts";
import { trackBody } from "./track_body.ts";
import {
  describeTransportError,
  isConnectFailure,
  type Transport,
  type UpstreamRequest,
} from "./transport.ts";

/** Options of {@linkcode forward}. */
export interface ForwardOptions {
  /** Sends the request. */
  transport: Transport;
  /** Longest wait for the upstream's response headers, ms; the body is not bounded. */
  timeoutMs: number;
  /** Keep the client's `Host` header. */
  preserveHost: boolean;
  /** Aborted when shutdown's grace period ends: cuts the request wherever it is. */
  shutdownSignal: AbortSignal;
}

/**
 * Returns the path and query of an absolute URL string as received, without re-encoding
 * (`"http://h:1/a%2Fb?x=1"` → `"/a%2Fb?x=1"`).
 * @param url an absolute URL such as `Request.url`.
 * @returns the request target in origin form, at least `"/"`.
 */
export function pathAndQuery(url: string): string {
  const schemeEnd = url.indexOf("://");
  const slash = url.indexOf("/", schemeEnd < 0 ? 0 : schemeEnd + 3);
  if (slash < 0) {
    const query = url.indexOf("?", schemeEnd + 3);
    return query < 0 ? "/" : "/" + url.slice(query);
  }
  return url.slice(slash);
}

/**
 * One attempt: rewrites headers (RFC 9110 §7.6.1 hop-by-hop, X-Forwarded-*), sends method,
 * path, query and the body stream to `upstream`, and resolves with the upstream's response as
 * soon as its headers arrive, its body streaming through. `upstream.inFlight` counts the request
 * until the body has been sent to the client or abandoned.
 * @param ctx the request's context; `ctx.responseDone` is set when a body streams.
 * @param upstream where to send it.
 * @param body the body for this attempt: a stream, whole bytes, or `null`.
 * @param options transport, header timeout, Host policy and the shutdown signal.
 * @returns the response for the client.
 * @throws {UpstreamConnectError} the connection did not open (the request was not sent).
 * @throws {UpstreamTimeoutError} no response headers within `options.timeoutMs`.
 * @throws {ClientClosedError} the client left before the response headers came.
 * @throws {ShuttingDownError} the shutdown grace period ended.
 * @throws {UpstreamError} any other failure before the response headers.
 */
export async function forward(
  ctx: RequestContext,
  upstream: Upstream,
  body: UpstreamRequest["body"],
  options: ForwardOptions,
): Promise<Response> {
  const request = ctx.request;
  const headerTimeout = new AbortController();
  const timer = setTimeout(
    () => headerTimeout.abort(new UpstreamTimeoutError(upstream.name, options.timeoutMs)),
    options.timeoutMs,
  );
  const signal = AbortSignal.any([request.signal, headerTimeout.signal, options.shutdownSignal]);
  upstream.inFlight++;
  upstream.requestsTotal++;
  let response: Response;
  try {
    response = await options.transport.send({
      url: upstream.url + pathAndQuery(request.url),
      method: request.method,
      headers: upstreamRequestHeaders(request.headers, {
        clientAddress: ctx.clientAddress,
        protocol: ctx.protocol,
        requestId: ctx.requestId,
        preserveHost: options.preserveHost,
      }),
      body,
      signal,
    });
  } catch (error) {
    upstream.inFlight--;
    upstream.failuresTotal++;
    throw classify(error, upstream, signal, request.signal, options.shutdownSignal);
  } finally {
    clearTimeout(timer);
  }

  const headers = clientResponseHeaders(response.headers, ctx.requestId);
  const init = { status: response.status, statusText: response.statusText, headers };
  if (response.body === null) {
    upstream.inFlight--;
    return new Response(null, init);
  }
  const { promise, resolve } = Promise.withResolvers<ResponseOutcome>();
  ctx.responseDone = promise;
  const tracked = trackBody(response.body, (outcome) => {
    upstream.inFlight--;
    if (outcome.error !== undefined && !outcome.clientAborted) upstream.failuresTotal++;
    resolve(outcome);
  });
  return new Response(tracked, init);
}

function classify(
  error: unknown,
  upstream: Upstream,
  signal: AbortSignal,
  clientSignal: AbortSignal,
  shutdownSignal: AbortSignal,
): Error {
  if (signal.aborted) {
    if (clientSignal.aborted) return new ClientClosedError();
    if (shutdownSignal.aborted) return new ShuttingDownError();
    if (signal.reason instanceof UpstreamTimeoutError) return signal.reason;
  }
  const reason = describeTransportError(error);
  if (isConnectFailure(error)) {
    return new UpstreamConnectError(upstream.name, reason, { cause: error });
  }
  return new UpstreamError(upstream.name, reason, { cause: error });
}
