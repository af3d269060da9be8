/**
 * Load-balancing strategies behind one {@linkcode Strategy} interface.
 *
 * @module
 */
export {
  type ConsistentHashOptions,
  ConsistentHashStrategy,
  IpHashStrategy,
} from "./consistent_hash.ts";
export { createStrategy, type StrategyOptions } from "./create_strategy.ts";
export { type HashKey, hashKeyOf } from "./hash_key.ts";
export { LeastConnectionsStrategy } from "./least_connections.ts";
export { type LeastTimeOptions, LeastTimeStrategy } from "./least_time.ts";
export {
  type PowerOfTwoChoicesOptions,
  PowerOfTwoChoicesStrategy,
} from "./power_of_two_choices.ts";
export { RandomStrategy, type RandomStrategyOptions } from "./random.ts";
export { RoundRobinStrategy } from "./round_robin.ts";
export type { SelectContext, Strategy } from "./strategy.ts";
export { WeightedRoundRobinStrategy } from "./weighted_round_robin.ts";
