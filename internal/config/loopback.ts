/**
 * Whether a listen address is reachable only from the machine itself.
 *
 * @module
 */

const IPV4_LOOPBACK = /^127\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

/**
 * Tells whether binding to `host` keeps a listener reachable from this machine only: an IPv4
 * address in 127.0.0.0/8 (RFC 1122 §3.2.1.3), the IPv6 loopback `::1` (RFC 4291 §2.5.3) in any
 * spelling, bracketed or not, or the name `localhost` (RFC 6761 §6.3).
 *
 * Anything else is treated as reachable from the network, including wildcards (`0.0.0.0`, `::`),
 * other names that may happen to resolve to loopback (`localhost.`, `ip6-localhost`) and unusual
 * IPv4 spellings (`127.1`, `0x7f.0.0.1`): a wrong "no" only asks for a token, a wrong "yes" would expose the admin API.
 *
 * @example
 * ```ts
 * isLoopbackHost("127.0.0.1"); // true
 * isLoopbackHost("[::1]"); // true
 * isLoopbackHost("0.0.0.0"); // false
 * ```
 *
 * @param host A listen address as configured, e.g. `admin.host`.
 * @returns `true` for a loopback address or `localhost`, else `false`.
 */
export function isLoopbackHost(host: string): boolean {
  const name = host.toLowerCase();
  if (name === "localhost") return true;
  const ipv4 = IPV4_LOOPBACK.exec(name);
  if (ipv4 !== null) return ipv4.slice(1).every((octet) => Number(octet) <= 255);
  return isIpv6Loopback(name.startsWith("[") && name.endsWith("]") ? name.slice(1, -1) : name);
}

/** `::1` in any of its RFC 4291 §2.2 spellings (`0:0:0:0:0:0:0:1`, `::0:1`), via the URL parser. */
function isIpv6Loopback(address: string): boolean {
  if (!address.includes(":") || /[^0-9a-f:]/.test(address)) return false;
  try {
    return new URL(`http://[${address}]/`).hostname === "[::1]";
  } catch {
    return false;
  }
}
