import assert from "node:assert/strict";
import type { AccessLogEntry } from "./access_log.ts";
import {
  type AccessLogFields,
  accessLogLine,
  accessLogLineBound,
  encodeAccessLogLine,
  roundDuration,
} from "./access_log_line.ts";
import { isoTime } from "./iso_time.ts";

/** The reference: the string line of the same fields, as UTF-8. */
function expected(fields: AccessLogFields): string {
  const entry: AccessLogEntry = {
    time: isoTime(fields.receivedAt),
    request_id: fields.requestId,
    trace_id: fields.traceId,
    client: fields.client,
    method: fields.method,
    path: fields.path,
    status: fields.status,
    route: fields.route,
    pool: fields.pool,
    upstream: fields.upstream,
    attempts: fields.attempts,
    duration_ms: roundDuration(fields.durationMs),
    bytes_out: fields.bytesOut,
  };
  const message =
    `${entry.method} ${entry.path} ${entry.status} ${entry.duration_ms}ms via ${entry.upstream}`;
  return accessLogLine(entry, message);
}

/** Encodes at an offset into a dirty buffer; the line, or `undefined` when it was refused. */
function encoded(fields: AccessLogFields): string | undefined {
  const bound = accessLogLineBound(fields);
  const buffer = new Uint8Array(7 + bound).fill(0x41);
  const end = encodeAccessLogLine(buffer, 7, fields);
  if (end < 0) return undefined;
  assert.ok(end <= 7 + bound, `${end - 7} bytes over the bound ${bound}`);
  return new TextDecoder().decode(buffer.subarray(7, end));
}

const base: AccessLogFields = {
  receivedAt: Date.UTC(2026, 10, 21, 20, 23, 57, 25),
  requestId: "f9321d9f-4876-4413-b543-dcace39faad5",
  traceId: "59902282e971a96d062d6bca781d0cf7",
  client: "127.0.0.1",
  method: "GET",
  path: "/items/42?x=1&y=%7B",
  status: 200,
  route: "default",
  pool: "default",
  upstream: "127.0.0.1:19701",
  attempts: 1,
  durationMs: 11.9144,
  bytesOut: 6,
};

Deno.test("encodeAccessLogLine: the bytes of accessLogLine for plain fields", () => {
  const cases: AccessLogFields[] = [
    base,
    { ...base, traceId: null, route: null, pool: null, upstream: null, attempts: 0 },
    { ...base, method: "PATCH", status: 499, bytesOut: 0, durationMs: 0 },
    { ...base, path: "*", method: "OPTIONS", client: "::1", requestId: "a+b/c=:._-" },
    { ...base, path: "/{x}/~!$&'()*+,;=:@", route: "r 1", pool: "p<>", upstream: "u}{" },
    { ...base, bytesOut: Number.MAX_SAFE_INTEGER, attempts: 10, status: 100 },
    { ...base, receivedAt: Date.UTC(2026, 0, 1, 0, 0, 0, 0) },
    { ...base, receivedAt: Date.UTC(2026, 0, 1, 0, 0, 0, 999) },
    { ...base, receivedAt: Date.UTC(2026, 0, 1, 0, 0, 1, 7) },
    // Years outside 0..9999 have another ISO shape.
    { ...base, receivedAt: Date.UTC(12026, 0, 1) },
    { ...base, receivedAt: -62198755200000 - 1 },
  ];
  // Durations: rounding at every µs boundary, trailing zeros, large, tiny, negative.
  for (
    const ms of [
      0,
      -0.0001,
      0.0004,
      0.0005,
      0.001,
      0.01,
      0.1,
      0.5,
      1,
      1.0005,
      1.2,
      9.99949,
      9.9995,
      10.05,
      123456.789,
      86_400_000.001,
      2 ** 42 / 1000 + 0.5,
      1e15,
      -3.25,
    ]
  ) {
    cases.push({ ...base, durationMs: ms });
  }
  for (let i = 0; i < 2000; i++) {
    cases.push({ ...base, durationMs: Math.random() * 10 ** Math.floor(Math.random() * 8) });
  }
  for (const fields of cases) assert.equal(encoded(fields), expected(fields));
});

Deno.test("encodeAccessLogLine: a field that JSON escapes or that is not ASCII is refused", () => {
  const bad = ['"', "\\", "\n", "\u0001", "\u007f", "\u00e9", "\u2028", "\ud800", "😀"];
  for (const text of bad) {
    for (
      const fields of [
        { ...base, path: `/a${text}b` },
        { ...base, method: `G${text}` },
        { ...base, requestId: text },
        { ...base, traceId: text },
        { ...base, client: text },
        { ...base, route: text },
        { ...base, pool: text },
        { ...base, upstream: text },
      ]
    ) {
      assert.equal(encoded(fields), undefined, JSON.stringify(fields));
    }
  }
  // The refusal does not stick to the next line.
  assert.equal(encoded(base), expected(base));
});

Deno.test("encodeAccessLogLine: long fields stay within the bound", () => {
  const long = "x".repeat(10_000);
  const fields = { ...base, path: "/" + long, route: long, pool: long, upstream: long };
  assert.equal(encoded(fields), expected(fields));
});
