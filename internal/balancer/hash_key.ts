/**
 * What a hashing strategy hashes: the client IP, the request path, a header or a cookie
 * (`--hash-key ip|path|header:NAME|cookie:NAME`).
 *
 * @module
 */

import type { SelectContext } from "./strategy.ts";

/**
 * The part of a request that consistent hashing maps to an upstream.
 *
 * - `ip`: the client IP (`SelectContext.clientIp`, which honours trusted proxies).
 * - `path`: the URL path without the query string, as sent (not percent-decoded), so
 *   cache-busting or tracking parameters do not scatter one resource over upstreams.
 * - `header`: the value of a request header; `name` is lower case.
 * - `cookie`: the value of a cookie from the `Cookie` header; `name` is case-sensitive.
 */
export type HashKey =
  | { source: "ip" }
  | { source: "path" }
  | { source: "header"; name: string }
  | { source: "cookie"; name: string };

/** A key located inside a longer string without copying: `text.slice(start, end)`. */
export interface KeySpan {
  /** The string holding the key. */
  text: string;
  /** Index of the key's first code unit. */
  start: number;
  /** Index after the key's last code unit. */
  end: number;
}

// RFC 9110 §5.6.2 token: header names and (RFC 6265 §4.1.1) cookie names.
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

const SEMICOLON = 0x3b;
const COMMA = 0x2c;
const EQUALS = 0x3d;
const SPACE = 0x20;
const TAB = 0x09;
const QUESTION_MARK = 0x3f;
const HASH = 0x23;

/**
 * Parses a hash key as written in the configuration.
 * @param text `"ip"`, `"path"`, `"header:NAME"` or `"cookie:NAME"`, where NAME is an RFC 9110
 *   token (header names are matched case-insensitively, cookie names exactly).
 * @returns the key; header names are lower-cased.
 * @throws {TypeError} when `text` is none of these forms or NAME is empty or not a token.
 * @example
 * ```ts
 * parseHashKey("header:X-User-Id"); // { source: "header", name: "x-user-id" }
 * ```
 */
export function parseHashKey(text: string): HashKey {
  if (text === "ip" || text === "path") return { source: text };
  const colon = text.indexOf(":");
  const source = colon === -1 ? text : text.slice(0, colon);
  if ((source === "header" || source === "cookie") && colon !== -1) {
    const name = text.slice(colon + 1);
    if (!TOKEN.test(name)) {
      const problem = name === ""
        ? "is empty"
        : "is not a token (letters, digits, !#$%&'*+-.^_`|~)";
      throw new TypeError(
        `Invalid hash key: the ${source} name ${problem}: current value is ${JSON.stringify(text)}`,
      );
    }
    return source === "header" ? { source, name: name.toLowerCase() } : { source, name };
  }
  throw new TypeError(
    `Invalid hash key: expected "ip", "path", "header:NAME" or "cookie:NAME": current value is ${
      JSON.stringify(text)
    }`,
  );
}

/**
 * Writes a hash key the way {@linkcode parseHashKey} reads it.
 * @param key the key.
 * @returns e.g. `"ip"` or `"cookie:session"`.
 */
export function formatHashKey(key: HashKey): string {
  return key.source === "ip" || key.source === "path" ? key.source : `${key.source}:${key.name}`;
}

/**
 * The value of a hash key in a request.
 * @param key what to read.
 * @param ctx the request and client IP.
 * @returns the key, or `undefined` when the request has no such header or cookie or its value
 *   is empty. `ConsistentHashStrategy` then hashes the client IP instead.
 */
export function hashKeyOf(key: HashKey, ctx: SelectContext): string | undefined {
  const span: KeySpan = { text: "", start: 0, end: 0 };
  return locateHashKey(key, ctx, span) ? span.text.slice(span.start, span.end) : undefined;
}

/**
 * Finds the value of a hash key in a request without copying it (the allocation-free form of
 * {@linkcode hashKeyOf} for the request path).
 * @param key what to read.
 * @param ctx the request and client IP.
 * @param span receives where the key is; left unchanged when it is not found.
 * @returns whether the key was found (and is not empty).
 */
export function locateHashKey(key: HashKey, ctx: SelectContext, span: KeySpan): boolean {
  switch (key.source) {
    case "ip":
      setSpan(span, ctx.clientIp, 0, ctx.clientIp.length);
      return true;
    case "path":
      locatePath(ctx.request.url, span);
      return true;
    case "header": {
      const value = ctx.request.headers.get(key.name);
      if (value === null || value === "") return false;
      setSpan(span, value, 0, value.length);
      return true;
    }
    case "cookie": {
      const header = ctx.request.headers.get("cookie");
      return header !== null && locateCookie(header, key.name, span);
    }
  }
}

function setSpan(span: KeySpan, text: string, start: number, end: number): void {
  span.text = text;
  span.start = start;
  span.end = end;
}

/** The path of an absolute URL (`Request.url`): from the first `/` after `://` to `?` or `#`. */
function locatePath(url: string, span: KeySpan): void {
  const scheme = url.indexOf("://");
  const start = url.indexOf("/", scheme === -1 ? 0 : scheme + 3);
  if (start === -1) {
    setSpan(span, "/", 0, 1);
    return;
  }
  let end = start;
  for (const n = url.length; end < n; end++) {
    const c = url.charCodeAt(end);
    if (c === QUESTION_MARK || c === HASH) break;
  }
  setSpan(span, url, start, end);
}

/**
 * A cookie's value in a `Cookie` header (RFC 6265 §5.4: `a=1; b=2`). Pairs are split at `;`
 * and also at `,`, which cookie values may not contain (RFC 6265 §4.1.1) and which joins
 * several `Cookie` fields (HTTP/2 sends cookies as separate fields; `Headers.get` joins them
 * with `, `). Whitespace around names and values is ignored; quotes are kept. The first pair
 * with the name wins.
 */
function locateCookie(header: string, name: string, span: KeySpan): boolean {
  const n = header.length;
  let i = 0;
  while (i < n) {
    let c = header.charCodeAt(i);
    while (c === SPACE || c === TAB) c = header.charCodeAt(++i);
    let end = i;
    while (end < n && (c = header.charCodeAt(end)) !== SEMICOLON && c !== COMMA) end++;
    if (header.startsWith(name, i)) {
      let j = i + name.length;
      while (j < end && ((c = header.charCodeAt(j)) === SPACE || c === TAB)) j++;
      if (j < end && header.charCodeAt(j) === EQUALS) {
        j++;
        while (j < end && ((c = header.charCodeAt(j)) === SPACE || c === TAB)) j++;
        let last = end;
        while (last > j && ((c = header.charCodeAt(last - 1)) === SPACE || c === TAB)) last--;
        if (last === j) return false;
        setSpan(span, header, j, last);
        return true;
      }
    }
    i = end + 1;
  }
  return false;
}
