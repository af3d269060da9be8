/**
 * Command-line flags: the table of every flag, and parsing `Deno.args` against it.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { formatHashKey } from "./hash_key.ts";
import { suggestName } from "./_suggest.ts";
import { CONFIG_DEFAULTS } from "./defaults.ts";
import { formatDuration } from "./duration.ts";
import type { ConfigProblem } from "./errors.ts";
import { LOG_FORMATS, LOG_LEVELS, STRATEGY_NAMES } from "./types.ts";

/** One flag that takes a value, and where that value goes in the config file shape. */
export interface ValueFlag {
  /** Long name without the dashes, e.g. `health-path`. */
  readonly name: string;
  /** Placeholder for the value in the usage text, e.g. `DUR`. */
  readonly valueName: string;
  /** Dotted key of the config file shape the value sets, e.g. `health.path`; none for `config`. */
  readonly key: string | undefined;
  /** One-line description for `--help`. */
  readonly description: string;
  /** The default as shown by `--help`. */
  readonly defaultText: string;
  /** Further advice under the flag in `--help`, e.g. a safer way to pass it; wrapped to fit. */
  readonly note?: string;
  /** The value is a comma-separated list, and a repeated flag adds to it. */
  readonly list?: true;
  /**
   * A secret with no command-line flag, only `SLUICE_<NAME>` and the file: argv is visible to
   * every user (`ps`, /proc/<pid>/cmdline). `--<name>` is refused with that advice.
   */
  readonly noFlag?: true;
}

/**
 * Every flag that takes a value, in `--help` order. Each one can also be set by the environment
 * variable `SLUICE_<NAME>` (see `envVarName`); those marked `noFlag` only by that variable (and
 * the file).
 */
export const VALUE_FLAGS = [
  {
    name: "config",
    valueName: "FILE",
    key: undefined,
    description: "JSON (.json) or YAML file with the settings below and more",
    defaultText: "none",
  },
  {
    name: "host",
    valueName: "ADDR",
    key: "host",
    description: "address the proxy listens on",
    defaultText: CONFIG_DEFAULTS.host,
  },
  {
    name: "port",
    valueName: "N",
    key: "port",
    description: "TCP port the proxy listens on, 0-65535 (0 picks a free port)",
    defaultText: String(CONFIG_DEFAULTS.port),
  },
  {
    name: "backends",
    valueName: "URL[,URL...]",
    key: "backends",
    description: "upstream origins, comma-separated; replaces the file's list",
    defaultText: "none",
    list: true,
  },
  {
    name: "strategy",
    valueName: "NAME",
    key: "strategy",
    description: `load-balancing strategy, one of the ${STRATEGY_NAMES.length} below`,
    defaultText: CONFIG_DEFAULTS.strategy,
    note: STRATEGY_NAMES.join(", "),
  },
  {
    name: "hash-key",
    valueName: "KEY",
    key: "hash_key",
    description: "what consistent_hash hashes: ip, path, header:NAME or cookie:NAME",
    defaultText: formatHashKey(CONFIG_DEFAULTS.hashKey),
  },
  {
    name: "sticky-cookie",
    valueName: "NAME",
    key: "sticky.cookie",
    description: "sticky sessions: a signed cookie NAME pins clients to an upstream",
    defaultText: "none (no sticky sessions)",
  },
  {
    name: "sticky-secret",
    valueName: "SECRET",
    key: "sticky.secret",
    description: "HMAC key of the sticky cookie, 16+ characters",
    defaultText: "random per process",
    note: "no flag (argv is public); a random key unpins every client on restart",
    noFlag: true,
  },
  {
    name: "trusted-proxies",
    valueName: "CIDR,...",
    key: "trusted_proxies",
    description: "proxies whose X-Forwarded-For names the client (IPv4/IPv6 blocks)",
    defaultText: "none",
    list: true,
  },
  {
    name: "health-path",
    valueName: "PATH",
    key: "health.path",
    description: "HTTP path probed with GET, 2xx-3xx is up (e.g. /health)",
    defaultText: "none: a TCP connect check",
  },
  {
    name: "health-interval",
    valueName: "DUR",
    key: "health.interval",
    description: "time between health probes of one upstream",
    defaultText: formatDuration(CONFIG_DEFAULTS.health.intervalMs),
  },
  {
    name: "health-timeout",
    valueName: "DUR",
    key: "health.timeout",
    description: "time a health probe may take; at most the interval",
    defaultText: `${formatDuration(CONFIG_DEFAULTS.health.timeoutMs)}, or the interval if shorter`,
  },
  {
    name: "backend-timeout",
    valueName: "DUR",
    key: "timeouts.backend",
    description: "longest wait for an upstream's response headers",
    defaultText: formatDuration(CONFIG_DEFAULTS.timeouts.backendMs),
  },
  {
    name: "shutdown-timeout",
    valueName: "DUR",
    key: "timeouts.shutdown",
    description: "longest wait for in-flight requests on shutdown",
    defaultText: formatDuration(CONFIG_DEFAULTS.timeouts.shutdownMs),
  },
  {
    name: "log-level",
    valueName: "LEVEL",
    key: "logging.level",
    description: `lowest level logged: ${LOG_LEVELS.join(", ")}`,
    defaultText: CONFIG_DEFAULTS.logging.level,
  },
  {
    name: "log-format",
    valueName: "FORMAT",
    key: "logging.format",
    description: `log output: ${LOG_FORMATS.join(", ")}`,
    defaultText: "pretty on a terminal, else json",
  },
  {
    name: "admin-host",
    valueName: "ADDR",
    key: "admin.host",
    description: "address of the admin API; other than loopback needs a token",
    defaultText: CONFIG_DEFAULTS.admin.host,
  },
  {
    name: "admin-port",
    valueName: "N",
    key: "admin.port",
    description: "port of the admin API, metrics, probes, dashboard; 0-65535, 0 is off",
    defaultText: String(CONFIG_DEFAULTS.admin.port),
  },
  {
    name: "admin-token",
    valueName: "TOKEN",
    key: "admin.token",
    description: "bearer token the admin API asks for, at least 16 characters",
    defaultText: "none (allowed on loopback only)",
    // argv is world-readable (/proc/<pid>/cmdline, ps); the environment and a file are not.
    note: "better via SLUICE_ADMIN_TOKEN or admin.token: any user sees argv in ps",
  },
] as const satisfies readonly ValueFlag[];

