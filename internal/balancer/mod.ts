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
export { formatHashKey, type HashKey, hashKeyOf, parseHashKey } from "./hash_key.ts";
export { RoundRobinStrategy } from "./round_robin.ts";
export type { SelectContext, Strategy } from "./strategy.ts";
