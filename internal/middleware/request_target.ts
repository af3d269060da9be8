/**
 * The request target and the authority of a request, read without trusting the Host header.
 *
 * @module
 */

import { readIp } from "../net/mod.ts";

/** Where a request was addressed, split from `Request.url`. */
export interface RequestAddress {
  /**
   * The host (and port) the request was addressed to: the Host header, or the authority of an
   * absolute-form target (RFC 9112 §3.2.2), or of HTTP/2's `:authority`; `""` when none was
   * sent. Not validated here (see {@linkcode isValidHost}).
   */
  authority: string;
  /**
   * The request target in origin form (`/path?query`), or `"*"` for the asterisk form of
   * `OPTIONS` (RFC 9112 §3.2.4); `""` for the authority form (CONNECT). ASCII only.
   */
  target: string;
}

/**
 * Splits `Request.url` as `Deno.serve` builds it — scheme, `://`, the Host header's value as
 * received (or an absolute-form target's authority, or `fallbackAuthority` when there was no
 * Host), then the target — into authority and target, so that a Host header holding `/`, `?` or
 * `#` can never move into the path: with `Host: a/admin` and target `/secret`, the URL is
 * `http://a/admin/secret` and this returns authority `a/admin`, target `/secret`.
 *
 * A target is ASCII on the wire (RFC 9112 §3.2); `Deno.serve` accepts raw UTF-8 bytes in it and
 * decodes them into `Request.url`, so characters outside ASCII are percent-encoded back as UTF-8
 * (`/é` → `/%C3%A9`, as fetch and browsers do): every transport then sends the same bytes.
 *
 * `Deno.serve` hands `OPTIONS *` and `OPTIONS /*` over as the same URL (`…/*`): both are read
 * as the asterisk form, the reading that never sends upstream a path the client may not have
 * sent. A listener that sees the raw request line passes the target itself and needs none of
 * this.
 *
 * @param url `Request.url`.
 * @param method the request method.
 * @param host the Host header, or `null`.
 * @param fallbackAuthority the authority `Deno.serve` invents when there is no Host
 *   (`localhost:<port>`); `undefined` when unknown.
 * @returns authority and target.
 */
export function splitRequestUrl(
  url: string,
  method: string,
  host: string | null,
  fallbackAuthority?: string,
): RequestAddress {
  const schemeEnd = url.indexOf("://");
  const start = schemeEnd < 0 ? 0 : schemeEnd + 3;
  let end: number;
  let authority: string;
  if (
    host !== null && host !== "" && url.startsWith(host, start) &&
    isTargetStart(url, start + host.length)
  ) {
    // Origin form: the URL holds the Host header byte for byte.
    authority = host;
    end = start + host.length;
  } else {
    // Absolute form (its authority was parsed by the server, so it holds no `/`), or no Host.
    end = start;
    while (end < url.length && !isTargetStart(url, end)) end++;
    authority = url.slice(start, end);
    // An empty Host is no Host (RFC 9110 §7.2: http URIs have a non-empty host).
    if (host === "" || (host === null && authority === fallbackAuthority)) authority = "";
  }
  let target = url.slice(end);
  if (target === "" && method !== "CONNECT") target = "/";
  else if (!isAscii(target)) target = target.replace(NON_ASCII, encodeURIComponent);
  else if (target === "/*" && method === "OPTIONS") target = "*";
  return { authority, target };
}

/** Runs of characters outside ASCII (code points, so surrogate pairs stay whole). */
const NON_ASCII = /[\u0080-\u{10ffff}]+/gu;

function isAscii(text: string): boolean {
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) > 0x7f) return false;
  return true;
}

function isTargetStart(url: string, at: number): boolean {
  if (at >= url.length) return true;
  const c = url.charCodeAt(at);
  return c === SLASH || c === QUESTION_MARK;
}

const SLASH = 0x2f;
const QUESTION_MARK = 0x3f;

/**
 * Whether `value` is a valid Host header: `host [ ":" port ]` (RFC 9110 §7.2) where host is an
 * IP literal in brackets holding an IPv6 address, or a reg-name (RFC 3986 §3.2.2: letters,
 * digits, `-._~`, sub-delims `!$&'()*+,;=` and `%XX`, which covers IPv4 and DNS names), not
 * empty, and port is 1 to 5 digits up to 65535. Refused: anything else, notably `/`, `?`, `#`,
 * `@`, `\`, spaces, controls and bytes over 0x7F, an empty host (`:80`), an empty port (`a:`)
 * and IPvFuture literals.
 * @param value the header's value.
 * @returns true when valid.
 */
export function isValidHost(value: string): boolean {
  let end = value.length;
  const colon = value.lastIndexOf(":");
  if (colon >= 0 && value.indexOf("]", colon) < 0) {
    if (!isPort(value, colon + 1, end)) return false;
    end = colon;
  }
  if (end === 0) return false;
  if (value.charCodeAt(0) === LEFT_BRACKET) {
    return value.charCodeAt(end - 1) === RIGHT_BRACKET && readIp(value, 1, end - 1, scratch) === 6;
  }
  for (let i = 0; i < end; i++) {
    const c = value.charCodeAt(i);
    if (c === PERCENT) {
      if (i + 2 >= end || !isHex(value.charCodeAt(i + 1)) || !isHex(value.charCodeAt(i + 2))) {
        return false;
      }
      i += 2;
    } else if (c > 0x7f || REG_NAME[c] !== 1) return false;
  }
  return true;
}

const LEFT_BRACKET = 0x5b;
const RIGHT_BRACKET = 0x5d;
const PERCENT = 0x25;

/** 1 for the ASCII characters of a reg-name besides `%` (unreserved and sub-delims). */
const REG_NAME = (() => {
  const table = new Uint8Array(128);
  const allowed = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~!$&'()*+,;=";
  for (let i = 0; i < allowed.length; i++) table[allowed.charCodeAt(i)] = 1;
  return table;
})();

function isHex(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66);
}

function isPort(value: string, start: number, end: number): boolean {
  if (end - start < 1 || end - start > 5) return false;
  let port = 0;
  for (let i = start; i < end; i++) {
    const c = value.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return false;
    port = port * 10 + c - 0x30;
  }
  return port <= 65535;
}

/** Scratch space of readIp (the address itself is not needed). */
const scratch = new Uint32Array(4);
