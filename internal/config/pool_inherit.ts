/**
 * Inheritance of pool settings: a pool of the file's `pools` section that leaves a setting out
 * gets the top-level one (itself already merged from flags and environment variables), as in
 * HAProxy's `defaults` section. Works on the file shape, before validation, so the merged
 * values are validated once more in the pool (and their problems deduplicated).
 *
 * @module
 */

/** Keys of `limits` a pool may set. */
export const POOL_LIMIT_KEYS = [
  "max_connections_per_upstream",
  "queue_size",
  "queue_timeout",
  "slow_start",
] as const;

/** Keys of `proxy` a pool may set. */
export const POOL_PROXY_KEYS = [
  "retries",
  "retry_non_idempotent",
  "retry_budget_percent",
  "retry_budget_min",
] as const;

/** Top-level sections a pool inherits key by key, with the keys it may hold (all when absent). */
const SECTIONS: ReadonlyMap<string, readonly string[] | undefined> = new Map<
  string,
  readonly string[] | undefined
>([
  ["sticky", undefined],
  ["health", undefined],
  ["passive", undefined],
  ["limits", POOL_LIMIT_KEYS],
  ["proxy", POOL_PROXY_KEYS],
  ["upstream_tls", undefined],
]);
/** Top-level settings a pool inherits whole. */
const SETTINGS = ["strategy", "hash_key"] as const;

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * The file shape with every pool completed from the top-level settings: `strategy`,
 * `hash_key`, and key by key `sticky`, `health`, `passive`, `limits` (its per-pool keys),
 * `proxy` (its per-pool keys) and `upstream_tls`. A pool's own keys win. Anything not an object is returned as is
 * (validation reports it).
 * @param file the merged file shape (flags and environment included).
 * @returns a new object when there are pools to complete, else `file`.
 */
export function inheritPoolSettings(file: unknown): unknown {
  if (!isObject(file) || !isObject(file.pools)) return file;
  const pools: Record<string, unknown> = {};
  for (const [name, pool] of Object.entries(file.pools)) {
    if (pool !== null && !isObject(pool)) {
      pools[name] = pool;
      continue;
    }
    const own = pool ?? {};
    const merged: Record<string, unknown> = { ...own };
    for (const key of SETTINGS) {
      if (merged[key] === undefined && file[key] !== undefined) merged[key] = file[key];
    }
    for (const [key, allowed] of SECTIONS) {
      const top = file[key];
      if (!isObject(top)) continue;
      const inherited = allowed === undefined
        ? top
        : Object.fromEntries(Object.entries(top).filter(([k]) => allowed.includes(k)));
      const mine = own[key];
      if (mine === undefined || mine === null) merged[key] = inherited;
      else if (isObject(mine)) merged[key] = { ...inherited, ...mine };
    }
    pools[name] = merged;
  }
  return { ...file, pools };
}
