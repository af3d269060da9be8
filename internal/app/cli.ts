/**
 * The command line: configuration from flags, environment and file, then a running App.
 * `main.ts` is a thin wrapper around {@linkcode runCli}; tests use {@linkcode startFromArgs}.
 *
 * @module
 */

import {
  ConfigError,
  formatConfigError,
  loadConfig,
  type LoadConfigOptions,
} from "../config/mod.ts";
import type { Config } from "../config/types.ts";
import { getLogger } from "@logtape/logtape";
import { runtimeEnvWarnings } from "./runtime_env.ts";
import { DASHBOARD_ASSETS } from "../admin/dashboard/assets.ts";
import { App, type AppOptions } from "./app.ts";
import { accessLogLines, configureLogging, flushLogs, reopenAccessLog } from "./logging.ts";
import { VERSION } from "./version.ts";

const logger = getLogger(["sluice", "app"]);

/** Exit code for bad configuration or usage (like most Unix tools). */
export const EXIT_USAGE = 2;
/** Exit code when Sluice could not start for another reason (port taken, permission missing). */
export const EXIT_START_FAILED = 1;

/** Options of {@linkcode startFromArgs}. */
export interface StartOptions extends AppOptions {
  /** Aborting it starts the graceful shutdown. */
  signal: AbortSignal;
  /** Overrides for reading the environment and files (tests). */
  load?: Omit<LoadConfigOptions, "version" | "defaultLogFormat">;
  /** Configure LogTape from the config's logging section. @default true */
  configureLogging?: boolean;
}

/** What {@linkcode startFromArgs} produced. */
export type StartResult =
  | { kind: "started"; app: App; config: Config }
  | { kind: "help" | "version"; text: string };

/**
 * Loads the configuration from `args` (flags > `SLUICE_*` environment > `--config` file >
 * defaults), sets up logging and starts an {@linkcode App} — exactly what `main.ts` does.
 * @param args command-line arguments, without the program name.
 * @param options shutdown signal and replaceable parts.
 * @returns the running app, or the text for `--help` / `--version`.
 * @throws {ConfigError} listing every problem in the configuration.
 * @throws {Deno.errors.AddrInUse} when the port is taken.
 */
export async function startFromArgs(args: string[], options: StartOptions): Promise<StartResult> {
  const loadOptions: LoadConfigOptions = {
    ...options.load,
    version: VERSION,
    defaultLogFormat: Deno.stdout.isTerminal() ? "pretty" : "json",
  };
  const result = await loadConfig(args, loadOptions);
  if (result.kind !== "config") return result;
  const config = result.config;
  const logs = options.configureLogging ?? true;
  if (logs) await configureLogging(config.logging);
  const app = new App(config, {
    ...(options.transport ? { transport: options.transport } : {}),
    dashboardAssets: options.dashboardAssets ?? DASHBOARD_ASSETS,
    // A reload reads the same sources again: flags and environment still win over the file.
    reloadConfig: async () => {
      const again = await loadConfig(args, loadOptions);
      if (again.kind !== "config") throw new Error(`unexpected ${again.kind} on reload`);
      return { config: again.config, file: again.sources.file };
    },
    ...(logs ? { reconfigureLogging: configureLogging, accessLogLines } : {}),
    // A caller's own line writer (tests) wins over the configured sink.
    ...(options.accessLogLines ? { accessLogLines: options.accessLogLines } : {}),
  });
  app.start(options.signal);
  return { kind: "started", app, config };
}

/**
 * Runs Sluice as a command: prints help, version or configuration problems, or serves until
 * `signal` aborts and the graceful shutdown has finished.
 * @param args command-line arguments, without the program name.
 * @param signal aborting it starts the graceful shutdown.
 * @returns the process exit code: 0 after a clean shutdown, 2 for bad configuration or usage,
 *   1 when the listener could not start.
 */
export async function runCli(args: string[], signal: AbortSignal): Promise<number> {
  let result: StartResult;
  try {
    result = await startFromArgs(args, { signal });
  } catch (error) {
    if (error instanceof ConfigError) {
      writeError(formatConfigError(error));
      return EXIT_USAGE;
    }
    writeError(`Cannot start Sluice: ${describeStartError(error)}`);
    return EXIT_START_FAILED;
  }
  if (result.kind !== "started") {
    writeOut(result.text);
    return 0;
  }
  const app = result.app;
  for (const warning of runtimeEnvWarnings((name) => Deno.env.get(name))) {
    logger.warn("{warning}", { warning });
  }
  const onHangup = () => void reloadOnSignal(app);
  // SIGUSR1: reopen the access log file after log rotation (nginx's USR1).
  const onUser1 = () => void reopenAccessLog();
  if (Deno.build.os !== "windows") {
    Deno.addSignalListener("SIGHUP", onHangup);
    Deno.addSignalListener("SIGUSR1", onUser1);
  }
  await app.finished;
  if (Deno.build.os !== "windows") {
    Deno.removeSignalListener("SIGHUP", onHangup);
    Deno.removeSignalListener("SIGUSR1", onUser1);
  }
  flushLogs();
  return 0;
}

/** SIGHUP: reload the configuration file; a bad file changes nothing and is logged in full. */
async function reloadOnSignal(app: App): Promise<void> {
  try {
    await app.reload();
  } catch (error) {
    if (error instanceof ConfigError) {
      logger.error("Reload refused, the running configuration is unchanged: {problems}", {
        problems: error.problems.map((p) => `${p.path}: ${p.message}`).join("; "),
      });
    } else {
      logger.error("Reload failed: {error}", { error });
    }
  }
}

function describeStartError(error: unknown): string {
  if (error instanceof Deno.errors.AddrInUse) {
    return `the address is already in use (${error.message})`;
  }
  if (error instanceof Deno.errors.NotCapable || error instanceof Deno.errors.PermissionDenied) {
    return `${error.message} (grant it with the matching --allow-* flag)`;
  }
  return error instanceof Error ? error.message : String(error);
}

const encoder = new TextEncoder();

function writeOut(text: string): void {
  Deno.stdout.writeSync(encoder.encode(text.endsWith("\n") ? text : text + "\n"));
}

function writeError(text: string): void {
  Deno.stderr.writeSync(encoder.encode(text.endsWith("\n") ? text : text + "\n"));
}
