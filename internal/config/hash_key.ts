/**
 * Hash keys as written in the configuration (`--hash-key ip|path|header:NAME|cookie:NAME`):
 * parsing and formatting. Reading a key from a request is the balancer's (`hashKeyOf`).
 *
 * @module
 */

import type { HashKey } from "./types.ts";

// RFC 9110 §5.6.2 token: header names and (RFC 6265 §4.1.1) cookie names.
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

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
