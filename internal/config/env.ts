/**
 * Environment variables: `SLUICE_<FLAG>` for every flag, read only where the process has been
 * granted permission, so a missing grant never prompts and never throws.
 *
 * @module
 */

import { envVarName, FLAGS, type FlagValues } from "./flags.ts";

/** Reads one environment variable; `undefined` when it is unset or may not be read. */
export type EnvReader = (name: string) => string | undefined;

/** Answers whether a permission is granted, like `Deno.permissions.querySync` (never prompts). */
export type PermissionQuery = (descriptor: Deno.PermissionDescriptor) => Deno.PermissionState;

/** Options of `createPermittedEnvReader`. */
export interface PermittedEnvReaderOptions {
  /**
   * Reads a variable once permission is known to be granted.
   * @default Deno.env.get
   */
  get?: EnvReader;
  /**
   * Checks the permission of each variable before reading it.
   * @default Deno.permissions.querySync
   */
  queryPermission?: PermissionQuery;
}

/**
 * Creates an `EnvReader` that reads a variable only when `--allow-env` covers it (e.g.
 * `--allow-env=SLUICE_*`), checked per variable. Anything else reads as unset: no prompt, no throw.
 *
 * @param options See `PermittedEnvReaderOptions`; the defaults use the real environment.
 * @returns A reader that returns `undefined` for unset or not-permitted variables.
 */
export function createPermittedEnvReader(options: PermittedEnvReaderOptions = {}): EnvReader {
  const get = options.get ?? ((name: string) => Deno.env.get(name));
  const queryPermission = options.queryPermission ??
    ((descriptor: Deno.PermissionDescriptor) => Deno.permissions.querySync(descriptor).state);
  return function readPermittedEnv(name: string): string | undefined {
    try {
      return queryPermission({ name: "env", variable: name }) === "granted" ? get(name) : undefined;
    } catch {
      // A permission revoked in between reads as unset, like one never granted.
      return undefined;
    }
  };
}

/**
 * Reads `SLUICE_<FLAG>` for every flag (`SLUICE_PORT`, `SLUICE_BACKENDS`, `SLUICE_HEALTH_PATH`,
 * `SLUICE_CONFIG`, `SLUICE_RETRY_NON_IDEMPOTENT`, …). `--help` and `--version` have no variable.
 * Values are kept as written; an on/off flag's `true`, `false`, `1` or `0` is checked with the
 * other values.
 *
 * @param read How to read a variable, e.g. `createPermittedEnvReader()`.
 * @returns Values by flag name. An empty variable counts as unset, as `docker run -e X=` or
 * compose files with blank entries produce them.
 */
export function readEnvFlags(read: EnvReader): FlagValues {
  const values: FlagValues = {};
  for (const { name } of FLAGS) {
    const value = read(envVarName(name));
    if (value !== undefined && value !== "") values[name] = value;
  }
  return values;
}
