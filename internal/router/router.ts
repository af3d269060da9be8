/**
 * The router: the innermost handler of the middleware chain. It matches the request against the
 * current route table and sends it to the route's pool, or answers a redirect or a fixed
 * response itself.
 *
 * @module
 */

import type { Handler, RequestContext } from "../middleware/mod.ts";
import { BadRequestError, NoRouteError } from "../proxy/mod.ts";
import { applyResponseHeaderRules, redirectLocation, stripPrefix } from "./rewrite.ts";
import { type CompiledRoute, hasDotSegment, type RouteTable } from "./route_table.ts";

/**
 * One immutable routing table: the routes and the handlers of the pools they name. A reload
 * builds a new one and swaps it in whole, so a request sees the old table or the new one,
 * never a mix.
 */
export interface RoutingTable {
  /** The compiled routes. */
  readonly routes: RouteTable;
  /** The handler of each pool (sticky sessions and the director), by pool name. */
  readonly pools: ReadonlyMap<string, Handler>;
}

/**
 * The host of an authority, lower case, without its port: `API.example.com:8080` →
 * `api.example.com`, `[::1]:80` → `[::1]`.
 * @param authority the request's authority (`RequestContext.authority`), validated.
 * @returns the host, `""` for none.
 */
export function hostOf(authority: string): string {
  let end = authority.length;
  if (authority.charCodeAt(0) === 0x5b /* [ */) {
    end = authority.indexOf("]") + 1 || end;
  } else {
    const colon = authority.lastIndexOf(":");
    if (colon >= 0) end = colon;
  }
  const host = authority.slice(0, end);
  // Most hosts are already lower case: skip the copy then.
  return /[A-Z]/.test(host) ? host.toLowerCase() : host;
}

/**
 * Creates the router handler.
 *
 * The table is read once per request (`current()`), and the request's route and pool are set
 * on the context (`ctx.route`, `ctx.pool`) for the access log and metrics. A request that no
 * route matches fails with {@linkcode NoRouteError} (404 with the request id); when routes look
 * at the path, a path with a dot segment (`/a/../b`, `%2e%2e`) fails with
 * {@linkcode BadRequestError} (400) rather than match one route and reach another path upstream.
 * A route with a
 * pool strips its prefix (`ctx.upstreamTarget`), passes its request header rules to `forward()`
 * (applied after Sluice's forwarding headers) and applies its response header rules to the
 * pool's response.
 * @param current returns the routing table in force.
 * @returns the handler.
 */
export function createRouter(current: () => RoutingTable): Handler {
  return async function router(ctx: RequestContext): Promise<Response> {
    const table = current();
    const target = ctx.target;
    const q = target.indexOf("?");
    const host = hostOf(ctx.authority);
    const path = q < 0 ? target : target.slice(0, q);
    if (table.routes.matchesPaths && hasDotSegment(path)) {
      // `/public/../admin` would match the route for /public and reach /admin upstream.
      throw new BadRequestError(
        "the path has a dot segment (. or ..), which Sluice does not resolve when it routes by path",
      );
    }
    const route = table.routes.match({
      host,
      path,
      method: ctx.request.method,
      // The parsed field lines when the listener has them (no Headers made; see RouteInput).
      headers: ctx.headerFields ?? ctx.request.headers,
    });
    if (route === undefined) throw new NoRouteError();
    route.hits++;
    ctx.route = route.name;
    const config = route.config;
    if (route.pool === undefined) return finalResponse(route, ctx, host);
    ctx.pool = route.pool;
    if (config.stripPrefix && config.match.pathPrefix !== undefined) {
      ctx.upstreamTarget = stripPrefix(target, config.match.pathPrefix);
    }
    if (route.requestHeaders) ctx.requestHeaderRules = route.requestHeaders;
    const response = await table.pools.get(route.pool)!(ctx);
    if (route.responseHeaders) applyResponseHeaderRules(response.headers, route.responseHeaders);
    return response;
  };
}

/** The redirect or fixed response of a route without a pool. */
function finalResponse(route: CompiledRoute, ctx: RequestContext, host: string): Response {
  const { redirect, respond } = route.config;
  const headers = new Headers({ "x-request-id": ctx.requestId });
  let response: Response;
  if (redirect !== undefined) {
    headers.set("location", redirectLocation(redirect.to, ctx.target, host));
    response = new Response(null, { status: redirect.status, headers });
  } else {
    const body = respond?.body ?? "";
    if (body !== "") headers.set("content-type", "text/plain; charset=utf-8");
    response = new Response(body === "" ? null : body, { status: respond?.status ?? 200, headers });
  }
  if (route.responseHeaders) applyResponseHeaderRules(response.headers, route.responseHeaders);
  return response;
}
