// deno-lint-ignore-file no-console -- a command-line tool: its console output is the interface.
/**
 * A demo upstream server compatible with
 * {@link https://github.com/hashicorp/http-echo | hashicorp/http-echo} 1.0: every path answers
 * with the configured text plus a newline, `/health` answers `{"status":"ok"}`.
 *
 * It accepts http-echo's Go-style flags (`-text`, `-listen`, `-status-code`, `-version`, single or
 * double dash, `-flag=value` or `-flag value`) and the `ECHO_TEXT` environment variable, so the
 * local demo and the docker-compose demo (which runs the real image) behave alike. In addition
 * it sets `X-Upstream: <text>` so a client can see which upstream answered.
 *
 * @example Run one from the command line
 * ```sh
 * deno run --allow-net demo/upstream.ts -text "upstream 1" -listen 127.0.0.1:9001
 * ```
 *
 * @example Start one in-process
 * ```ts
 * import { startUpstream } from "./upstream.ts";
 *
 * const controller = new AbortController();
 * const upstream = startUpstream({ text: "hello", port: 0, signal: controller.signal });
 * const response = await fetch(`http://127.0.0.1:${upstream.addr.port}/`);
 * console.log(await response.text()); // "hello\n"
 * controller.abort();
 * await upstream.finished;
 * ```
 *
 * @module
 */

import { parseArgs } from "node:util";

/** Value of the `X-App-Name` header, as sent by http-echo. */
export const APP_NAME = "http-echo";

/** Value of the `X-App-Version` header: the http-echo release this server mimics. */
export const APP_VERSION = "1.0.0";

/** The address http-echo listens on when `-listen` is not given. */
export const DEFAULT_LISTEN = ":5678";

/** Options for {@linkcode startUpstream}. */
export interface UpstreamOptions {
  /** Text returned (followed by `"\n"`) for every path except `/health`. */
  text: string;
  /**
   * Interface to listen on.
   * @default {"127.0.0.1"}
   */
  hostname?: string;
  /**
   * TCP port to listen on; `0` picks a free one (read it back from `addr.port`).
   * @default {5678}
   */
  port?: number;
  /**
   * Status code of the text responses (200–599; `/health` always answers 200).
   * @default {200}
   */
  statusCode?: number;
  /** Aborting it stops the server: in-flight requests finish, then `finished` resolves. */
  signal?: AbortSignal;
}

/** A running upstream server returned by {@linkcode startUpstream}. */
export interface Upstream {
  /** The underlying Deno HTTP server (`shutdown()` stops it as well as the signal does). */
  server: Deno.HttpServer<Deno.NetAddr>;
  /** The address actually bound; `addr.port` is the real port when `port: 0` was asked for. */
  addr: Deno.NetAddr;
  /** Resolves when the server has stopped. */
  finished: Promise<void>;
}

/**
 * Starts an http-echo compatible upstream server.
 *
 * Responses:
 * - `/health` (exact path, any method): 200, `{"status":"ok"}\n`, `application/json`.
 * - any other path: `statusCode`, `text + "\n"`, `text/plain; charset=utf-8`
 *   (no body for 204, 205 and 304).
 *
 * Every response carries `X-App-Name: http-echo`, `X-App-Version` and `X-Upstream: <text>`
 * (characters outside printable ASCII percent-encoded, since header values cannot hold them).
 * A request body is read and discarded before answering, as http-echo does, so clients can finish
 * sending and the connection stays reusable.
 *
 * @param options What to answer and where to listen.
 * @returns The running server, its bound address and a promise that resolves when it stops.
 * @throws {RangeError} When `port` is not an integer in 0–65535 or `statusCode` not one in
 * 200–599.
 * @throws {Deno.errors.AddrInUse} When the address is already taken.
 */
export function startUpstream(options: UpstreamOptions): Upstream {
  const { text, hostname = "127.0.0.1", port = 5678, statusCode = 200, signal } = options;
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new RangeError(
      `Cannot start upstream: port must be an integer in 0-65535: current value is ${port}`,
    );
  }
  assertStatusCode(statusCode);

  const commonHeaders: [string, string][] = [
    ["x-app-name", APP_NAME],
    ["x-app-version", APP_VERSION],
    ["x-upstream", toHeaderValue(text)],
  ];
  const textHeaders: [string, string][] = [
    ["content-type", "text/plain; charset=utf-8"],
    ...commonHeaders,
  ];
  const healthHeaders: [string, string][] = [
    ["content-type", "application/json"],
    ...commonHeaders,
  ];
  const textBody = NULL_BODY_STATUSES.has(statusCode) ? null : `${text}\n`;

  const handler = async (request: Request): Promise<Response> => {
    if (request.body !== null) await request.body.pipeTo(new WritableStream());
    if (isHealthPath(request.url)) {
      return new Response(HEALTH_BODY, { status: 200, headers: healthHeaders });
    }
    return new Response(textBody, { status: statusCode, headers: textHeaders });
  };

  const server = Deno.serve({
    hostname,
    port,
    ...(signal === undefined ? {} : { signal }),
    // Deno.serve logs "Listening on ..." unless onListen is given; callers print their own line.
    onListen() {},
    handler,
  });
  return { server, addr: server.addr, finished: server.finished };
}

