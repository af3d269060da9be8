import assert from "node:assert/strict";
import type { LogRecord } from "@logtape/logtape";
import { jsonLineFormatter } from "./logging.ts";

/** The formatter as first written (a merged object, one JSON.stringify): the reference. */
function reference(record: LogRecord): string {
  let message = "";
  for (let i = 0; i < record.message.length; i++) {
    const value = record.message[i];
    message += i % 2 === 0
      ? value as string
      : typeof value === "string"
      ? value
      : value instanceof Error
      ? value.message
      : typeof value === "object" && value !== null
      ? JSON.stringify(value)
      : String(value);
  }
  const line: Record<string, unknown> = {
    time: new Date(record.timestamp).toISOString(),
    level: record.level,
    logger: record.category.join("."),
    message,
  };
  for (const [key, value] of Object.entries(record.properties)) {
    line[key] = value instanceof Error ? { message: value.message, stack: value.stack } : value;
  }
  return JSON.stringify(line) + "\n";
}

function record(properties: Record<string, unknown>, message: unknown[] = ["hello"]): LogRecord {
  return {
    category: ["sluice", "access"],
    level: "info",
    message,
    rawMessage: "",
    properties,
    timestamp: Date.UTC(2026, 10, 21, 20, 23, 57, 25),
  };
}

Deno.test("jsonLineFormatter: the same line as the reference for every kind of record", () => {
  const error = new Error("boom");
  const cases = [
    record({}),
    record({ method: "GET", path: '/a"b\\c\n', status: 200, upstream: null, duration_ms: 1.5 }),
    record({ nested: { a: [1, 2] }, missing: undefined, big: 1e21 }),
    record({ error }, ["failed: ", error, ""]),
    record({ message: "replaces the rendered one", time: "x" }),
    record({ level: "spoofed", logger: "spoofed" }, ["n=", 5, " o=", { k: 1 }, ""]),
  ];
  for (const r of cases) assert.equal(jsonLineFormatter(r), reference(r));
});
