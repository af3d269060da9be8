/**
 * The Sluice version, printed by `--version` and reported by the admin API.
 *
 * @module
 */

/** Semantic version of this build; kept equal to `version` in deno.json. */
export const VERSION = "0.1.0";
