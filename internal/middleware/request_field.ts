/**
 * One request header's value, from the listener's parsed fields when the context has them.
 *
 * @module
 */

import { fieldValue } from "../net/mod.ts";
import type { RequestContext } from "./context.ts";

/**
 * The value of a request header, as `ctx.request.headers.get(name)` gives it (repeated fields
 * joined with `", "`), read from `ctx.headerFields` when the listener gave them: a scan of a few
 * pairs instead of `Headers.get`'s argument conversions and checks.
 * @param ctx the request's context.
 * @param name the header's name, lower case.
 * @returns the value, or `null` when the request has no such header.
 */
export function requestField(
  ctx: Pick<RequestContext, "request" | "headerFields">,
  name: string,
): string | null {
  const fields = ctx.headerFields;
  return fields === undefined ? ctx.request.headers.get(name) : fieldValue(fields, name);
}
