/**
 * IP addresses and CIDR blocks: parsing and matching without regexes or allocation per lookup,
 * for trusted proxies (X-Forwarded-For) and anything else that asks "is this client inside
 * that network"; and opening connections to upstreams (TCP or TLS with the operator's CA,
 * SNI name and client certificate).
 *
 * @module
 */
export { type Cidr, CidrSet, formatCidr, parseCidr } from "./cidr.ts";
export { type FieldLines, fieldValue } from "./header_fields.ts";
export { formatIp, type IpFamily, parseIp, readIp } from "./ip.ts";
export { ConnectFailedError, UpstreamClosedError } from "./upstream_errors.ts";
export { MAX_FREE_WRITE_BUFFERS, WRITE_BUFFER_BYTES, WriteBuffers } from "./write_buffers.ts";
export {
  connectUpstream,
  type UpstreamAddress,
  type UpstreamTlsOptions,
} from "./upstream_connect.ts";
