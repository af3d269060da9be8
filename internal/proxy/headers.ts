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
  const named = connectionTokens(headers.get("connection"));
  if (named) { for (const name of named) headers.delete(name); }
  for (const name of HOP_BY_HOP_HEADERS) if (headers.has(name)) headers.delete(name);
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

/** A header list as fetch accepts it: lower-case names, in order, `set-cookie` repeated. */
export type HeaderList = [name: string, value: string][];

/**
 * Builds the headers sent upstream from the client's:
 * - hop-by-hop headers removed (RFC 9110 §7.6.1);
 * - `X-Forwarded-For` gets the client address appended (nginx `$proxy_add_x_forwarded_for`),
 *   `X-Forwarded-Proto` and `X-Forwarded-Host` are set (replacing what the client sent);
 * - `X-Request-Id` set to the request's id;
 * - `Host` kept or removed (the transport then sends the upstream's);
 * - `Accept-Encoding: identity`, because fetch transparently decompresses any other response
 *   while keeping its `Content-Encoding` header, which would corrupt the body for the client.
 *
 * Returns a list rather than `Headers`: the server's request headers are immutable, and fetch
 * copies a list far faster than a `Headers` object (see `bench/hot_path_bench.ts`).
 * @param incoming the client's headers (not modified).
 * @param info client address, protocol, request id and Host policy.
 * @returns a new header list.
 */
export function upstreamRequestHeaders(incoming: Headers, info: ForwardingInfo): HeaderList {
  const named = connectionTokens(incoming.get("connection"));
  const out: HeaderList = [];
  let forwardedFor: string | undefined;
  let host: string | undefined;
  // forEach, not for-of: Deno's Headers iterator costs 8x more (bench/hot_path_bench.ts).
  incoming.forEach((value, name) => {
    if (HOP_BY_HOP_HEADERS.has(name) || named?.has(name)) return;
    switch (name) {
      case "x-forwarded-for":
        forwardedFor = value;
        return;
      case "x-forwarded-proto":
      case "x-forwarded-host":
      case "x-request-id":
      case "accept-encoding":
        return;
      case "host":
        host = value;
        if (!info.preserveHost) return;
    }
    out.push([name, value]);
  });
  out.push(
    [
      "x-forwarded-for",
      forwardedFor ? `${forwardedFor}, ${info.clientAddress}` : info.clientAddress,
    ],
    ["x-forwarded-proto", info.protocol],
  );
  if (host !== undefined) out.push(["x-forwarded-host", host]);
  out.push(["x-request-id", info.requestId], ["accept-encoding", "identity"]);
  return out;
}

/**
 * Edits, in place, the headers of the response about to go to the client: hop-by-hop headers
 * removed (RFC 9110 §7.6.1), `X-Request-Id` set to the request's id. Everything else passes
 * through unchanged, `Content-Encoding` and `Content-Length` included. Editing the new
 * response's own headers avoids a second copy of the upstream's.
 * @param headers the headers of a response built from the upstream's.
 * @param requestId the request's id.
 */
export function rewriteResponseHeaders(headers: Headers, requestId: string): void {
  stripHopByHop(headers);
  headers.set("x-request-id", requestId);
}

function connectionTokens(connection: string | null): Set<string> | undefined {
  if (connection === null) return undefined;
  const names = new Set<string>();
  for (const token of connection.split(",")) {
    const name = token.trim().toLowerCase();
    if (name !== "") names.add(name);
  }
  return names;
}
