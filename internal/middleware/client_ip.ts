/**
 * The client's IP address behind trusted proxies, from X-Forwarded-For.
 *
 * @module
 */

import {
  CidrSet,
  type FieldLines,
  fieldValue,
  formatIp,
  type IpFamily,
  readIp,
} from "../net/mod.ts";
import type { Handler, Middleware, RequestContext } from "./context.ts";

/** Options of {@linkcode clientIp}. */
export interface ClientIpOptions {
  /**
   * Proxies whose X-Forwarded-For is believed: CIDR blocks or single addresses, IPv4 or IPv6
   * (see `parseCidr`), e.g. `["10.0.0.0/8", "::1"]`.
   */
  trustedProxies: Iterable<string>;
}

/**
 * Middleware that sets `ctx.clientIp` to the address a trusted proxy reported (see
 * {@linkcode resolveClientIp}). Requests from any other peer keep the socket's address, whatever
 * X-Forwarded-For they carry. X-Forwarded-For sent upstream is not changed: it still gets the
 * socket's address appended.
 * @param options the trusted proxies, parsed once here.
 * @returns the middleware.
 * @throws {TypeError} when a trusted proxy is not an address or CIDR block.
 */
export function clientIp(options: ClientIpOptions): Middleware {
  const trusted = new CidrSet(options.trustedProxies);
  return function clientIpMiddleware(ctx: RequestContext, next: Handler) {
    ctx.clientIp = resolveClientIp(
      ctx.clientAddress,
      ctx.headerFields ?? ctx.request.headers,
      trusted,
    );
    return next(ctx);
  };
}

/**
 * The client's address: when the socket's peer is a trusted proxy, X-Forwarded-For is read
 * from the right (the entry nearest to Sluice first), trusted proxies are skipped, and the
 * first address that is not trusted is the client (nginx `real_ip_recursive on`, Envoy
 * `xff_num_trusted_hops`). Entries to the left of it are the client's own claims and are never
 * read, so a client cannot spoof its address by sending X-Forwarded-For itself.
 *
 * An entry that is not an address (`unknown`, a name, garbage) ends the walk: the last address
 * read is the client. When every entry is trusted, the leftmost is. Entries may carry a port
 * (`192.0.2.1:4711`, `[2001:db8::1]:4711`) and IPv6 in brackets; empty entries are skipped
 * (RFC 9110 §5.6.1). The address found is returned in its canonical spelling, an IPv4-mapped
 * IPv6 one as IPv4.
 *
 * Costs one parse of `peer` for an untrusted peer; for a trusted one, the header read and one
 * parse per entry walked, with no allocation but the result.
 *
 * @example
 * ```ts
 * const trusted = new CidrSet(["10.0.0.0/8"]);
 * const headers = new Headers({ "x-forwarded-for": "6.6.6.6, 203.0.113.7, 10.0.0.2" });
 * resolveClientIp("10.0.0.1", headers, trusted); // "203.0.113.7"
 * resolveClientIp("198.51.100.1", headers, trusted); // "198.51.100.1"
 * ```
 *
 * @param peer the socket peer's address.
 * @param headers the request's headers, or its parsed field lines (`RequestContext.headerFields`):
 *   X-Forwarded-For, several fields joined by `, `.
 * @param trusted the trusted proxies.
 * @returns the client's address.
 */
export function resolveClientIp(
  peer: string,
  headers: Headers | FieldLines,
  trusted: CidrSet,
): string {
  if (trusted.empty || !trusted.contains(peer)) return peer;
  const forwarded = headers instanceof Headers
    ? headers.get("x-forwarded-for")
    : fieldValue(headers, "x-forwarded-for");
  if (forwarded === null) return peer;
  let found: IpFamily | 0 = 0;
  let end = forwarded.length;
  while (end > 0) {
    const comma = forwarded.lastIndexOf(",", end - 1);
    let start = comma + 1;
    let stop = end;
    end = comma < 0 ? 0 : comma;
    while (start < stop && isSpace(forwarded.charCodeAt(start))) start++;
    while (stop > start && isSpace(forwarded.charCodeAt(stop - 1))) stop--;
    if (start === stop) continue;
    const family = readEntry(forwarded, start, stop, entry);
    if (family === 0) break;
    found = family;
    last.set(entry);
    if (!trusted.has(family, entry)) break;
  }
  return found === 0 ? peer : formatIp(found, last);
}

/** The entry being read and the last address read; module scope, since the walk never yields. */
const entry = new Uint32Array(4);
const last = new Uint32Array(4);

const SPACE = 0x20;
const TAB = 0x09;
const COLON = 0x3a;
const LEFT_BRACKET = 0x5b;

function isSpace(c: number): boolean {
  return c === SPACE || c === TAB;
}

/** An address, `[IPv6]`, `[IPv6]:port` or `IPv4:port` in `text[start, end)`. */
function readEntry(text: string, start: number, end: number, out: Uint32Array): IpFamily | 0 {
  if (text.charCodeAt(start) === LEFT_BRACKET) {
    const close = text.indexOf("]", start);
    if (close < 0 || close >= end || !isPortOrNothing(text, close + 1, end)) return 0;
    return readIp(text, start + 1, close, out);
  }
  const family = readIp(text, start, end, out);
  if (family !== 0) return family;
  const colon = text.indexOf(":", start);
  if (colon < 0 || colon >= end || !isPortOrNothing(text, colon, end)) return 0;
  // The part before the first colon has none, so only IPv4 can be there: an IPv6 address
  // with a port must be bracketed.
  return readIp(text, start, colon, out);
}

/** Nothing, or `:` and 1-5 digits. */
function isPortOrNothing(text: string, start: number, end: number): boolean {
  if (start === end) return true;
  if (text.charCodeAt(start) !== COLON || end - start < 2 || end - start > 6) return false;
  for (let i = start + 1; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return false;
  }
  return true;
}
