/**
 * Round robin: each available upstream in turn.
 *
 * @module
 */

import type { Upstream } from "../pool/mod.ts";
import type { SelectContext, Strategy } from "./strategy.ts";

/**
 * Exact rotation over the available upstreams, in pool order, ignoring weights (nginx's
 * default `upstream` behaviour without weights). When the available set shrinks or grows the
 * rotation continues from the same position, so no upstream is skipped twice in a row.
 * O(1), allocation-free.
 */
export class RoundRobinStrategy implements Strategy {
  /** @inheritdoc */
  readonly name = "round_robin";
  #next = 0;

  /** @inheritdoc */
  select(upstreams: readonly Upstream[], _ctx?: SelectContext): Upstream | undefined {
    const n = upstreams.length;
    if (n === 0) return undefined;
    const index = this.#next % n;
    this.#next = index + 1;
    return upstreams[index];
  }
}
