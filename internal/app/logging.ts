/**
 * Logging set-up: LogTape sinks and levels from the configuration.
 *
 * @module
 */

import {
  configure,
  getAnsiColorFormatter,
  type LogLevel as LogTapeLevel,
  type LogRecord,
} from "@logtape/logtape";
import type { LoggingConfig } from "../config/types.ts";
import { isoTime } from "../middleware/mod.ts";
import { type BatchedSink, getBatchedSink } from "./batched_sink.ts";

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

/**
 * Configures LogTape for every `["sluice", …]` category: JSON lines (one object per record,
 * properties flattened to the top level) or coloured text, on standard output (warnings and
 * errors on standard error). Debug and info lines (the access log) are written in batches of up
 * to 64 KiB or every 100 ms (see {@linkcode getBatchedSink}); warnings and errors at once.
 * Buffered lines are written on reconfiguration, {@linkcode flushLogs} and process exit.
 * @param config level and format.
 * @returns once configured; call again to reconfigure.
 */
export async function configureLogging(config: LoggingConfig): Promise<void> {
  const formatter = config.format === "json" ? jsonLineFormatter : getAnsiColorFormatter({
    value: (value, inspect) => typeof value === "string" ? value : inspect(value),
  });
  current = getBatchedSink({ formatter });
  await configure({
    reset: true,
    sinks: { console: current },
    loggers: [
      { category: ["sluice"], lowestLevel: LEVELS[config.level], sinks: ["console"] },
      { category: ["logtape", "meta"], lowestLevel: "warning", sinks: ["console"] },
    ],
  });
}

/** Writes the log lines still buffered by the sink {@linkcode configureLogging} set up. */
export function flushLogs(): void {
  current?.flush();
}
