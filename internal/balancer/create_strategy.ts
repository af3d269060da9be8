/**
 * Builds a strategy from its config name.
 *
 * @module
 */

import type { StrategyName } from "../config/types.ts";
import { RoundRobinStrategy } from "./round_robin.ts";
import type { Strategy } from "./strategy.ts";

/**
 * Creates the strategy named in the configuration.
 * @param name a config name such as `"round_robin"`.
 * @returns a fresh strategy with its own state.
 * @throws {RangeError} when the name is unknown (config validation normally prevents this).
 */
export function createStrategy(name: StrategyName): Strategy {
  switch (name) {
    case "round_robin":
      return new RoundRobinStrategy();
    default:
      throw new RangeError(`Unknown strategy "${name satisfies never}"`);
  }
}
