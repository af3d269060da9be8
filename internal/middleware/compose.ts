/**
 * Composes middleware into one handler, once, at start-up.
 *
 * @module
 */

import type { Handler, Middleware } from "./context.ts";

/**
 * Builds the onion: `compose([a, b], h)` runs `a` → `b` → `h` and back out. The chain of
 * closures is built once, so a request allocates nothing for walking it.
 * @param middlewares outermost first.
 * @param handler the innermost handler.
 * @returns one handler for the whole chain.
 */
export function compose(middlewares: readonly Middleware[], handler: Handler): Handler {
  let next = handler;
  for (let i = middlewares.length - 1; i >= 0; i--) {
    const middleware = middlewares[i]!;
    const inner = next;
    next = (ctx) => middleware(ctx, inner);
  }
  return next;
}
