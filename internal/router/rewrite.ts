/**
 * What a route changes: the path sent upstream (strip prefix), headers both ways, and the
 * location of a redirect.
 *
 * @module
 */

import type { HeaderRules } from "../config/mod.ts";

/**
 * The request target with `prefix` removed from its path, the query kept, `/` at least
 * (Caddy `handle_path`, Traefik `StripPrefix`): `/static/a.css?v=1` → `/a.css?v=1`,
 * `/static` → `/`, `/static?v=1` → `/?v=1`.
 * @param target the request target in origin form, whose path starts with `prefix` on whole
 *   segments.
 * @param prefix the prefix, without a trailing slash.
 * @returns the target to send upstream.
 */
export function stripPrefix(target: string, prefix: string): string {
  if (prefix === "/") return target;
  const rest = target.slice(prefix.length);
  return rest === "" || rest.charCodeAt(0) === 0x3f /* ? */ ? "/" + rest : rest;
}

/**
 * Applies header rules to a response's (mutable) headers: `remove` first, then `set`.
 * @param headers the headers, edited in place.
 * @param rules the route's rules.
 */
export function applyResponseHeaderRules(headers: Headers, rules: HeaderRules): void {
  for (const name of rules.remove) headers.delete(name);
  for (const [name, value] of rules.set) headers.set(name, value);
}

/**
 * The `Location` of a redirect: `to` with `{path}` (the request path as sent), `{query}` (the
 * query with its `?`, or nothing) and `{host}` (the request's host without port) replaced.
 * @param to the route's template, validated (only these placeholders).
 * @param target the request target in origin form.
 * @param host the request's host, without port.
 * @returns the location.
 */
export function redirectLocation(to: string, target: string, host: string): string {
  const q = target.indexOf("?");
  const path = q < 0 ? target : target.slice(0, q);
  const query = q < 0 ? "" : target.slice(q);
  return to.replace(
    /\{(path|query|host)\}/g,
    (_, name: string) => name === "path" ? path : name === "query" ? query : host,
  );
}
