/**
 * Parsing a YAML config file's text with the `yaml` package. `parseConfigText` (config_file.ts) imports
 * this module only for a YAML file, so the parser is not loaded (nor held in memory for the whole
 * run) when the configuration comes from flags, the environment or a JSON file.
 *
 * @module
 */

import process from "node:process";
import { LineCounter, parseDocument } from "yaml";
import { ConfigError, type ConfigProblem } from "./errors.ts";

const MAX_SYNTAX_PROBLEMS = 5;

/**
 * Parses YAML text into plain data (`document.toJS()`).
 * @param content The file's text, without a byte order mark.
 * @param shown The file's path as shown in messages (JSON-quoted).
 * @param source Path reported with each problem: the flag or variable that named the file.
 * @returns The document's value: a mapping, list, scalar or `null`.
 * @throws {ConfigError} On syntax errors (the first five, each with its line and column, and how
 * many more there are) and on an alias to an undefined anchor or too many aliases.
 */
export function parseYaml(content: string, shown: string, source: string): unknown {
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

/**
 * The keys a JSON text repeats within one object. `JSON.parse` keeps the last of them silently, so
 * a config file with two `"pools": {"web": …, "web": …}` entries would lose the first without a
 * word; YAML's parser (JSON is a subset of YAML 1.2) reports each repeat with its position.
 * @param content JSON text that `JSON.parse` accepted.
 * @param shown The file's path as shown in messages (JSON-quoted).
 * @param source Path reported with each problem: the flag or variable that named the file.
 * @returns One problem per repeated key (the first five, then how many more), empty when none.
 */
export function duplicateJsonKeys(content: string, shown: string, source: string): ConfigProblem[] {
  const lineCounter = new LineCounter();
  const document = withoutProcessEnv(() =>
    parseDocument(content, { lineCounter, prettyErrors: false, logLevel: "silent" })
  );
  const repeats = document.errors.filter((error) => error.code === "DUPLICATE_KEY");
  const problems: ConfigProblem[] = repeats.slice(0, MAX_SYNTAX_PROBLEMS).map((error) => {
    const { line, col } = lineCounter.linePos(error.pos[0]);
    return {
      path: source,
      message:
        `${shown} repeats a key in one object (JSON would keep only the last): line ${line}, ` +
        `column ${col}`,
    };
  });
  const more = repeats.length - MAX_SYNTAX_PROBLEMS;
  if (more > 0) problems.push({ path: source, message: `${shown} repeats ${more} more keys` });
  return problems;
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
