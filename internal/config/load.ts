/**
 * Loading the configuration from its four sources, highest first: command-line flags,
 * environment variables (`SLUICE_*`), the config file (`--config`), defaults.
 *
 * @module
 */

import { readConfigFile } from "./config_file.ts";
import {
  createPermittedEnvReader,
  type EnvReader,
  type PermissionQuery,
  readEnvFlags,
} from "./env.ts";
import { ConfigError, type ConfigProblem } from "./errors.ts";
import { envVarName, FLAGS, type FlagValues, parseFlags } from "./flags.ts";
import { HELP_TEXT } from "./help.ts";
import { validateConfig } from "./schema.ts";
import type { Config, LogFormat } from "./types.ts";
import { readUpstreamTlsFiles } from "./upstream_tls.ts";
import { readTlsFiles } from "./tls.ts";

/** Options of `loadConfig`; the defaults use the real process, the others are for tests. */
export interface LoadConfigOptions {
  /**
   * Reads an environment variable.
   * @default a reader that reads `SLUICE_*` only where `--allow-env` grants it, never prompting
   */
  env?: EnvReader;
  /**
   * Reads the config file.
   * @default Deno.readTextFile
   */
  readTextFile?: (path: string) => Promise<string>;
  /**
   * Checks a permission without prompting, before reading the config file or a variable.
   * @default Deno.permissions.querySync
   */
  queryPermission?: PermissionQuery;
  /**
   * `logging.format` when no source sets it.
   * @default "pretty" when stdout is a terminal, else "json"
   */
  defaultLogFormat?: LogFormat;
  /**
   * Version shown by `--version`, e.g. the `version` of deno.json.
   * @default "unknown"
   */
  version?: string;
}

/** Where the loaded configuration came from, e.g. for a start-up log line. */
export interface ConfigSources {
  /** The config file read, as given to `--config` or `SLUICE_CONFIG`; `undefined` when none. */
  file: string | undefined;
  /**
   * Settings that a flag or environment variable set, by dotted config file key, e.g.
   * `{ "port": "--port", "health.path": "SLUICE_HEALTH_PATH" }`.
   */
  overrides: Readonly<Record<string, string>>;
}

/** What `loadConfig` found: a configuration to run, or text to print before exiting with 0. */
export type LoadResult =
  | { kind: "config"; config: Config; sources: ConfigSources }
  | { kind: "help"; text: string }
  | { kind: "version"; text: string };

/**
 * Loads and validates the configuration from flags, environment, config file and defaults.
 *
 * Each setting is taken from the highest source that has it (flags > `SLUICE_*` environment >
 * file > defaults); `--backends` replaces the file's whole list. The layers are merged into the
 * file shape and validated once, so every problem of every source is reported together, each
 * under the flag, variable or file path it came from (`--port`, `SLUICE_PORT`, `backends[1].url`).
 * `--help` and `--version` return their text without reading the environment or any file.
 *
 * @example
 * ```ts
 * const result = await loadConfig(Deno.args, { version: "0.1.0" });
 * if (result.kind === "config") console.log(result.config.port);
 * ```
 *
 * @param args Command-line arguments, e.g. `Deno.args`.
 * @param options See `LoadConfigOptions`.
 * @returns The configuration with its sources, or the help or version text.
 * @throws {ConfigError} Listing every problem found: unknown flags or stray arguments, a config
 * file that cannot be read (permission, missing, directory) or parsed (with line and column),
 * and every invalid value. Nothing else is thrown for bad input.
 */
