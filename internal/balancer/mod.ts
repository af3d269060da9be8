/**
 * Load-balancing strategies behind one {@linkcode Strategy} interface.
 *
 * @module
 */
export { createStrategy, type StrategyOptions } from "./create_strategy.ts";
export { RoundRobinStrategy } from "./round_robin.ts";
export type { SelectContext, Strategy } from "./strategy.ts";
