/**
 * Header rewriting between client and upstream: hop-by-hop removal and forwarding headers.
 *
 * @module
 */

import { type FieldLines, fieldValue } from "../net/mod.ts";

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
 * Headers that a name in `Connection` never removes: a connection option must not name a field
 * meant for every recipient (RFC 9110 §7.6.1), so `Connection: host` (or `content-length`, or
 * the forwarding headers) is a client or upstream trying to make Sluice drop what the other side
 * relies on for routing, framing, credentials or the client's address.
 */
export const END_TO_END_HEADERS: ReadonlySet<string> = new Set([
  "host",
  "content-length",
  "content-type",
  "content-encoding",
  "authorization",
  "cookie",
  "x-forwarded-for",
  "forwarded",
]);

/**
 * Removes hop-by-hop headers in place: the fixed set and every header named in `Connection`
 * (RFC 9110 §7.6.1) except {@linkcode END_TO_END_HEADERS}.
 * @param headers headers to edit.
 */
export function stripHopByHop(headers: Headers): void {
  const named = connectionTokens(headers.get("connection"));
  if (named) { for (const name of named) headers.delete(name); }
  for (const name of HOP_BY_HOP_HEADERS) if (headers.has(name)) headers.delete(name);
}

/**
 * Removes hop-by-hop fields from a header list (RFC 9110 §7.6.1), as {@linkcode stripHopByHop}
 * does from `Headers`: the fixed set and every field named in `Connection` except
 * {@linkcode END_TO_END_HEADERS}. A copy edited by {@linkcode stripHopByHopFields}.
 * @param list lower-case names (as the http1 response parser makes them); not modified.
 * @returns `list` itself when nothing was removed, else a new list in the same order.
 */
export function withoutHopByHop(list: HeaderList): HeaderList {
  const copy = list.slice();
  stripHopByHopFields(copy);
  return copy.length === list.length ? list : copy;
}

/**
 * Removes hop-by-hop fields from a header list in place, as {@linkcode withoutHopByHop} does
 * into a new one: same fields removed, same order kept, no new list (nginx answers every
 * response with `Connection: keep-alive`, so a copy would be made on every response). One pass
 * over the list when it has no hop-by-hop field, two when it has; no `Headers` lookups.
 * @param list lower-case names (as the http1 response parser makes them); edited.
 */
export function stripHopByHopFields(list: HeaderList): void {
  let connection: string | undefined;
  let found = false;
  for (let i = 0; i < list.length; i++) {
    const name = list[i]![0];
    if (!HOP_BY_HOP_HEADERS.has(name)) continue;
    found = true;
    if (name === "connection") {
      const value = list[i]![1];
      connection = connection === undefined ? value : `${connection}, ${value}`;
    }
  }
  if (!found) return;
  const named = connection === undefined ? undefined : connectionTokens(connection);
  let kept = 0;
  for (let i = 0; i < list.length; i++) {
    const entry = list[i]!;
    if (!HOP_BY_HOP_HEADERS.has(entry[0]) && named?.has(entry[0]) !== true) list[kept++] = entry;
  }
  list.length = kept;
}

/** What {@linkcode upstreamRequestHeaders} needs besides the client's headers. */
export interface ForwardingInfo {
  /** The socket peer's IP address, appended to X-Forwarded-For and Forwarded. */
  clientAddress: string;
  /**
   * The client's IP address as resolved (behind trusted proxies: from X-Forwarded-For), sent
   * as X-Real-IP. @default clientAddress
   */
  clientIp?: string;
  /** How the client reached Sluice, for X-Forwarded-Proto. */
  protocol: "http" | "https";
  /** Request id sent as X-Request-Id. */
  requestId: string;
  /** Keep the client's `Host` (true) or let the transport send the upstream's (false). */
  preserveHost: boolean;
  /**
   * Where the client addressed the request (`RequestContext.authority`: the Host header, or an
   * absolute-form target's authority, which replaces Host, RFC 9112 §3.2.2): sent as
   * X-Forwarded-Host, and as Host when `preserveHost`. `""` for none.
   */
  authority: string;
  /**
   * W3C trace context: `undefined` passes the client's `traceparent` and `tracestate`; `null`
   * removes them (the transport adds its own); a value replaces them.
   */
  trace?: { traceparent: string; tracestate: string | undefined } | null | undefined;
}

/** A header list as fetch accepts it: lower-case names, in order, `set-cookie` repeated. */
export type HeaderList = [name: string, value: string][];

