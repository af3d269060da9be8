/**
 * A route's header rules applied to the request sent upstream (see `internal/router`).
 *
 * @module
 */

import type { HeaderRules } from "../config/mod.ts";
import type { HeaderList } from "./headers.ts";

/**
 * Applies header rules to a header list about to go upstream: `remove` first, then `set`
 * (replacing every field of that name). Names in the list and the rules are lower case.
 * @param headers the list, edited in place.
 * @param rules the route's rules.
 */
export function applyHeaderRules(
  headers: HeaderList,
  rules: HeaderRules,
): void {
  const drop = new Set(rules.remove);
  for (const [name] of rules.set) drop.add(name);
  let kept = 0;
  for (let i = 0; i < headers.length; i++) {
    const entry = headers[i]!;
    if (!drop.has(entry[0])) headers[kept++] = entry;
  }
  headers.length = kept;
  for (const [name, value] of rules.set) headers.push([name, value]);
}
