/**
 * Power of two choices: the less loaded of two random upstreams.
 *
 * @module
 */

import type { Upstream } from "../pool/mod.ts";
import { createRandom, randomIndex } from "./random.ts";
import type { SelectContext, Strategy } from "./strategy.ts";

/** Options of {@linkcode PowerOfTwoChoicesStrategy}. */
export interface PowerOfTwoChoicesOptions {
  /**
   * Source of randomness in [0, 1). Inject a seeded generator to make tests exact.
   * @default createRandom() (seeded from `crypto.getRandomValues`)
   */
  random?: () => number;
}

/**
 * Power of two choices (P2C): draw two distinct available upstreams uniformly at random and
 * send the request to the less loaded one (Mitzenmacher, "The Power of Two Choices in
 * Randomized Load Balancing", IEEE TPDS 12(10), 2001; Envoy `LEAST_REQUEST` with the default
 * `choice_count` 2; HAProxy `balance random(2)`, which draws the candidates by weight where this
 * draws them uniformly and weighs the comparison instead). It gets most of the benefit of least
 * connections in O(1), and unlike a full scan it does not herd: requests racing in before
 * the in-flight counts move do not all land on the same "least loaded" upstream. The most
 * loaded upstream never wins a pair, so it drains until it is no longer the most loaded.
 *
 * Load is weight-aware the way Envoy's least request weighs hosts of unequal weight,
 * `weight / (inFlight + 1)` (its `active_request_bias` 1): the candidate with the smaller `(inFlight + 1) / weight` wins,
 * compared by cross-multiplication. The `+ 1` counts the request about to be sent, so when both
 * candidates are idle the heavier one wins; with equal weights it is plain fewest in-flight.
 * On a tie the first candidate wins, which is itself a random choice. The weight is
 * `upstream.effectiveWeight`, scaled down while the upstream is in slow start.
 *
 * O(1), allocation-free with the default random source (see `createRandom` in `random.ts`).
 * A single available upstream is returned without drawing.
 *
 * @example
 * ```ts
 * const strategy = new PowerOfTwoChoicesStrategy();
 * const upstream = strategy.select(pool.available(), ctx);
 * ```
 */
export class PowerOfTwoChoicesStrategy implements Strategy {
  /** @inheritdoc */
  readonly name = "power_of_two_choices";
  readonly #random: () => number;

  /** @param options the random source. */
  constructor(options: PowerOfTwoChoicesOptions = {}) {
    this.#random = options.random ?? createRandom();
  }

  /** @inheritdoc */
  select(upstreams: readonly Upstream[], _ctx?: SelectContext): Upstream | undefined {
    const n = upstreams.length;
    if (n <= 1) return upstreams[0];
    const i = randomIndex(this.#random(), n);
    // A second index among the other n - 1, shifted past the first: distinct without retrying.
    let j = randomIndex(this.#random(), n - 1);
    if (j >= i) j++;
    const a = upstreams[i]!;
    const b = upstreams[j]!;
    return (b.inFlight + 1) * a.effectiveWeight < (a.inFlight + 1) * b.effectiveWeight ? b : a;
  }
}
