/**
 * The pools and routes a configuration runs: the declared ones, plus the pool `default` (the
 * top-level `backends` and settings) and, without `routes`, one catch-all route to it.
 *
 * @module
 */

import type { Config, PoolConfig, RouteConfig } from "./types.ts";

/** Name of the pool made of the top-level `backends` (and `--backends`). */
export const DEFAULT_POOL = "default";

/** What {@linkcode resolveRouting} returns. */
export interface Routing {
  /** Every pool: `default` first when it is there, then the declared ones in file order. */
  pools: PoolConfig[];
  /** Every route, first match wins. */
  routes: RouteConfig[];
}

/**
 * The pools and routes `config` runs.
 *
 * - The pool `default` is the top-level `backends` with the top-level settings. It exists when
 *   `pools` does not declare it and either top-level backends are given, no routes are given,
 *   or a route names it.
 * - Without `routes`, one catch-all route named `default` sends everything to `default`: a
 *   configuration without pools and routes (and `--backends`) works as before routing existed.
 * @param config a validated configuration.
 * @returns pools and routes, new arrays.
 */
export function resolveRouting(config: Readonly<Config>): Routing {
  const routes = config.routes.length > 0 ? config.routes : [catchAll(DEFAULT_POOL)];
  const declared = config.pools.some((pool) => pool.name === DEFAULT_POOL);
  const needed = config.backends.length > 0 ||
    routes.some((route) => route.pool === DEFAULT_POOL);
  const pools = !declared && needed ? [defaultPool(config), ...config.pools] : [...config.pools];
  return { pools, routes };
}

/** The pool `default`: top-level backends and settings. */
export function defaultPool(config: Readonly<Config>): PoolConfig {
  return {
    name: DEFAULT_POOL,
    backends: config.backends,
    strategy: config.strategy,
    hashKey: config.hashKey,
    sticky: config.sticky,
    health: config.health,
    passive: config.passive,
    limits: {
      maxConnectionsPerUpstream: config.limits.maxConnectionsPerUpstream,
      queueSize: config.limits.queueSize,
      queueTimeoutMs: config.limits.queueTimeoutMs,
      slowStartMs: config.limits.slowStartMs,
    },
    upstreamTls: config.upstreamTls,
    proxy: {
      retries: config.proxy.retries,
      retryNonIdempotent: config.proxy.retryNonIdempotent,
      retryBudgetPercent: config.proxy.retryBudgetPercent,
      retryBudgetMin: config.proxy.retryBudgetMin,
    },
  };
}

function catchAll(pool: string): RouteConfig {
  return {
    name: DEFAULT_POOL,
    match: {
      host: undefined,
      pathPrefix: undefined,
      path: undefined,
      methods: undefined,
      headers: [],
    },
    pool,
    stripPrefix: false,
    requestHeaders: { set: [], remove: [] },
    responseHeaders: { set: [], remove: [] },
    redirect: undefined,
    respond: undefined,
  };
}
