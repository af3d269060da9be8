/**
 * The request path's handler: the middleware chain in its order, around the router.
 *
 * @module
 */

import type { Config } from "../config/types.ts";
import type { SluiceMetrics, Traffic } from "../metrics/mod.ts";
import {
  accessLog,
  type AccessLogWriter,
  bodyLimit,
  clientIp,
  compose,
  compress,
  type Handler,
  metrics as metricsMiddleware,
  rateLimit,
  type RateLimiter,
  recover,
  requestChecks,
  requestId,
  requestLimits,
  traceContext,
} from "../middleware/mod.ts";
import { createRouter, type RoutingTable } from "../router/mod.ts";

/** What {@linkcode requestChain} records in and reads from, besides the configuration. */
export interface RequestChainOptions {
  /** The Prometheus metrics requests are recorded in. */
  metrics: SluiceMetrics;
  /** The whole-proxy totals requests are counted in. */
  traffic: Traffic;
  /** Where the access log writes its JSON lines itself, asked per entry (see `accessLog`). */
  accessLogLines?: (() => AccessLogWriter | undefined) | undefined;
  /** The per-client rate limiter; required when `limits.rateLimitRps` is not 0. */
  rateLimiter?: RateLimiter | undefined;
  /** The routing table in force, read once per request (a reload swaps it whole). */
  routing: () => RoutingTable;
}

/**
 * Composes the request path, once per configuration: request id, trace context, client IP
 * (behind trusted proxies), metrics, access log, recover, the client checks and limits, body
 * limit, compression, then the router.
 * @param config the configuration: trusted proxies, limits, compression, error responses.
 * @param options metrics, access log lines, rate limiter and routing table.
 * @returns the handler for every client request.
 * @throws {TypeError} when a rate limit is configured without `options.rateLimiter`.
 */
export function requestChain(config: Config, options: RequestChainOptions): Handler {
  const { trustedProxies, limits } = config;
  if (limits.rateLimitRps !== 0 && options.rateLimiter === undefined) {
    throw new TypeError("limits.rate_limit_rps is set but no rate limiter was given");
  }
  return compose(
    [
      requestId(),
      traceContext(),
      ...(trustedProxies.length > 0 ? [clientIp({ trustedProxies })] : []),
      metricsMiddleware({ metrics: options.metrics, traffic: options.traffic }),
      accessLog(options.accessLogLines ? { lines: options.accessLogLines } : {}),
      recover({
        retryAfterSeconds: Math.max(1, Math.ceil(config.health.intervalMs / 1000)),
        verbose: config.proxy.verboseErrors,
      }),
      // Client limits: inside recover(), which answers their errors, and inside metrics and
      // the access log, which record the refusals; after clientIp(), whose address the rate
      // limit keys on; cheapest first, all before a body is read or an upstream chosen.
      requestChecks(),
      requestLimits({ maxUrlBytes: limits.maxUrlBytes, maxHeaderBytes: limits.maxHeaderBytes }),
      ...(limits.rateLimitRps === 0 ? [] : [rateLimit(options.rateLimiter!)]),
      ...(limits.maxBodyBytes === 0 ? [] : [bodyLimit({ maxBytes: limits.maxBodyBytes })]),
      // Innermost: upstream and route answers are compressed; Sluice's own errors are not.
      ...(config.compression.enabled
        ? [compress({
          types: config.compression.types,
          minSizeBytes: config.compression.minSizeBytes,
          algorithms: config.compression.algorithms,
        })]
        : []),
    ],
    // The routing table is read once per request: a reload swaps it whole.
    createRouter(options.routing),
  );
}
