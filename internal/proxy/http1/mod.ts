/**
 * The HTTP/1.1 transport: connection pool, request serialiser, response head parser, body
 * framing readers.
 *
 * @module
 */
export { ConnectionPool, type ConnectionPoolOptions } from "./connection_pool.ts";
export { ConnectFailedError, UpstreamClosedError } from "../../net/mod.ts";
export { MalformedResponseError } from "./errors.ts";
export {
  type ConnectTarget,
  Http1Transport,
  type Http1TransportOptions,
} from "./http1_transport.ts";
export { MAX_HEAD_BYTES, parseResponseHead, type ResponseHead } from "./response_head.ts";
export { encodeLatin1Into } from "./request_head.ts";
