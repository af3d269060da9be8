/**
 * Builds a strategy from its config name.
 *
 * @module
 */

import type { StrategyName } from "../config/types.ts";
import { ConsistentHashStrategy, IpHashStrategy } from "./consistent_hash.ts";
import type { HashKey } from "../config/types.ts";
import { LeastConnectionsStrategy } from "./least_connections.ts";
import { LeastTimeStrategy } from "./least_time.ts";
import { PowerOfTwoChoicesStrategy } from "./power_of_two_choices.ts";
import { RandomStrategy } from "./random.ts";
import { RoundRobinStrategy } from "./round_robin.ts";
import type { Strategy } from "./strategy.ts";
import { WeightedRoundRobinStrategy } from "./weighted_round_robin.ts";

/** What strategies may be given besides their name. */
export interface StrategyOptions {
  /**
   * Source of randomness in [0, 1), for random choices. @default an allocation-free sfc32
   * generator seeded from `crypto.getRandomValues` (`Math.random` allocates per call)
   */
  random?: () => number;
  /**
   * What `consistent_hash` hashes (see `parseHashKey`); `ip_hash` always hashes the client IP.
   * @default { source: "ip" }
   */
  hashKey?: HashKey;
}

type Factory = (options: StrategyOptions) => Strategy;

/** One factory per config name. */
const FACTORIES: Partial<Record<StrategyName, Factory>> = {
  round_robin: () => new RoundRobinStrategy(),
  consistent_hash: (options) =>
    new ConsistentHashStrategy(options.hashKey ? { key: options.hashKey } : {}),
  ip_hash: () => new IpHashStrategy(),
  random: (options) => new RandomStrategy(options),
  weighted_round_robin: () => new WeightedRoundRobinStrategy(),
  least_connections: () => new LeastConnectionsStrategy(),
  power_of_two_choices: (options) => new PowerOfTwoChoicesStrategy(options),
  least_time: (options) => new LeastTimeStrategy(options),
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
