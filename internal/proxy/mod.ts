/**
 * The streaming reverse proxy: director (select + retry), one-attempt forwarding, header
 * rewriting, transports, and the mapping of failures to HTTP responses.
 *
 * @module
 */
export { ConnectionLimiter, type ConnectionLimiterOptions } from "./connection_limiter.ts";
export { type AttemptOutcome, createDirector, type DirectorOptions } from "./director.ts";
export {
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
  UpstreamResetError,
  UpstreamsBusyError,
  UpstreamTimeoutError,
  UriTooLongError,
} from "./errors.ts";
export {
  errorDetail,
  errorResponse,
  type ErrorResponseOptions,
  STATUS_CLIENT_CLOSED,
  statusForError,
} from "./error_response.ts";
export { forward, type ForwardOptions, pathAndQuery } from "./forward.ts";
export {
  type ForwardingInfo,
  type HeaderList,
  HOP_BY_HOP_HEADERS,
  rewriteResponseHeaders,
  stripHopByHop,
  stripHopByHopFields,
  upstreamRequestHeaders,
  withoutHopByHop,
} from "./headers.ts";
export {
  type AttemptFailure,
  chargesRetryBudget,
  IDEMPOTENT_METHODS,
  RETRYABLE_STATUSES,
  RetryBudget,
  type RetryBudgetOptions,
  type RetryOptions,
  shouldRetry,
} from "./retry.ts";
export {
  ConnectFailedError,
  encodeLatin1Into,
  Http1Transport,
  type Http1TransportOptions,
  MalformedResponseError,
  UpstreamClosedError,
} from "./http1/mod.ts";
export {
  BODILESS_RESPONSES,
  BYTE_BODIES,
  FetchTransport,
  type FetchTransportOptions,
  type Transport,
  type UpstreamRequest,
  type UpstreamUpgrade,
} from "./transport.ts";
export { parseContentLength } from "./content_length.ts";
export { DelegatedBody } from "./delegated_body.ts";
export {
  FieldResponse,
  realResponse,
  responseFieldList,
  setResponseField,
} from "./field_response.ts";
export { followToEnd, onFollow } from "./follow_body.ts";
export { STATUS_TEXT } from "./status_text.ts";
export { applyHeaderRules } from "./header_rules.ts";
export {
  createUpgradeHandler,
  isUpgradeRequest,
  takeTunnel,
  type TunnelEnd,
  type UpgradeHandlerOptions,
} from "./upgrade.ts";