export async function loadConfig(
  args: readonly string[],
  options: LoadConfigOptions = {},
): Promise<LoadResult> {
  const flags = parseFlags(args);
  if (flags.help) return { kind: "help", text: HELP_TEXT };
  if (flags.version) {
    return {
      kind: "version",
      text: `sluice ${options.version ?? "unknown"} (deno ${Deno.version.deno})`,
    };
  }
  const problems: ConfigProblem[] = [...flags.problems];
  const permission = options.queryPermission === undefined
    ? {}
    : { queryPermission: options.queryPermission };
  const env = readEnvFlags(options.env ?? createPermittedEnvReader(permission));

  const configSource = flags.values.config !== undefined ? "--config" : envVarName("config");
  const configPath = flags.values.config ?? env.config;
  let file: Record<string, unknown> = {};
  if (configPath === "") {
    problems.push({ path: configSource, message: "needs a file path (--config FILE)" });
  } else if (configPath !== undefined) {
    try {
      file = await readConfigFile(configPath, {
        ...permission,
        ...(options.readTextFile === undefined ? {} : { readTextFile: options.readTextFile }),
        source: configSource,
      });
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      problems.push(...error.problems);
    }
  }

  const { merged, overrides } = mergeOverrides(file, [
    { values: env, label: envVarName },
    { values: flags.values, label: (name) => `--${name}` },
  ]);
  let config: Config | undefined;
  try {
    config = validateConfig(merged, {
      defaultLogFormat: options.defaultLogFormat ?? (Deno.stdout.isTerminal() ? "pretty" : "json"),
      renamePath: (path) => sourceOf(path, overrides),
    });
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    problems.push(...error.problems);
  }
  if (config !== undefined) {
    const tls = config.upstreamTls;
    const readFile = options.readTextFile ?? ((path: string) => Deno.readTextFile(path));
    const read = await readUpstreamTlsFiles(tls, readFile);
    problems.push(...read.problems.map((p) => ({ ...p, path: sourceOf(p.path, overrides) })));
    config = { ...config, upstreamTls: { ...tls, pem: read.pem } };
    const top = config.upstreamTls;
    const sameFiles = (a: typeof top, b: typeof top) =>
      a.caFile === b.caFile && a.certFile === b.certFile && a.keyFile === b.keyFile;
    const pools = [];
    for (const pool of config.pools) {
      if (sameFiles(pool.upstreamTls, top)) {
        pools.push({ ...pool, upstreamTls: { ...pool.upstreamTls, pem: top.pem } });
        continue;
      }
      const own = await readUpstreamTlsFiles(pool.upstreamTls, readFile);
      problems.push(...own.problems.map((p) => ({ ...p, path: `pools.${pool.name}.${p.path}` })));
      pools.push({ ...pool, upstreamTls: { ...pool.upstreamTls, pem: own.pem } });
    }
    config = { ...config, pools };
    if (config.tls !== undefined) {
      const listener = await readTlsFiles(config.tls, readFile);
      problems.push(
        ...listener.problems.map((p) => ({ ...p, path: sourceOf(p.path, overrides) })),
      );
      config = { ...config, tls: { ...config.tls, pem: listener.pem } };
    }
  }
  if (problems.length > 0 || config === undefined) throw new ConfigError(problems);
  return { kind: "config", config, sources: { file: configPath, overrides } };
}

interface OverrideLayer {
  values: FlagValues;
  label: (flag: string) => string;
}

/** Applies flag-style values onto the file shape, lowest layer first. */
function mergeOverrides(
  file: Record<string, unknown>,
  layers: readonly OverrideLayer[],
): { merged: Record<string, unknown>; overrides: Record<string, string> } {
  let merged = file;
  const overrides: Record<string, string> = {};
  for (const { values, label } of layers) {
    for (const flag of FLAGS) {
      const value = values[flag.name];
      if (flag.key === undefined || value === undefined) continue;
      const setting = flag.name === "backends" ? splitBackends(value) : value;
      const updated = withValueAt(merged, flag.key.split("."), setting);
      if (updated === undefined) continue;
      merged = updated;
      overrides[flag.key] = label(flag.name);
    }
  }
  return { merged, overrides };
}

/** `"http://a:1, http://b:1"` becomes `[{ url: "http://a:1" }, { url: "http://b:1" }]`. */
function splitBackends(value: string): { url: string }[] {
  return value.split(",").map((url) => url.trim()).filter((url) => url !== "").map((url) => ({
    url,
  }));
}

/**
 * A copy of `target` with `value` at `keys`, creating missing sections. `undefined` when a
 * section on the way is not an object: the file's own problem there is reported instead.
 */
function withValueAt(
  target: Record<string, unknown>,
  keys: readonly string[],
  value: unknown,
): Record<string, unknown> | undefined {
  const [key, ...rest] = keys;
  if (key === undefined) return undefined;
  if (rest.length === 0) return { ...target, [key]: value };
  const section = target[key] ?? {};
  if (typeof section !== "object" || section === null || Array.isArray(section)) return undefined;
  const updated = withValueAt(section as Record<string, unknown>, rest, value);
  return updated === undefined ? undefined : { ...target, [key]: updated };
}

/** The flag or variable that set `path` (or a section containing it), else `path` itself. */
function sourceOf(path: string, overrides: Readonly<Record<string, string>>): string {
  for (const [key, label] of Object.entries(overrides)) {
    if (path === key || path.startsWith(`${key}.`) || path.startsWith(`${key}[`)) return label;
  }
  return path;
}
