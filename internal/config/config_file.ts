/**
 * Reading and parsing the `--config` file: JSON by its `.json` extension, YAML otherwise.
 *
 * @module
 */

import process from "node:process";
import { LineCounter, parseDocument } from "yaml";
import { showValue } from "./_show.ts";
import type { PermissionQuery } from "./env.ts";
import { ConfigError, type ConfigProblem } from "./errors.ts";

const MAX_SYNTAX_PROBLEMS = 5;

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
 * @throws {ConfigError} On a syntax error (each with its line and column), on a top level that is
 * not a mapping.
 */
export function parseConfigText(
  text: string,
  path: string,
  options: ParseConfigTextOptions = {},
): Record<string, unknown> {
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
  } else {
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

function parseYaml(content: string, shown: string, source: string): unknown {
  return withoutProcessEnv(() => parseYamlDocument(content, shown, source));
}

/**
 * The `yaml` package reads `process.env.LOG_TOKENS` and `LOG_STREAM` (debug switches) while it
 * parses, which under Deno needs `--allow-env` for them, or prompts on a terminal. Parsing is
 * synchronous, so `process.env` is swapped for an empty object for its duration: YAML then
 * needs `--allow-read` alone, and nothing else can observe the swap.
 */
function withoutProcessEnv<T>(run: () => T): T {
  const saved = process.env;
  process.env = {};
  try {
    return run();
  } finally {
    process.env = saved;
  }
}

function parseYamlDocument(content: string, shown: string, source: string): unknown {
  const lineCounter = new LineCounter();
  const document = parseDocument(content, { lineCounter, prettyErrors: false, logLevel: "silent" });
  if (document.errors.length > 0) {
    const problems: ConfigProblem[] = document.errors.slice(0, MAX_SYNTAX_PROBLEMS).map((error) => {
      const { line, col } = lineCounter.linePos(error.pos[0]);
      return {
        path: source,
        message: `${shown} is not valid YAML: line ${line}, column ${col}: ${error.message}`,
      };
    });
    const more = document.errors.length - MAX_SYNTAX_PROBLEMS;
    if (more > 0) {
      problems.push({ path: source, message: `${shown} has ${more} more YAML syntax errors` });
    }
    throw new ConfigError(problems);
  }
  try {
    return document.toJS();
  } catch (error) {
    // An alias to an undefined anchor, or more aliases than `maxAliasCount` allows.
    throw new ConfigError([{
      path: source,
      message: `${shown} is not valid YAML: ${(error as Error).message}`,
    }], { cause: error });
  }
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
