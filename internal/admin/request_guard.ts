/**
 * Admin requests a browser could be tricked into sending: DNS rebinding (a page of
 * `evil.example` whose name now resolves to 127.0.0.1) and cross-site request forgery (a form
 * posted from another origin). The checks follow Caddy's admin endpoint (`origins`, enforced
 * Host and Origin) and the same-origin rules browsers apply (RFC 6454).
 *
 * @module
 */

/** The loopback names a request without the token may use as `Host`, with the admin port. */
const LOOPBACK_HOSTS: readonly string[] = ["localhost", "127.0.0.1", "[::1]"];

/** Options of {@linkcode hostAllowed}. */
export interface HostRule {
  /** The port the admin server listens on. */
  port: number;
  /**
   * More `Host` values accepted (`admin.allowed_hosts`): `name` accepts that name on any
   * port, `name:port` only on that port. Lower case.
   */
  allowedHosts: readonly string[];
}

/**
 * Splits a `Host` header value into lower-case name and port (RFC 9110 §7.2; IPv6 literals
 * keep their brackets). A missing port is `undefined`.
 * @param host the header value.
 * @returns name and port, or `undefined` when it is not `host[:port]`.
 */
export function splitHost(host: string): { name: string; port: number | undefined } | undefined {
  const value = host.trim().toLowerCase();
  const close = value.startsWith("[") ? value.indexOf("]") : -1;
  const colon = value.indexOf(":", close < 0 ? 0 : close);
  const name = colon < 0 ? value : value.slice(0, colon);
  if (name === "" || (close < 0 && name.includes("["))) return undefined;
  if (colon < 0) return { name, port: undefined };
  const digits = value.slice(colon + 1);
  if (!/^\d{1,5}$/.test(digits) || Number(digits) > 65_535) return undefined;
  return { name, port: Number(digits) };
}

/**
 * Whether a request without the admin token may use this `Host`: `localhost`, `127.0.0.1` or
 * `[::1]` with the admin port (no port counts as 80), or a value `admin.allowed_hosts` lists.
 * A page that reached 127.0.0.1 through DNS rebinding still sends its own name as `Host`,
 * which fails here.
 * @param host the request's `Host` header, `null` when absent.
 * @param rule the admin port and the allowed hosts.
 * @returns true when the request may go on.
 */
export function hostAllowed(host: string | null, rule: HostRule): boolean {
  if (host === null) return false;
  const split = splitHost(host);
  if (split === undefined) return false;
  const port = split.port ?? 80;
  if (LOOPBACK_HOSTS.includes(split.name) && port === rule.port) return true;
  return rule.allowedHosts.some((allowed) => {
    const entry = splitHost(allowed);
    return entry !== undefined && entry.name === split.name &&
      (entry.port === undefined || entry.port === port);
  });
}

/**
 * Whether a state-changing request comes from the admin server's own pages or from no page at
 * all: no `Origin` (curl, scripts), or an `Origin` whose host and port are the request's own
 * `Host` (the dashboard). `Origin: null` (sandboxed frames, some redirects) is refused.
 * @param origin the request's `Origin` header, `null` when absent.
 * @param host the request's `Host` header.
 * @returns true when the request may go on.
 */
export function originAllowed(origin: string | null, host: string | null): boolean {
  if (origin === null) return true;
  if (host === null) return false;
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return false;
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") return false;
  try {
    return url.host === new URL(`${url.protocol}//${host.trim()}`).host;
  } catch {
    return false;
  }
}

/**
 * Whether a request declares a JSON body (`application/json`, or `application/<x>+json`):
 * an HTML form can only send `application/x-www-form-urlencoded`, `multipart/form-data` or
 * `text/plain`, and a cross-origin script that sets JSON must pass a CORS preflight, which the
 * admin server never grants.
 * @param contentType the request's `Content-Type`, `null` when absent.
 * @returns true for JSON.
 */
export function isJsonContentType(contentType: string | null): boolean {
  return contentType !== null && /^application\/([a-z0-9.+-]*\+)?json\s*(;|$)/i.test(contentType);
}
