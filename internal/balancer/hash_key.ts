/**
 * What a hashing strategy hashes: the client IP, the request path, a header or a cookie
 * (`--hash-key ip|path|header:NAME|cookie:NAME`).
 *
 * @module
 */

import type { HashKey } from "../config/types.ts";
import { fieldValue } from "../net/mod.ts";
import type { SelectContext } from "./strategy.ts";

export type { HashKey };

/** A key located inside a longer string without copying: `text.slice(start, end)`. */
export interface KeySpan {
  /** The string holding the key. */
  text: string;
  /** Index of the key's first code unit. */
  start: number;
  /** Index after the key's last code unit. */
  end: number;
}

const SEMICOLON = 0x3b;
const COMMA = 0x2c;
const EQUALS = 0x3d;
const SPACE = 0x20;
const TAB = 0x09;
const QUESTION_MARK = 0x3f;
const HASH = 0x23;

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
      const value = field(ctx, key.name);
      if (value === null || value === "") return false;
      setSpan(span, value, 0, value.length);
      return true;
    }
    case "cookie": {
      const header = field(ctx, "cookie");
      return header !== null && locateCookie(header, key.name, span);
    }
  }
}

/** A request header as `Headers.get` gives it, from the parsed fields when the context has them. */
function field(ctx: SelectContext, name: string): string | null {
  const fields = ctx.headerFields;
  return fields === undefined ? ctx.request.headers.get(name) : fieldValue(fields, name);
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
