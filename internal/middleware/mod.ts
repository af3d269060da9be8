/**
 * The middleware chain: `(ctx, next)` onion composed once, and the built-in middleware
 * (request id, client IP behind trusted proxies, access log, recover, client limits: request
 * target and header size, rate limit, body size; sticky sessions).
 *
 * @module
 */
export {
  accessLog,
  type AccessLogEntry,
  type AccessLogOptions,
  type AccessLogWriter,
  type LineBatch,
} from "./access_log.ts";
export {
  type AccessLogFields,
  accessLogLine,
  accessLogLineBound,
  encodeAccessLogLine,
} from "./access_log_line.ts";
export { bodyLimit, type BodyLimitOptions, limitBody, type LimitedBody } from "./body_limit.ts";
export { clientIp, type ClientIpOptions, resolveClientIp } from "./client_ip.ts";
export { compose } from "./compose.ts";
export {
  compress,
  type CompressionAlgorithm,
  type CompressOptions,
  negotiateEncoding,
} from "./compress.ts";
export {
  contextOf,
  createContext,
  type CreateContextOptions,
  type Handler,
  type Middleware,
  type RequestContext,
  type ResponseOutcome,
} from "./context.ts";
export { metrics, type MetricsOptions } from "./metrics.ts";
export { rateLimit, RateLimiter, type RateLimiterOptions } from "./rate_limit.ts";
export { recover } from "./recover.ts";
export { FORWARDED_METHODS, requestChecks } from "./request_checks.ts";
export { requestField } from "./request_field.ts";
export { isValidHost, type RequestAddress, splitRequestUrl } from "./request_target.ts";
export {
  headerBytes,
  requestLimits,
  type RequestLimitsOptions,
  requestTargetLength,
} from "./request_limits.ts";
export { isoTime } from "./iso_time.ts";
export { isSaneRequestId, requestId } from "./request_id.ts";
export { sticky, type StickyOptions, StickySigner } from "./sticky.ts";
export { timingSafeEqual } from "./timing_safe_equal.ts";
export { decideTrace, parseTraceparent, type TraceContext, traceContext } from "./trace_context.ts";