/** The name of a flag that takes a value, e.g. `"health-path"`. */
export type ValueFlagName = typeof VALUE_FLAGS[number]["name"];

/** Values of flags that take one, by flag name; absent when not given. */
export type FlagValues = Partial<Record<ValueFlagName, string>>;

/** What `parseFlags` found on the command line. */
export interface ParsedFlags {
  /** Values by flag name. A repeated flag keeps its last value, except a `list` one, whose values are joined with `,`. */
  values: FlagValues;
  /** `--help` or `-h` was given. */
  help: boolean;
  /** `--version` was given. */
  version: boolean;
  /** Unknown flags, missing values and stray arguments; empty when the command line is fine. */
  problems: ConfigProblem[];
}

/**
 * Maps a flag to the environment variable that also sets it.
 *
 * @example
 * ```ts
 * envVarName("health-path"); // "SLUICE_HEALTH_PATH"
 * ```
 *
 * @param flag A long flag name without dashes.
 * @returns `SLUICE_` followed by the name upper-cased with dashes turned into underscores.
 */
export function envVarName(flag: string): string {
  return `SLUICE_${flag.toUpperCase().replaceAll("-", "_")}`;
}

const ARGV_FLAGS: readonly ValueFlag[] = VALUE_FLAGS.filter((flag: ValueFlag) => !flag.noFlag);
const VALUE_FLAG_NAMES: readonly string[] = ARGV_FLAGS.map((flag) => flag.name);
const LIST_FLAG_NAMES: readonly string[] = ARGV_FLAGS.filter((flag) => flag.list).map((flag) =>
  flag.name
);
const ALL_FLAG_NAMES: readonly string[] = [...VALUE_FLAG_NAMES, "help", "version"];

/**
 * Parses command-line arguments with `node:util` `parseArgs`.
 *
 * Both `--port 8080` and `--port=8080` work; `-h` is `--help`. Unlike `parseArgs({ strict: true })`,
 * which throws at the first mistake, every unknown flag, missing value and positional argument is
 * collected as a problem, so one run shows them all.
 *
 * @example
 * ```ts
 * parseFlags(["--port", "9000", "--backends=http://a:1,http://b:1"]).values;
 * // { port: "9000", backends: "http://a:1,http://b:1" }
 * ```
 *
 * @param args The arguments after the script name, e.g. `Deno.args`.
 * @returns The values found, the `--help`/`--version` switches and any problems. Never throws.
 */
