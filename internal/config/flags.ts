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
import {
  LISTENER_NAMES,
  LOG_FORMATS,
  LOG_LEVELS,
  STRATEGY_NAMES,
  TRANSPORT_NAMES,
} from "./types.ts";

/** What every flag has: where its value goes, and how `--help` shows it. */
interface FlagInfo {
  /** Long name without the dashes, e.g. `health-path`. */
  readonly name: string;
  /** Dotted key of the config file shape the value sets, e.g. `health.path`; none for `config`. */
  readonly key: string | undefined;
  /** One-line description for `--help`. */
  readonly description: string;
  /** The default as shown by `--help`. */
  readonly defaultText: string;
  /** Further advice under the flag in `--help`, e.g. a safer way to pass it; wrapped to fit. */
  readonly note?: string;
}

/** One flag that takes a value, and where that value goes in the config file shape. */
export interface ValueFlag extends FlagInfo {
  /** Placeholder for the value in the usage text, e.g. `DUR`. */
  readonly valueName: string;
  /** The value is a comma-separated list, and a repeated flag adds to it. */
  readonly list?: true;
  /**
   * A secret with no command-line flag, only `SLUICE_<NAME>` and the file: argv is visible to
   * every user (`ps`, /proc/<pid>/cmdline). `--<name>` is refused with that advice.
   */
  readonly noFlag?: true;
}

/**
 * One on/off flag: `--<name>` alone sets its key to true, `--<name>=false` (or `true`, `1`, `0`)
 * sets it explicitly. `SLUICE_<NAME>` takes `true`, `false`, `1` or `0`; the file a YAML/JSON
 * boolean.
 */
export interface BooleanFlag extends FlagInfo {
  /** Marks the flag as one that takes no value. */
  readonly boolean: true;
}

/** A flag of either kind. */
export type Flag = ValueFlag | BooleanFlag;

/**
 * Every flag, in `--help` order. Each one can also be set by the environment variable
 * `SLUICE_<NAME>` (see `envVarName`); those marked `noFlag` only by that variable (and the file).
 */
