/**
 * Builds a strategy from its config name.
 *
 * @module
 */

import type { StrategyName } from "../config/types.ts";
import { RoundRobinStrategy } from "./round_robin.ts";
import type { Strategy } from "./strategy.ts";

/** What strategies may be given besides their name. */
export interface StrategyOptions {
  /** Source of randomness in [0, 1), for random choices. @default Math.random */
  random?: () => number;
}

type Factory = (options: StrategyOptions) => Strategy;

/** One factory per config name. */
const FACTORIES: Partial<Record<StrategyName, Factory>> = {
  round_robin: () => new RoundRobinStrategy(),
};

/**
 * Creates the strategy named in the configuration.
 * @param name a config name such as `"round_robin"`.
 * @param options randomness and strategy-specific settings.
 * @returns a fresh strategy with its own state.
 * @throws {RangeError} when the name is unknown (config validation normally prevents this).
 */
export function createStrategy(name: StrategyName, options: StrategyOptions = {}): Strategy {
  const factory = FACTORIES[name];
  if (!factory) throw new RangeError(`Unknown strategy "${name}"`);
  return factory(options);
}