export function parseFlags(args: readonly string[]): ParsedFlags {
  const parsed: ParsedFlags = { values: {}, help: false, version: false, problems: [] };
  const found: { at: number; problem: ConfigProblem }[] = [];
  // parseArgs would take `--host` in `--port --host ::` as the port; drop a value flag followed
  // by another flag (or by nothing) so the next flag still counts, and report the missing value.
  const kept: string[] = [];
  const originalIndex: number[] = [];
  for (const [index, arg] of args.entries()) {
    if (arg === "--") {
      kept.push(...args.slice(index));
      originalIndex.push(...args.slice(index).map((_, offset) => index + offset));
      break;
    }
    const name = arg.startsWith("--") ? arg.slice(2) : "";
    if (isValueFlag(name) && (args[index + 1] ?? "--").startsWith("--")) {
      found.push({ at: index, problem: missingValue(name) });
      continue;
    }
    kept.push(arg);
    originalIndex.push(index);
  }
  const { tokens } = parseArgs({
    args: kept,
    options: {
      ...Object.fromEntries(VALUE_FLAG_NAMES.map((name) => [name, { type: "string" as const }])),
      help: { type: "boolean", short: "h" },
      version: { type: "boolean" },
    },
    strict: false,
    allowPositionals: true,
    tokens: true,
  });
  let afterUnknownFlag = -1;
  let lastReportedIndex = -1;
  for (const token of tokens) {
    const at = originalIndex[token.index] ?? token.index;
    if (token.kind === "option-terminator") continue;
    if (token.kind === "positional") {
      // `--prot 8080`: the unknown flag has already been reported; 8080 was meant as its value.
      if (token.index !== afterUnknownFlag) {
        found.push({
          at,
          problem: {
            path: "argv",
            message: `unexpected argument ${
              JSON.stringify(token.value)
            } (every option is a --flag; see --help)`,
          },
        });
      }
      continue;
    }
    const { name, rawName } = token;
    if (name === "help" || name === "version") {
      if (token.value === undefined) {
        parsed[name] = true;
      } else {
        found.push({ at, problem: { path: rawName, message: "takes no value" } });
      }
    } else if (isValueFlag(name) && rawName.startsWith("--")) {
      if (token.value === undefined) {
        found.push({ at, problem: missingValue(name) });
      } else if (LIST_FLAG_NAMES.includes(name) && parsed.values[name] !== undefined) {
        parsed.values[name] = `${parsed.values[name]},${token.value}`;
      } else {
        parsed.values[name] = token.value;
      }
    } else if (token.index !== lastReportedIndex) {
      // parseArgs splits `-port` into -p -o -r -t; report the argument once, as written.
      const written = rawName.startsWith("--")
        ? rawName
        : (kept[token.index] ?? rawName).split("=")[0] ?? rawName;
      found.push({ at, problem: { path: written, message: unknownFlagMessage(written) } });
      lastReportedIndex = token.index;
      if (token.inlineValue !== true) afterUnknownFlag = token.index + 1;
    }
  }
  parsed.problems = found.sort((a, b) => a.at - b.at).map(({ problem }) => problem);
  return parsed;
}

function isValueFlag(name: string): name is ValueFlagName {
  return VALUE_FLAG_NAMES.includes(name);
}

function missingValue(name: ValueFlagName): ConfigProblem {
  const flag = VALUE_FLAGS.find((candidate) => candidate.name === name);
  return { path: `--${name}`, message: `needs a value (--${name} ${flag?.valueName ?? "VALUE"})` };
}

function unknownFlagMessage(written: string): string {
  const name = written.replace(/^-+/, "");
  const secret = VALUE_FLAGS.find((flag: ValueFlag) => flag.noFlag && flag.name === name);
  if (secret !== undefined) {
    return `is not accepted on the command line, where every user sees it (ps): set ${
      envVarName(secret.name)
    } or ${secret.key} in the config file`;
  }
  const suggestion = name.length > 1 ? suggestName(name, ALL_FLAG_NAMES) : undefined;
  return suggestion === undefined
    ? "unknown flag (see --help)"
    : `unknown flag (did you mean --${suggestion}? see --help)`;
}
