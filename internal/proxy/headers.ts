/**
 * Header rewriting between client and upstream: hop-by-hop removal and forwarding headers.
 *
 * @module
 */

/**
 * Hop-by-hop headers (RFC 9110 §7.6.1, plus the non-standard `Keep-Alive` and
 * `Proxy-Connection` that RFC 9110 says to remove too). They describe one connection and are
 * never forwarded, in either direction.
 */
export const HOP_BY_HOP_HEADERS: ReadonlySet<string> = new Set([
  "connection",
  "keep-alive",
  "proxy-connection",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
]);

/**
 * Removes hop-by-hop headers in place: the fixed set and every header named in `Connection`
 * (RFC 9110 §7.6.1).
 * @param headers headers to edit.
 */
export function stripHopByHop(headers: Headers): void {
  const connection = headers.get("connection");
  if (connection !== null) {
    for (const token of connection.split(",")) {
      const name = token.trim().toLowerCase();
      if (name !== "") headers.delete(name);
    }
  }
  for (const name of HOP_BY_HOP_HEADERS) headers.delete(name);
}

/** What {@linkcode upstreamRequestHeaders} needs besides the client's headers. */
export interface ForwardingInfo {
  /** Client IP address, appended to X-Forwarded-For. */
  clientAddress: string;
  /** How the client reached Sluice, for X-Forwarded-Proto. */
  protocol: "http" | "https";
  /** Request id sent as X-Request-Id. */
  requestId: string;
  /** Keep the client's `Host` (true) or let the transport send the upstream's (false). */
  preserveHost: boolean;
}

/**
 * Builds the headers sent upstream from the client's:
 * - hop-by-hop headers removed (RFC 9110 §7.6.1);
 * - `X-Forwarded-For` gets the client address appended (nginx `$proxy_add_x_forwarded_for`),
 *   `X-Forwarded-Proto` and `X-Forwarded-Host` are set (replacing what the client sent);
 * - `X-Request-Id` set to the request's id;
 * - `Host` kept or removed (the transport then sends the upstream's);
 * - `Accept-Encoding: identity`, because fetch transparently decompresses any other response
 *   while keeping its `Content-Encoding` header, which would corrupt the body for the client.
 * @param incoming the client's headers (not modified).
 * @param info client address, protocol, request id and Host policy.
 * @returns a new `Headers`.
 */
export function upstreamRequestHeaders(incoming: Headers, info: ForwardingInfo): Headers {
  const headers = new Headers(incoming);
  stripHopByHop(headers);
  const host = incoming.get("host");
  const forwardedFor = headers.get("x-forwarded-for");
  headers.set(
    "x-forwarded-for",
    forwardedFor ? `${forwardedFor}, ${info.clientAddress}` : info.clientAddress,
  );
  headers.set("x-forwarded-proto", info.protocol);
  if (host !== null) headers.set("x-forwarded-host", host);
  else headers.delete("x-forwarded-host");
  headers.set("x-request-id", info.requestId);
  if (!info.preserveHost) headers.delete("host");
  headers.set("accept-encoding", "identity");
  return headers;
}

/**
 * Builds the headers sent to the client from the upstream's: hop-by-hop headers removed,
 * `X-Request-Id` set to the request's id. Everything else passes through unchanged,
 * `Content-Encoding` and `Content-Length` included.
 * @param incoming the upstream's response headers (not modified).
 * @param requestId the request's id.
 * @returns a new `Headers`.
 */
export function clientResponseHeaders(incoming: Headers, requestId: string): Headers {
  const headers = new Headers(incoming);
  stripHopByHop(headers);
  headers.set("x-request-id", requestId);
  return headers;
}