export const FLAGS = [
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
    name: "listener",
    valueName: "NAME",
    key: "listener",
    description: `client listener: ${LISTENER_NAMES.join(" or ")}`,
    defaultText: CONFIG_DEFAULTS.listener,
    note: "http1: own HTTP/1.1 server with client timeouts, connection cap and WebSocket " +
      "tunnels; serve: Deno.serve",
  },
  {
    name: "tls-cert",
    valueName: "FILE",
    key: "tls.cert",
    description: "certificate chain (PEM): the proxy speaks HTTPS (HTTP/2, HTTP/1.1)",
    defaultText: "none (plain HTTP)",
  },
  {
    name: "tls-key",
    valueName: "FILE",
    key: "tls.key",
    description: "private key (PEM) of --tls-cert",
    defaultText: "none",
  },
  {
    name: "tls-redirect-http-port",
    valueName: "N",
    key: "tls.redirect_http_port",
    description: "plain-HTTP port answering 308 to the https:// URL",
    defaultText: "none",
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
    name: "connect-timeout",
    valueName: "DUR",
    key: "timeouts.connect",
    description: "longest wait for a connection to an upstream to open (http1 transport)",
    defaultText: formatDuration(CONFIG_DEFAULTS.timeouts.connectMs),
  },
  {
    name: "transport",
    valueName: "NAME",
    key: "proxy.transport",
    description: `how requests reach upstreams: ${TRANSPORT_NAMES.join(" or ")}`,
    defaultText: CONFIG_DEFAULTS.proxy.transport,
    note: "http1: Sluice's pooled keep-alive HTTP/1.1 client; fetch: Deno's fetch",
  },
  {
    name: "upstream-tls-ca",
    valueName: "FILE",
    key: "upstream_tls.ca",
    description: "PEM CA bundle trusted for https:// upstreams, besides the system's",
    defaultText: "system roots only",
  },
  {
    name: "upstream-tls-server-name",
    valueName: "NAME",
    key: "upstream_tls.server_name",
    description: "TLS name (SNI, verified) for https:// upstreams; http1 only",
    defaultText: "the URL's host",
  },
  {
    name: "upstream-tls-cert",
    valueName: "FILE",
    key: "upstream_tls.cert",
    description: "client certificate (PEM) for mutual TLS with https:// upstreams",
    defaultText: "none",
  },
  {
    name: "upstream-tls-key",
    valueName: "FILE",
    key: "upstream_tls.key",
    description: "private key (PEM) of --upstream-tls-cert",
    defaultText: "none",
  },
  {
    name: "retries",
    valueName: "N",
    key: "proxy.retries",
    description: "extra attempts, each on another upstream, after a failed try; 0-10",
    defaultText: String(CONFIG_DEFAULTS.proxy.retries),
  },
  {
    name: "retry-non-idempotent",
    boolean: true,
    key: "proxy.retry_non_idempotent",
    description: "retry POST and PATCH too, even once an upstream may have got them",
    defaultText: String(CONFIG_DEFAULTS.proxy.retryNonIdempotent),
  },
  {
    name: "compression",
    boolean: true,
    key: "compression.enabled",
    description: "compress responses for clients that accept br or gzip",
    defaultText: "false",
  },
  {
    name: "verbose-errors",
    boolean: true,
    key: "proxy.verbose_errors",
    description: "502/503/504 bodies name the upstream and its error (always logged)",
    defaultText: String(CONFIG_DEFAULTS.proxy.verboseErrors),
  },
  {
    name: "max-connections-per-upstream",
    valueName: "N",
    key: "limits.max_connections_per_upstream",
    description: "concurrent requests per upstream, then queue; 0 is unlimited",
    defaultText: String(CONFIG_DEFAULTS.limits.maxConnectionsPerUpstream),
  },
  {
    name: "max-body-size",
    valueName: "SIZE",
    key: "limits.max_body_size",
    description: "largest request body accepted (else 413); 0 is unlimited",
    defaultText: String(CONFIG_DEFAULTS.limits.maxBodyBytes),
  },
  {
    name: "max-client-connections",
    valueName: "N",
    key: "limits.max_client_connections",
    description: "client connections open at once; more get 503 (listener http1)",
    defaultText: String(CONFIG_DEFAULTS.limits.maxClientConnections),
  },
  {
    name: "rate-limit",
    valueName: "RPS",
    key: "limits.rate_limit",
    description: "requests per second per client IP, e.g. 100 or 0.5; 0 is off",
    defaultText: String(CONFIG_DEFAULTS.limits.rateLimitRps),
  },
  {
    name: "rate-burst",
    valueName: "N",
    key: "limits.rate_burst",
    description: "burst: requests a client IP may send at once; needs --rate-limit",
    defaultText: "the rate rounded up, at least 1",
  },
  {
    name: "passive-failures",
    valueName: "N",
    key: "passive.failures",
    description: "consecutive failed requests that eject an upstream; 0 is off",
    defaultText: String(CONFIG_DEFAULTS.passive.failures),
  },
  {
    name: "ejection-time",
    valueName: "DUR",
    key: "passive.ejection_time",
    description: "base time an ejected upstream sits out; grows with each ejection",
    defaultText: formatDuration(CONFIG_DEFAULTS.passive.ejectionTimeMs),
  },
  {
    name: "shutdown-timeout",
    valueName: "DUR",
    key: "timeouts.shutdown",
    description: "longest wait for in-flight requests on shutdown",
    defaultText: formatDuration(CONFIG_DEFAULTS.timeouts.shutdownMs),
  },
  {
    name: "client-header-timeout",
    valueName: "DUR",
    key: "timeouts.client_header",
    description: "whole request head within this, else 408 (listener http1)",
    defaultText: formatDuration(CONFIG_DEFAULTS.timeouts.clientHeaderMs),
  },
  {
    name: "client-idle-timeout",
    valueName: "DUR",
    key: "timeouts.client_idle",
    description: "idle keep-alive client connections close after this (listener http1)",
    defaultText: formatDuration(CONFIG_DEFAULTS.timeouts.clientIdleMs),
  },
  {
    name: "client-send-timeout",
    valueName: "DUR",
    key: "timeouts.client_send",
    description: "a write to a client stalled this long closes it (listener http1)",
    defaultText: formatDuration(CONFIG_DEFAULTS.timeouts.clientSendMs),
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
    name: "access-log",
    valueName: "DEST",
    key: "logging.access_log",
    description: "access log: stdout, off, or a file (reopened on SIGUSR1)",
    defaultText: "stdout",
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
  {
    name: "admin-allowed-hosts",
    valueName: "HOST,...",
    key: "admin.allowed_hosts",
    description: "Host values accepted without the admin token, besides loopback",
    defaultText: "none (loopback names only)",
    list: true,
  },
] as const satisfies readonly Flag[];