/**
 * Builds the headers sent upstream from the client's:
 * - hop-by-hop headers removed (RFC 9110 §7.6.1);
 * - `X-Forwarded-For` gets the peer's address appended (nginx `$proxy_add_x_forwarded_for`),
 *   and `Forwarded` an element `for=…;host=…;proto=…` (RFC 7239 §4, §5); entries a client
 *   wrote itself stay to the left, so only the rightmost ones can be believed (the ones added
 *   by Sluice and by proxies the upstream trusts);
 * - `X-Forwarded-Proto`, `X-Forwarded-Host` and `X-Real-IP` (nginx's `$remote_addr` idiom: the
 *   client address Sluice resolved) are set, replacing what the client sent;
 * - `X-Request-Id` set to the request's id;
 * - `traceparent` and `tracestate` replaced or removed as `info.trace` says;
 * - `Host` set to `info.authority` or removed (the transport then sends the upstream's);
 * - everything else as the client sent it, `Accept-Encoding` included (`FetchTransport`
 *   replaces it with `identity`, see there).
 *
 * Returns a list rather than `Headers`: the server's request headers are immutable, and fetch
 * copies a list far faster than a `Headers` object (see `bench/hot_path_bench.ts`).
 *
 * Given field lines (the ones the http1 listener parsed, `RequestContext.headerFields`) the
 * headers go upstream in the client's order, repeated fields as separate lines (as nginx
 * forwards them; repeated `X-Forwarded-For` and `Forwarded` lines are joined into one list),
 * and no `Headers` is read: the request's is then never made (see the http1 listener's
 * `ClientRequest`), and `Headers.forEach` builds a sorted, combined copy of the fields on every
 * call (about 1.4 µs and 2.2 KB for 8 browser headers in Deno 2.9.6).
 * @param incoming the client's headers, or its parsed field lines (names lower case, values
 *   trimmed) when the listener has them (not modified).
 * @param info client address, protocol, request id and Host policy.
 * @returns a new header list.
 */
export function upstreamRequestHeaders(
  incoming: Headers | FieldLines,
  info: ForwardingInfo,
): HeaderList {
  const fields = incoming instanceof Headers ? undefined : incoming;
  const named = connectionTokens(
    fields === undefined
      ? (incoming as Headers).get("connection")
      : fieldValue(fields, "connection"),
  );
  const out: HeaderList = [];
  let forwardedFor: string | undefined;
  let forwarded: string | undefined;
  let hostSent = false;
  const visit = (value: string, name: string) => {
    if (HOP_BY_HOP_HEADERS.has(name) || named?.has(name)) return;
    switch (name) {
      case "x-forwarded-for":
        forwardedFor = forwardedFor === undefined ? value : `${forwardedFor}, ${value}`;
        return;
      case "forwarded":
        forwarded = forwarded === undefined ? value : `${forwarded}, ${value}`;
        return;
      case "x-forwarded-proto":
      case "x-forwarded-host":
      case "x-request-id":
      case "x-real-ip":
        return;
      case "traceparent":
      case "tracestate":
        if (info.trace !== undefined) return;
        break;
      case "host":
        if (!info.preserveHost || info.authority === "" || hostSent) return;
        hostSent = true;
        value = info.authority;
    }
    out.push([name, value]);
  };
  if (fields === undefined) {
    // forEach, not for-of: Deno's Headers iterator costs 8x more (bench/hot_path_bench.ts).
    (incoming as Headers).forEach(visit);
  } else {
    for (let i = 0; i < fields.length; i++) {
      const field = fields[i]!;
      visit(field[1], field[0]);
    }
  }
  out.push(
    [
      "x-forwarded-for",
      forwardedFor ? `${forwardedFor}, ${info.clientAddress}` : info.clientAddress,
    ],
    ["x-forwarded-proto", info.protocol],
  );
  if (info.authority !== "") {
    // An absolute-form target without a Host header.
    if (info.preserveHost && !hostSent) out.push(["host", info.authority]);
    out.push(["x-forwarded-host", info.authority]);
  }
  const element = forwardedElement(info);
  out.push(
    ["forwarded", forwarded ? `${forwarded}, ${element}` : element],
    ["x-real-ip", info.clientIp ?? info.clientAddress],
    ["x-request-id", info.requestId],
  );
  const trace = info.trace;
  if (trace) {
    out.push(["traceparent", trace.traceparent]);
    if (trace.tracestate !== undefined) out.push(["tracestate", trace.tracestate]);
  }
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
  // `Connection: keep-alive` alone (nginx's and browsers') names only a field that is
  // hop-by-hop anyway: no set, no split.
  if (connection === null || connection === "keep-alive") return undefined;
  const names = new Set<string>();
  for (const token of connection.split(",")) {
    const name = token.trim().toLowerCase();
    if (name !== "" && !END_TO_END_HEADERS.has(name)) names.add(name);
  }
  return names;
}

/** Sluice's own element of `Forwarded` (RFC 7239 §4): `for=…;host=…;proto=…`. */
function forwardedElement(info: ForwardingInfo): string {
  const address = info.clientAddress;
  // An IPv6 node is bracketed and quoted (RFC 7239 §6).
  const node = address.includes(":") ? `"[${address}]"` : address;
  const host = info.authority === ""
    ? ""
    : `;host=${isToken(info.authority) ? info.authority : `"${info.authority}"`}`;
  return `for=${node}${host};proto=${info.protocol}`;
}

/** Whether `text` is an RFC 9110 token (a validated Host holds no `"` or `\` to escape). */
function isToken(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c > 0x7e || TCHAR[c] !== 1) return false;
  }
  return text.length > 0;
}

const TCHAR = (() => {
  const table = new Uint8Array(127);
  const allowed = "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
  for (let i = 0; i < allowed.length; i++) table[allowed.charCodeAt(i)] = 1;
  return table;
})();
