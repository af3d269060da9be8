/**
 * Reading and parsing the `--config` file: JSON by its `.json` extension, YAML otherwise.
 *
 * @module
 */

import { showValue } from "./_show.ts";
import type { PermissionQuery } from "./env.ts";
import { ConfigError } from "./errors.ts";

/** Options of `parseConfigText`. */
export interface ParseConfigTextOptions {
  /**
   * Path reported with each problem: the flag or environment variable that named the file.
   * @default "--config"
   */
  source?: string;
  /**
   * Checks permissions without prompting.
   * @default Deno.permissions.querySync
   */
  queryPermission?: PermissionQuery;
}

/** Options of `readConfigFile`. */
export interface ReadConfigFileOptions extends ParseConfigTextOptions {
  /**
   * Reads the whole file as UTF-8.
   * @default Deno.readTextFile
   */
  readTextFile?: (path: string) => Promise<string>;
}

/**
 * Reads and parses a config file into a plain object, without validating its settings (see
 * `validateConfig`).
 *
 * Checks `--allow-read` for the file first, so a missing grant is reported instead of prompting.
 *
 * @param path The file path as given to `--config` or `SLUICE_CONFIG`.
 * @param options See `ReadConfigFileOptions`.
 * @returns The file's top-level mapping; `{}` for an empty file.
 * @throws {ConfigError} When read permission is missing, the file cannot be read, is not valid
 * JSON or YAML (with line and column), or does not hold a mapping at the top level.
 */
export async function readConfigFile(
  path: string,
  options: ReadConfigFileOptions = {},
): Promise<Record<string, unknown>> {
  const source = options.source ?? "--config";
  const queryPermission = options.queryPermission ?? queryDenoPermission;
  const shown = JSON.stringify(path);
  if (!isGranted(queryPermission, { name: "read", path })) {
    throw new ConfigError([{
      path: source,
      message: `reading ${shown} needs --allow-read ` +
        "(run: deno run --allow-net --allow-read main.ts ...)",
    }]);
  }
  let text: string;
  try {
    text = await (options.readTextFile ?? Deno.readTextFile)(path);
  } catch (error) {
    throw new ConfigError([{ path: source, message: readFailure(shown, error) }], { cause: error });
  }
  return parseConfigText(text, path, { ...options, source });
}

/**
 * Parses the text of a config file: JSON when `path` ends in `.json`, YAML (a superset of JSON)
 * otherwise.
 *
 * @param text The file's content.
 * @param path The file's path, used to pick the format and in messages.
 * @param options See `ParseConfigTextOptions`.
 * @returns The top-level mapping; `{}` when the file is empty.
 * @throws {ConfigError} (as a rejection) On a syntax error (each with its line and column), a key
 * repeated within one JSON object, a top level that is not a mapping.
 */
export async function parseConfigText(
  text: string,
  path: string,
  options: ParseConfigTextOptions = {},
): Promise<Record<string, unknown>> {
  const source = options.source ?? "--config";
  const shown = JSON.stringify(path);
  const content = text.replace(/^\uFEFF/, "");
  if (content.trim() === "") return {};
  let data: unknown;
  if (path.toLowerCase().endsWith(".json")) {
    try {
      data = JSON.parse(content);
    } catch (error) {
      throw new ConfigError([{
        path: source,
        message: `${shown} is not valid JSON: ${(error as Error).message}`,
      }], { cause: error });
    }
    // JSON.parse keeps the last of repeated keys without a word; YAML's parser names them (and
    // is loaded here only for a JSON file, never for flags or variables).
    const { duplicateJsonKeys } = await import("./yaml_text.ts");
    const repeats = duplicateJsonKeys(content, shown, source);
    if (repeats.length > 0) throw new ConfigError(repeats);
  } else {
    // Imported for a YAML file only: once loaded, the parser's code stays in memory for the
    // whole run (about 1 MB of heap, 0.8 MB RSS), which flags, variables or JSON do not need.
    const { parseYaml } = await import("./yaml_text.ts");
    data = parseYaml(content, shown, source);
  }
  if (data === null) return {};
  if (typeof data !== "object" || Array.isArray(data)) {
    throw new ConfigError([{
      path: source,
      message: `${shown} must hold a mapping of settings at the top level, found ${
        Array.isArray(data) ? "a list" : showValue(data)
      }`,
    }]);
  }
  return data as Record<string, unknown>;
}

function readFailure(shown: string, error: unknown): string {
  if (error instanceof Deno.errors.NotFound) return `cannot read ${shown}: no such file`;
  if (error instanceof Deno.errors.IsADirectory) return `cannot read ${shown}: it is a directory`;
  if (error instanceof Deno.errors.PermissionDenied || error instanceof Deno.errors.NotCapable) {
    return `cannot read ${shown}: permission denied`;
  }
  return `cannot read ${shown}: ${error instanceof Error ? error.message : String(error)}`;
}

function isGranted(
  queryPermission: PermissionQuery,
  descriptor: Deno.PermissionDescriptor,
): boolean {
  try {
    return queryPermission(descriptor) === "granted";
  } catch {
    return false;
  }
}

function queryDenoPermission(descriptor: Deno.PermissionDescriptor): Deno.PermissionState {
  return Deno.permissions.querySync(descriptor).state;
}