/** The name of any flag but `--help` and `--version`, e.g. `"health-path"`. */
export type FlagName = typeof FLAGS[number]["name"];

/** The name of a flag that takes a value, e.g. `"health-path"`. */
export type ValueFlagName = Exclude<typeof FLAGS[number], { boolean: true }>["name"];

/** The name of an on/off flag, e.g. `"retry-non-idempotent"`. */
export type BooleanFlagName = Extract<typeof FLAGS[number], { boolean: true }>["name"];

const ALL_FLAGS: readonly Flag[] = FLAGS;

/** Every flag that takes a value, in `--help` order. */
export const VALUE_FLAGS: readonly ValueFlag[] = ALL_FLAGS.filter(
  (flag): flag is ValueFlag => !isBooleanFlag(flag),
);

/** Every on/off flag, in `--help` order. */
export const BOOLEAN_FLAGS: readonly BooleanFlag[] = ALL_FLAGS.filter(isBooleanFlag);

/**
 * Whether `flag` is an on/off flag rather than one that takes a value.
 *
 * @param flag An entry of `FLAGS`.
 * @returns True for a `BooleanFlag`.
 */
export function isBooleanFlag(flag: Flag): flag is BooleanFlag {
  return "boolean" in flag && flag.boolean;
}

/**
 * Values of flags by flag name, as given (strings); absent when not given. An on/off flag given
 * without a value reads `"true"`.
 */
export type FlagValues = Partial<Record<FlagName, string>>;

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
const BOOLEAN_FLAG_NAMES: readonly string[] = BOOLEAN_FLAGS.map((flag) => flag.name);
const LIST_FLAG_NAMES: readonly string[] = ARGV_FLAGS.filter((flag) => flag.list).map((flag) =>
  flag.name
);
/** What an on/off flag may be set to with `=`, and its variable to. */
const ON_OFF_WORDS: readonly string[] = ["true", "false", "1", "0"];
const ALL_FLAG_NAMES: readonly string[] = [
  ...VALUE_FLAG_NAMES,
  ...BOOLEAN_FLAG_NAMES,
  "help",
  "version",
];

/**
 * Parses command-line arguments with `node:util` `parseArgs`.
 *
 * Both `--port 8080` and `--port=8080` work; `-h` is `--help`. An on/off flag such as
 * `--retry-non-idempotent` reads `"true"` alone, or the value after `=` (checked later, with the
 * other values). Unlike `parseArgs({ strict: true })`, which throws at the first mistake, every
 * unknown flag, missing value and positional argument is collected as a problem, so one run shows
 * them all.
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
      ...Object.fromEntries(BOOLEAN_FLAG_NAMES.map((name) => [name, { type: "boolean" as const }])),
      help: { type: "boolean", short: "h" },
      version: { type: "boolean" },
    },
    strict: false,
    allowPositionals: true,
    tokens: true,
  });
  let afterUnknownFlag = -1;
  let lastReportedIndex = -1;
  let afterBooleanFlag: { index: number; name: string } | undefined;
  for (const token of tokens) {
    const at = originalIndex[token.index] ?? token.index;
    if (token.kind === "option-terminator") continue;
    if (token.kind === "positional") {
      // `--prot 8080`: the unknown flag has already been reported; 8080 was meant as its value.
      if (token.index !== afterUnknownFlag) {
        const hint = token.index !== afterBooleanFlag?.index
          ? "every option is a --flag; see --help"
          : ON_OFF_WORDS.includes(token.value)
          ? `--${afterBooleanFlag.name} takes no value; write --${afterBooleanFlag.name}=${token.value}`
          : `--${afterBooleanFlag.name} takes no value`;
        found.push({
          at,
          problem: {
            path: "argv",
            message: `unexpected argument ${JSON.stringify(token.value)} (${hint})`,
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
    } else if (isBooleanFlagName(name) && rawName.startsWith("--")) {
      parsed.values[name] = token.value ?? "true";
      if (token.inlineValue !== true) afterBooleanFlag = { index: token.index + 1, name };
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

function isBooleanFlagName(name: string): name is BooleanFlagName {
  return BOOLEAN_FLAG_NAMES.includes(name);
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
