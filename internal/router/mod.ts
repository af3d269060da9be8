/**
 * Routing: routes compiled once per configuration (host map, then ordered rules) send each
 * request to a pool, with rewrites (strip prefix, header rules), or answer a redirect or a
 * fixed response.
 *
 * @module
 */

export {
  type CompiledRoute,
  type CompiledRoutes,
  compileRoutes,
  hasDotSegment,
  hasPathPrefix,
  type RouteInput,
  RouteTable,
} from "./route_table.ts";
export { applyResponseHeaderRules, redirectLocation, stripPrefix } from "./rewrite.ts";
export { createRouter, hostOf, type RoutingTable } from "./router.ts";
export { describeMatch, describeTarget } from "./describe.ts";
