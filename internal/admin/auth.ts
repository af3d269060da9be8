/**
 * Bearer-token checks of the admin API.
 *
 * @module
 */

const encoder = new TextEncoder();

/**
 * Compares two strings in time that depends only on their lengths' maximum, not on where they
 * first differ, so a token cannot be guessed byte by byte from response times.
 * @param a a string.
 * @param b another string.
 * @returns true when equal.
 */
export function timingSafeEqual(a: string, b: string): boolean {
  const x = encoder.encode(a);
  const y = encoder.encode(b);
  const length = Math.max(x.length, y.length);
  let difference = x.length ^ y.length;
  for (let i = 0; i < length; i++) difference |= (x[i] ?? 0) ^ (y[i] ?? 0);
  return difference === 0;
}

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
