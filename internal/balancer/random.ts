/**
 * Random: a uniformly random available upstream, and the allocation-free random source the
 * randomised strategies use by default.
 *
 * @module
 */

import type { Upstream } from "../pool/mod.ts";
import type { SelectContext, Strategy } from "./strategy.ts";

/** Options of {@linkcode RandomStrategy}. */
export interface RandomStrategyOptions {
  /**
   * Source of randomness in [0, 1). Inject a seeded generator to make tests exact.
   * @default createRandom() (seeded from `crypto.getRandomValues`)
   */
  random?: () => number;
}

/**
 * Picks an available upstream uniformly at random, ignoring load and weights (Envoy `RANDOM`;
 * nginx `random` and HAProxy `balance random` with all weights equal — both draw in proportion
 * to weight otherwise; use `weighted_round_robin` for weighted shares). Stateless between picks,
 * so it needs no coordination between isolates and reacts to nothing but the snapshot given.
 * O(1), allocation-free with the default random source (see {@linkcode createRandom}).
 *
 * @example
 * ```ts
 * const strategy = new RandomStrategy();
 * const upstream = strategy.select(pool.available(), ctx);
 * ```
 */
export class RandomStrategy implements Strategy {
  /** @inheritdoc */
  readonly name = "random";
  readonly #random: () => number;

  /** @param options the random source. */
  constructor(options: RandomStrategyOptions = {}) {
    this.#random = options.random ?? createRandom();
  }

  /** @inheritdoc */
  select(upstreams: readonly Upstream[], _ctx?: SelectContext): Upstream | undefined {
    const n = upstreams.length;
    if (n === 0) return undefined;
    return upstreams[randomIndex(this.#random(), n)];
  }
}

/**
 * Maps a random number in [0, 1) to an index in [0, n). Out-of-range input (a broken injected
 * source returning 1, a negative number or NaN) is clamped rather than turned into a miss, so a
 * strategy never answers `undefined` for a non-empty list.
 * @param random a number in [0, 1).
 * @param n the number of choices, >= 1.
 * @returns an integer in [0, n).
 */
export function randomIndex(random: number, n: number): number {
  const index = Math.floor(random * n);
  if (index >= n) return n - 1;
  return index >= 0 ? index : 0;
}

/**
 * Creates a small fast pseudo-random generator: sfc32 ("Small Fast Chaotic", Chris
 * Doty-Humphrey, from the PractRand suite, which it passes), 128 bits of state, returning
 * numbers in [0, 1) with 32 random bits. Not for cryptography, like `Math.random`.
 *
 * Why not `Math.random`: in V8 every `Math.random()` call returns a freshly allocated heap
 * number (16 bytes), even in optimised code, so a strategy drawing from it allocates on every
 * pick. sfc32's state lives in integer locals of a closure that the optimiser inlines into the
 * caller, so drawing allocates nothing (see `bench/strategies_bench.ts` for the measurement).
 *
 * @param seed four 32-bit words; taken from `crypto.getRandomValues` when omitted.
 * @returns a function returning a number in [0, 1) on each call.
 */
export function createRandom(seed?: ArrayLike<number>): () => number {
  const s = seed ?? crypto.getRandomValues(new Uint32Array(4));
  let a = (s[0] ?? 0) | 0;
  let b = (s[1] ?? 0) | 0;
  let c = (s[2] ?? 0) | 0;
  let d = (s[3] ?? 0) | 0;
  const next = function sfc32(): number {
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return (t >>> 0) / 4294967296;
  };
  // Mix the seed in, as the reference implementation does, so similar seeds diverge at once.
  for (let i = 0; i < 12; i++) next();
  return next;
}
