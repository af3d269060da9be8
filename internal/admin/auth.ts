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

/**
 * Who may use an admin route:
 * - `probe`: anyone, token or not. `/healthz` and `/readyz` say only "ok" / "ready", and their
 *   callers (the Kubernetes kubelet from the node's address, a load balancer's health check)
 *   cannot present a secret token; as Envoy's admin `/ready` and HAProxy's `monitor-uri`.
 * - `read`: loopback clients, or the token from anywhere.
 * - `write`: the token only.
 */
export type Access = "probe" | "read" | "write";

/**
 * Whether a request may use a route.
 * @param access the route's access level.
 * @param client the socket's remote address.
 * @param presented the token the request presents ({@linkcode presentedToken}), if any.
 * @param token the configured token; `undefined` when none is set (only allowed on a
 * loopback-bound admin server, so every client is local).
 * @param equal constant-time string comparison.
 * @returns true when allowed.
 */
export function isAuthorized(
  access: Access,
  client: string,
  presented: string | undefined,
  token: string | undefined,
  equal: (a: string, b: string) => boolean,
): boolean {
  if (token === undefined || access === "probe") return true;
  if (access === "read" && isLoopbackAddress(client)) return true;
  return presented !== undefined && equal(presented, token);
}
