/**
 * Logging set-up: LogTape sinks and levels from the configuration.
 *
 * @module
 */

import {
  configure,
  getAnsiColorFormatter,
  getLogger,
  type LogLevel as LogTapeLevel,
  type LogRecord,
} from "@logtape/logtape";
import type { LoggingConfig } from "../config/types.ts";
import { type AccessLogWriter, isoTime } from "../middleware/mod.ts";
import { type BatchedSink, getBatchedSink } from "./batched_sink.ts";
import { LogFile } from "./log_file.ts";

const LEVELS: Record<LoggingConfig["level"], LogTapeLevel> = {
  debug: "debug",
  info: "info",
  warn: "warning",
  error: "error",
};

/** Strings appear bare in messages (`GET /x 200`, not `"GET" "/x" 200`). */
function renderValue(value: unknown): string {
  if (typeof value === "string") return value;
  if (value instanceof Error) return value.message;
  return typeof value === "object" && value !== null ? JSON.stringify(value) : String(value);
}

/**
 * Formats a record as one JSON object per line: `time`, `level`, `logger`, `message` (rendered,
 * strings bare), then the record's properties at the top level; errors become their message
 * and stack.
 * @param record a LogTape record.
 * @returns the line, with its `\n`.
 */
export function jsonLineFormatter(record: LogRecord): string {
  let message = "";
  for (let i = 0; i < record.message.length; i++) {
    message += i % 2 === 0 ? record.message[i] as string : renderValue(record.message[i]);
  }
  const properties = record.properties;
  let plain = true; // no Error to expand, no key that replaces one of the four leading ones
  for (const key in properties) {
    if (properties[key] instanceof Error || RESERVED.has(key)) {
      plain = false;
      break;
    }
  }
  if (plain) {
    // One JSON.stringify of the properties spliced after the leading four (the access log's
    // case): half the cost of building a merged object.
    const rest = JSON.stringify(properties);
    return `{"time":"${isoTime(record.timestamp)}","level":${JSON.stringify(record.level)},` +
      `"logger":${JSON.stringify(categoryName(record.category))},"message":${
        JSON.stringify(message)
      }${rest.length > 2 ? "," + rest.slice(1) : "}"}\n`;
  }
  const line: Record<string, unknown> = {
    time: isoTime(record.timestamp),
    level: record.level,
    logger: categoryName(record.category),
    message,
  };
  for (const [key, value] of Object.entries(properties)) {
    line[key] = value instanceof Error ? { message: value.message, stack: value.stack } : value;
  }
  return JSON.stringify(line) + "\n";
}

const RESERVED: ReadonlySet<string> = new Set(["time", "level", "logger", "message"]);

/** Category arrays are the loggers' own, one per logger: their joined names are kept. */
const categoryNames = new WeakMap<readonly string[], string>();

function categoryName(category: readonly string[]): string {
  let name = categoryNames.get(category);
  if (name === undefined) {
    name = category.join(".");
    categoryNames.set(category, name);
  }
  return name;
}

let current: BatchedSink | undefined;
/** Where the access log's JSON lines go without LogTape, see {@linkcode accessLogLines}. */
let accessLines: AccessLogWriter | undefined;

/**
 * The writer of the access log's pre-formatted JSON lines that {@linkcode configureLogging}
 * set up: the batched sink the `sluice.access` records would reach (the access log file's, or
 * standard output's). The access log middleware writes its lines there itself, skipping
 * LogTape's record and formatter (the same line as {@linkcode jsonLineFormatter}'s).
 * @returns the writer; `undefined` when the format is not JSON, the access log is off or below
 *   the level, or logging was not configured here (LogTape's own loggers then decide).
 */
export function accessLogLines(): AccessLogWriter | undefined {
  return accessLines;
}
/** The access log's own sink and file, when `logging.access_log` is a path. */
let accessFile: { sink: BatchedSink; file: LogFile } | undefined;

/**
 * Configures LogTape for every `["sluice", …]` category: JSON lines (one object per record,
 * properties flattened to the top level) or coloured text, on standard output (warnings and
 * errors on standard error). Debug and info lines (the access log) are written in batches of up
 * to 64 KiB or every 100 ms (see {@linkcode getBatchedSink}); warnings and errors at once.
 * Buffered lines are written on reconfiguration, {@linkcode flushLogs} and process exit.
 *
 * The access log (category `sluice.access`) follows `config.accessLog`: with the rest on
 * standard output (`stdout`), nowhere (`off`: the records are not even made), or appended to a
 * file of its own, batched the same way, which {@linkcode reopenAccessLog} reopens.
 * @param config level, format and access log destination.
 * @returns once configured; call again to reconfigure (a file open before is flushed, closed).
 * @throws what opening the access log file throws (NotFound, NotCapable); logging is then left
 *   as it was.
 */
export async function configureLogging(config: LoggingConfig): Promise<void> {
  const formatter = config.format === "json" ? jsonLineFormatter : getAnsiColorFormatter({
    value: (value, inspect) => typeof value === "string" ? value : inspect(value),
  });
  const destination = config.accessLog;
  let nextFile: typeof accessFile;
  if (destination !== "stdout" && destination !== "off") {
    const file = new LogFile(destination);
    nextFile = { file, sink: getBatchedSink({ formatter, out: file, err: file }) };
  }
  current?.flush();
  const previousFile = accessFile;
  current = getBatchedSink({ formatter });
  accessFile = nextFile;
  const level = LEVELS[config.level];
  await configure({
    reset: true,
    sinks: { console: current, ...(nextFile ? { access: nextFile.sink } : {}) },
    loggers: [
      { category: ["sluice"], lowestLevel: level, sinks: ["console"] },
      ...(destination === "off"
        ? [{ category: ["sluice", "access"], lowestLevel: null }]
        : nextFile
        ? [{
          category: ["sluice", "access"],
          lowestLevel: level,
          sinks: ["access"],
          parentSinks: "override" as const,
        }]
        : []),
      { category: ["logtape", "meta"], lowestLevel: "warning", sinks: ["console"] },
    ],
  });
  accessLines = config.format !== "json" || destination === "off" ||
      (level !== "debug" && level !== "info")
    ? undefined
    : (nextFile?.sink ?? current);
  if (previousFile) {
    previousFile.sink[Symbol.dispose]();
    previousFile.file[Symbol.dispose]();
  }
}

/**
 * Reopens the access log file (after logrotate renamed it): the batch is written to the old
 * file first, then lines go to a new file under the configured path. A failure to open keeps
 * the old file and is logged. Nothing to do when the access log is not a file.
 * @returns whether a file was reopened.
 */
export function reopenAccessLog(): boolean {
  if (accessFile === undefined) return false;
  accessFile.sink.flush();
  try {
    accessFile.file.reopen();
  } catch (error) {
    getLogger(["sluice", "app"]).error(
      "Cannot reopen the access log {path}, still writing to the file open before: {error}",
      { path: accessFile.file.path, error },
    );
    return false;
  }
  getLogger(["sluice", "app"]).info("Access log reopened: {path}", { path: accessFile.file.path });
  return true;
}

/** Writes the log lines still buffered by the sinks {@linkcode configureLogging} set up. */
export function flushLogs(): void {
  current?.flush();
  accessFile?.sink.flush();
}