/** What the `upstream.ts` command line asks for, as returned by {@linkcode parseUpstreamArgs}. */
export type UpstreamCommand =
  | { kind: "help"; usage: string }
  | { kind: "version"; version: string }
  | {
    kind: "serve";
    text: string;
    hostname: string;
    port: number;
    statusCode: number;
  };

/** Options for {@linkcode parseUpstreamArgs}. */
export interface ParseUpstreamArgsOptions {
  /**
   * Value of the `ECHO_TEXT` environment variable, used when `-text` is missing or empty
   * (http-echo's fallback).
   */
  echoText?: string | undefined;
}

/**
 * Parses http-echo's command line: `-text <text>`, `-listen <[host]:port>` (default `:5678`,
 * where an empty host means all IPv4 interfaces, `0.0.0.0`), `-status-code <n>` (default 200),
 * `-version`, `-h`/`-help`.
 *
 * Flags use Go's `flag` syntax, normalised by {@linkcode normalizeGoFlags} before `parseArgs`.
 *
 * @param argv Arguments after the program name (e.g. `Deno.args`).
 * @param options Fallbacks from the environment.
 * @returns The command to run.
 * @throws {TypeError} When a flag is unknown, a value is missing, there are positional
 * arguments, or neither `-text` nor `ECHO_TEXT` gives a text.
 * @throws {RangeError} When the port or the status code is out of range.
 *
 * @example
 * ```ts
 * import { parseUpstreamArgs } from "./upstream.ts";
 *
 * parseUpstreamArgs(["-text=hi", "-listen", "127.0.0.1:9001"]);
 * // { kind: "serve", text: "hi", hostname: "127.0.0.1", port: 9001, statusCode: 200 }
 * ```
 */
export function parseUpstreamArgs(
  argv: readonly string[],
  options: ParseUpstreamArgsOptions = {},
): UpstreamCommand {
  let parsed;
  try {
    parsed = parseArgs({
      args: normalizeGoFlags(argv, STRING_FLAGS),
      options: {
        text: { type: "string" },
        listen: { type: "string" },
        "status-code": { type: "string" },
        version: { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
      strict: true,
      allowPositionals: true,
    });
  } catch (error) {
    throw new TypeError(`Cannot parse arguments: ${(error as Error).message}`, { cause: error });
  }
  const { values, positionals } = parsed;
  if (values.help) return { kind: "help", usage: USAGE };
  if (values.version) {
    return { kind: "version", version: `${APP_NAME} v${APP_VERSION} (sluice demo)` };
  }
  if (positionals.length > 0) {
    throw new TypeError(
      `Too many arguments: current value is ${JSON.stringify(positionals)}`,
    );
  }

  const text = values.text || options.echoText;
  if (!text) throw new TypeError("Missing -text option or ECHO_TEXT env var");
  const { hostname, port } = parseListenAddress(values.listen ?? DEFAULT_LISTEN);
  const statusText = values["status-code"] ?? "200";
  const statusCode = /^\d+$/.test(statusText) ? Number(statusText) : Number.NaN;
  assertStatusCode(statusCode, statusText);
  return { kind: "serve", text, hostname, port, statusCode };
}

/**
 * Rewrites Go `flag`-style arguments into the form `node:util` `parseArgs` understands.
 *
 * - `-name` / `-name=value` (one dash, several letters) become `--name` / `--name=value`;
 *   single letters such as `-h` stay short options.
 * - A flag listed in `stringFlags` written without `=` takes the next argument as its value,
 *   even one starting with `-` (as Go does), joined into `--name=value` so `parseArgs` never
 *   sees an ambiguous value.
 * - `--` ends flag parsing; it and everything after it are kept as they are.
 *
 * @param argv Arguments after the program name.
 * @param stringFlags Names (without dashes) of the flags that take a value.
 * @returns The rewritten arguments; `argv` is not modified.
 *
 * @example
 * ```ts
 * import { normalizeGoFlags } from "./upstream.ts";
 *
 * normalizeGoFlags(["-text", "hi", "-listen=:9001", "-h"], ["text", "listen"]);
 * // ["--text=hi", "--listen=:9001", "-h"]
 * ```
 */
export function normalizeGoFlags(
  argv: readonly string[],
  stringFlags: readonly string[],
): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "--") {
      out.push(...argv.slice(i));
      break;
    }
    const match = /^--?([^-=][^=]*)(=[\s\S]*)?$/.exec(arg);
    if (match === null || (!arg.startsWith("--") && match[1]!.length === 1)) {
      out.push(arg);
      continue;
    }
    const name = match[1]!;
    const inlineValue = match[2];
    if (inlineValue !== undefined) {
      out.push(`--${name}${inlineValue}`);
    } else if (stringFlags.includes(name) && i + 1 < argv.length) {
      out.push(`--${name}=${argv[++i]}`);
    } else {
      out.push(`--${name}`);
    }
  }
  return out;
}

