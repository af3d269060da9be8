/**
 * Routes described as short text for the admin API and the dashboard.
 *
 * @module
 */

import type { RouteConfig } from "../config/mod.ts";

/**
 * A route's conditions as text: `host api.example.com, path /api/*, methods GET|HEAD,
 * header x-canary=1`; `*` for a route that matches everything.
 * @param route the route.
 * @returns the text.
 */
export function describeMatch(route: RouteConfig): string {
  const { host, pathPrefix, path, methods, headers } = route.match;
  const parts: string[] = [];
  if (host !== undefined) parts.push(`host ${host}`);
  if (path !== undefined) parts.push(`path ${path}`);
  if (pathPrefix !== undefined) parts.push(`path ${pathPrefix === "/" ? "/*" : `${pathPrefix}/*`}`);
  if (methods !== undefined) parts.push(`methods ${methods.join("|")}`);
  for (const [name, value] of headers) parts.push(`header ${name}=${value}`);
  return parts.length === 0 ? "*" : parts.join(", ");
}

/**
 * A route's target as text: `pool api` (with `strip /static` when it strips its prefix),
 * `redirect 301 https://blog.example.com{path}`, `respond 503`.
 * @param route the route.
 * @returns the text.
 */
export function describeTarget(route: RouteConfig): string {
  if (route.redirect) return `redirect ${route.redirect.status} ${route.redirect.to}`;
  if (route.respond) return `respond ${route.respond.status}`;
  const strip = route.stripPrefix && route.match.pathPrefix !== undefined
    ? ` (strip ${route.match.pathPrefix})`
    : "";
  return `pool ${route.pool}${strip}`;
}
