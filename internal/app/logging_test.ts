import assert from "node:assert/strict";
import type { LogRecord } from "@logtape/logtape";
import { type AccessLogEntry, accessLogLine } from "../middleware/mod.ts";
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

Deno.test("accessLogLine: the line jsonLineFormatter makes of the access log's record", () => {
  const entries: AccessLogEntry[] = [
    {
      time: "2026-11-21T20:23:57.025Z",
      request_id: "f9321d9f-4876-4413-b543-dcace39faad5",
      trace_id: "59902282e971a96d062d6bca781d0cf7",
      client: "127.0.0.1",
      method: "GET",
      path: "/",
      status: 200,
      route: "default",
      pool: "default",
      upstream: "127.0.0.1:19701",
      attempts: 1,
      duration_ms: 11.914,
      bytes_out: 6,
    },
    {
      time: "2026-11-21T20:23:57.000Z",
      request_id: "a+b/c=",
      trace_id: null,
      client: "::1",
      method: "PATCH",
      path: '/a"b\\c/{x}/\u00e9\u2028\t?q=</script>&z=\u0001',
      status: 499,
      route: null,
      pool: null,
      upstream: null,
      attempts: 0,
      duration_ms: 0,
      bytes_out: 0,
    },
    {
      time: "2026-11-21T20:23:57.999Z",
      request_id: "x",
      trace_id: "00000000000000000000000000000001",
      client: "10.0.0.1",
      method: "POST",
      path: "/up",
      status: 502,
      route: 'r"1',
      pool: "p\n",
      upstream: "u}{",
      attempts: 3,
      duration_ms: 123456.789,
      bytes_out: 1048576,
    },
  ];
  for (const entry of entries) {
    const message =
      `${entry.method} ${entry.path} ${entry.status} ${entry.duration_ms}ms via ${entry.upstream}`;
    const expected = jsonLineFormatter(record({ ...entry }, [message]));
    assert.equal(accessLogLine(entry, message), expected);
    assert.equal(accessLogLine(entry, message), reference(record({ ...entry }, [message])));
  }
});
