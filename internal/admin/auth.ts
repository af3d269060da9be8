/**
 * Bearer-token checks of the admin API.
 *
 * @module
 */

/**
 * The token a request presents: `Authorization: Bearer <token>` (RFC 6750 §2.1), or, for reads
 * only, the `access_token` query parameter (RFC 6750 §2.3) for clients that cannot set headers,
 * such as a browser's `EventSource`. RFC 6750 discourages tokens in URLs (they end up in logs),
 * so a change is never authorised that way.
 * @param request the admin request.
 * @param url its parsed URL.
 * @param allowQuery accept `?access_token=` (reads).
 * @returns the token, or `undefined` when none is presented.
 */
export function presentedToken(
  request: Request,
  url: URL,
  allowQuery: boolean,
): string | undefined {
  const authorization = request.headers.get("authorization");
  if (authorization !== null) {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
    return match ? match[1] : undefined;
  }
  return allowQuery ? url.searchParams.get("access_token") ?? undefined : undefined;
}

/**
 * Whether an IP address is a loopback address (127.0.0.0/8, ::1, IPv4-mapped 127.x).
 * @param address a socket's remote address.
 * @returns true for loopback.
 */
export function isLoopbackAddress(address: string): boolean {
  return address.startsWith("127.") || address === "::1" || address.startsWith("::ffff:127.");
}