const STRING_FLAGS = ["text", "listen", "status-code"] as const;

const USAGE = `Usage: upstream.ts -text <text> [-listen [host]:port] [-status-code <code>]

An http-echo compatible server for the Sluice demo.

  -text <text>         text to return (required; falls back to the ECHO_TEXT env var)
  -listen <addr>       address and port to listen on (default ":5678", all interfaces)
  -status-code <code>  status code of the text responses (default 200)
  -version             print the version and exit
  -h, -help            print this help and exit`;

const HEALTH_BODY = '{"status":"ok"}\n';

/** Statuses whose responses must not have a body (RFC 9110 §15.3.5, §15.3.6, §15.4.5). */
const NULL_BODY_STATUSES = new Set([204, 205, 304]);

function assertStatusCode(statusCode: number, seen: unknown = statusCode): void {
  // The Fetch Response constructor only accepts 200-599.
  if (!Number.isInteger(statusCode) || statusCode < 200 || statusCode > 599) {
    throw new RangeError(
      `Cannot start upstream: status code must be an integer in 200-599: current value is ${
        JSON.stringify(seen)
      }`,
    );
  }
}

/** Parses Go's `[host]:port` listen address (`:5678`, `127.0.0.1:9001`, `[::1]:9001`). */
function parseListenAddress(listen: string): { hostname: string; port: number } {
  const match = /^(?:\[([^\]]*)\]|([^:]*)):(\d{1,5})$/.exec(listen);
  const port = match === null ? Number.NaN : Number(match[3]);
  if (match === null || port > 65535) {
    throw new RangeError(
      `Cannot parse -listen: expected [host]:port with a port in 0-65535: current value is ${
        JSON.stringify(listen)
      }`,
    );
  }
  const hostname = match[1] ?? match[2] ?? "";
  return { hostname: hostname === "" ? "0.0.0.0" : hostname, port };
}

/** True when the request URL's path is exactly `/health` (Go ServeMux exact match). */
function isHealthPath(url: string): boolean {
  // url is absolute ("http://host/path?query"); the path starts at the first "/" after "http://".
  const start = url.indexOf("/", url.indexOf("//") + 2);
  if (start === -1 || !url.startsWith("/health", start)) return false;
  const end = start + "/health".length;
  return end === url.length || url[end] === "?";
}

function toHeaderValue(text: string): string {
  return text.trim().replace(/[^\x20-\x7e]/g, (char) => encodeURIComponent(char));
}

function readEchoText(): string | undefined {
  // Asking would prompt on a terminal; only read ECHO_TEXT when access was already granted.
  const { state } = Deno.permissions.querySync({ name: "env", variable: "ECHO_TEXT" });
  return state === "granted" ? Deno.env.get("ECHO_TEXT") : undefined;
}

async function main(argv: readonly string[]): Promise<number> {
  let command: UpstreamCommand;
  try {
    command = parseUpstreamArgs(argv, { echoText: readEchoText() });
  } catch (error) {
    console.error(`[ERR] ${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (command.kind === "help") {
    console.log(command.usage);
    return 0;
  }
  if (command.kind === "version") {
    console.error(command.version);
    return 0;
  }

  const controller = new AbortController();
  const stop = () => controller.abort();
  const signals: Deno.Signal[] = Deno.build.os === "windows" ? ["SIGINT"] : ["SIGINT", "SIGTERM"];
  for (const signal of signals) Deno.addSignalListener(signal, stop);
  try {
    const { hostname, port, text, statusCode } = command;
    const upstream = startUpstream({ text, hostname, port, statusCode, signal: controller.signal });
    console.log(
      `[INFO] server is listening on ${upstream.addr.hostname}:${upstream.addr.port} (text ${
        JSON.stringify(text)
      })`,
    );
    await upstream.finished;
    return 0;
  } catch (error) {
    console.error(`[ERR] server exited with: ${(error as Error).message}`);
    return 1;
  } finally {
    for (const signal of signals) Deno.removeSignalListener(signal, stop);
  }
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}
