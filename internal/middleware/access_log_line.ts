/**
 * The access log's JSON line, as a string and encoded straight into a byte buffer.
 *
 * @module
 */

import type { AccessLogEntry } from "./access_log.ts";
import { isoTime } from "./iso_time.ts";

/**
 * The access log's JSON line for an entry, the same as `jsonLineFormatter` makes of the
 * `sluice.access` logger's info record with `message` and the entry's properties: `time` (the
 * entry's, the request's arrival), `level`, `logger`, `message`, then the entry's other fields
 * in {@linkcode AccessLogEntry}'s order.
 * @param entry the entry.
 * @param message the rendered message.
 * @returns the line, with its `\n`.
 */
export function accessLogLine(entry: AccessLogEntry, message: string): string {
  return `{"time":${JSON.stringify(entry.time)},"level":"info","logger":"sluice.access",` +
    `"message":${JSON.stringify(message)},"request_id":${JSON.stringify(entry.request_id)},` +
    `"trace_id":${nullable(entry.trace_id)},"client":${JSON.stringify(entry.client)},` +
    `"method":${JSON.stringify(entry.method)},"path":${JSON.stringify(entry.path)},` +
    `"status":${entry.status},"route":${nullable(entry.route)},"pool":${nullable(entry.pool)},` +
    `"upstream":${nullable(entry.upstream)},"attempts":${entry.attempts},` +
    `"duration_ms":${entry.duration_ms},"bytes_out":${entry.bytes_out}}\n`;
}

function nullable(text: string | null): string {
  return text === null ? "null" : JSON.stringify(text);
}

/**
 * `duration_ms` of an entry: ms rounded to 3 decimals (µs).
 * @param ms a duration, ms.
 * @returns the rounded duration.
 */
export function roundDuration(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}

/**
 * The fields of a line that {@linkcode encodeAccessLogLine} writes, in the order of
 * {@linkcode AccessLogEntry}, with the arrival time as a number and the raw duration.
 */
export interface AccessLogFields {
  /** Arrival, ms since the epoch (`Date.now()`). */
  receivedAt: number;
  requestId: string;
  traceId: string | null;
  client: string;
  method: string;
  path: string;
  status: number;
  route: string | null;
  pool: string | null;
  upstream: string | null;
  attempts: number;
  /** Unrounded, ms; written rounded as {@linkcode roundDuration} does. */
  durationMs: number;
  bytesOut: number;
}

/**
 * Most bytes {@linkcode encodeAccessLogLine} writes for these fields: the fixed text, numbers
 * at their longest and each text field once per appearance at one byte a character (the
 * encoder writes only printable ASCII).
 * @param fields the line's fields.
 * @returns the bound, bytes.
 */
export function accessLogLineBound(fields: AccessLogFields): number {
  return FIXED_BOUND + 2 * (fields.method.length + fields.path.length) +
    fields.requestId.length + (fields.traceId?.length ?? 0) + fields.client.length +
    (fields.route?.length ?? 0) + (fields.pool?.length ?? 0) +
    2 * (fields.upstream?.length ?? 0);
}

/**
 * Writes the access log line of these fields into `buffer` at `at`, byte for byte the UTF-8 of
 * {@linkcode accessLogLine} (with `time` from `isoTime(receivedAt)` and `duration_ms` from
 * {@linkcode roundDuration}), without building a string: no allocation for a line whose text
 * fields are printable ASCII without `"` or `\` (JSON needs no escape for them). A line with any
 * other character is not written: the caller falls back to {@linkcode accessLogLine}.
 * @param buffer where to write; `at` plus {@linkcode accessLogLineBound} must fit.
 * @param at the offset of the line's first byte.
 * @param fields the line's fields.
 * @returns the offset after the line's `\n`, or -1 when a text field needs escaping (the bytes
 *   from `at` on are then garbage).
 */
export function encodeAccessLogLine(
  buffer: Uint8Array,
  at: number,
  fields: AccessLogFields,
): number {
  escapes = false;
  at = putBytes(buffer, at, TIME);
  at = putTime(buffer, at, fields.receivedAt);
  at = putBytes(buffer, at, MESSAGE);
  // The message's parts are written once; the fields repeating them are copies of their bytes.
  const method = at;
  at = putPlain(buffer, at, fields.method);
  const methodEnd = at;
  buffer[at++] = SPACE;
  const path = at;
  at = putPlain(buffer, at, fields.path);
  const pathEnd = at;
  buffer[at++] = SPACE;
  const status = at;
  at = putInteger(buffer, at, fields.status);
  const statusEnd = at;
  buffer[at++] = SPACE;
  const duration = at;
  at = putDuration(buffer, at, fields.durationMs);
  const durationEnd = at;
  at = putBytes(buffer, at, MS_VIA);
  at = putPlain(buffer, at, fields.upstream ?? "null");
  at = putBytes(buffer, at, REQUEST_ID);
  at = putPlain(buffer, at, fields.requestId);
  at = putBytes(buffer, at, TRACE_ID);
  at = putNullable(buffer, at, fields.traceId);
  at = putBytes(buffer, at, CLIENT);
  at = putPlain(buffer, at, fields.client);
  at = putBytes(buffer, at, METHOD);
  at = copy(buffer, at, method, methodEnd);
  at = putBytes(buffer, at, PATH);
  at = copy(buffer, at, path, pathEnd);
  at = putBytes(buffer, at, STATUS);
  at = copy(buffer, at, status, statusEnd);
  at = putBytes(buffer, at, ROUTE);
  at = putNullable(buffer, at, fields.route);
  at = putBytes(buffer, at, POOL);
  at = putNullable(buffer, at, fields.pool);
  at = putBytes(buffer, at, UPSTREAM);
  at = putNullable(buffer, at, fields.upstream);
  at = putBytes(buffer, at, ATTEMPTS);
  at = putInteger(buffer, at, fields.attempts);
  at = putBytes(buffer, at, DURATION);
  at = copy(buffer, at, duration, durationEnd);
  at = putBytes(buffer, at, BYTES_OUT);
  at = putInteger(buffer, at, fields.bytesOut);
  buffer[at++] = CLOSE;
  buffer[at++] = NEWLINE;
  return escapes ? -1 : at;
}

const encoder = new TextEncoder();
const TIME = encoder.encode(`{"time":"`);
const MESSAGE = encoder.encode(`","level":"info","logger":"sluice.access","message":"`);
const MS_VIA = encoder.encode(`ms via `);
const REQUEST_ID = encoder.encode(`","request_id":"`);
const TRACE_ID = encoder.encode(`","trace_id":`);
const CLIENT = encoder.encode(`,"client":"`);
const METHOD = encoder.encode(`","method":"`);
const PATH = encoder.encode(`","path":"`);
const STATUS = encoder.encode(`","status":`);
const ROUTE = encoder.encode(`,"route":`);
const POOL = encoder.encode(`,"pool":`);
const UPSTREAM = encoder.encode(`,"upstream":`);
const ATTEMPTS = encoder.encode(`,"attempts":`);
const DURATION = encoder.encode(`,"duration_ms":`);
const BYTES_OUT = encoder.encode(`,"bytes_out":`);
const NULL = encoder.encode("null");
const SPACE = 0x20;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const DOT = 0x2e;
const ZERO = 0x30;
const CLOSE = 0x7d;
const NEWLINE = 0x0a;
/**
 * The fixed text (under 300 bytes), the time (24), two durations and three other numbers
 * (at most 24 bytes each as `String(number)`), quotes and `null`s: a generous round bound.
 */
const FIXED_BOUND = 512;

/** Set by `putPlain` when a character needs a JSON escape or is not ASCII. */
let escapes = false;

function putBytes(buffer: Uint8Array, at: number, bytes: Uint8Array): number {
  const length = bytes.length;
  if (length > 16) buffer.set(bytes, at);
  else for (let i = 0; i < length; i++) buffer[at + i] = bytes[i]!;
  return at + length;
}

/** Copies bytes already written (`start` to `end`) to `at`: a native move for long runs. */
function copy(buffer: Uint8Array, at: number, start: number, end: number): number {
  const length = end - start;
  if (length > 16) buffer.copyWithin(at, start, end);
  else for (let i = 0; i < length; i++) buffer[at + i] = buffer[start + i]!;
  return at + length;
}

/** Writes printable ASCII other than `"` and `\` as is; anything else sets `escapes`. */
function putPlain(buffer: Uint8Array, at: number, text: string): number {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < SPACE || c > 0x7e || c === QUOTE || c === BACKSLASH) escapes = true;
    buffer[at++] = c;
  }
  return at;
}

function putNullable(buffer: Uint8Array, at: number, text: string | null): number {
  if (text === null) return putBytes(buffer, at, NULL);
  buffer[at++] = QUOTE;
  at = putPlain(buffer, at, text);
  buffer[at++] = QUOTE;
  return at;
}

/** Digits of a whole number 0 ≤ n < 2^53; anything else as `String(n)` writes it. */
function putInteger(buffer: Uint8Array, at: number, n: number): number {
  if (!(n >= 0 && n <= Number.MAX_SAFE_INTEGER && Math.floor(n) === n)) {
    return putPlain(buffer, at, String(n));
  }
  let digits = 1;
  for (let power = 10; power <= n; power *= 10) digits++;
  // `%` and the division of a multiple of 10 are exact on whole doubles below 2^53.
  for (let i = at + digits - 1; i >= at; i--) {
    const digit = n % 10;
    buffer[i] = ZERO + digit;
    n = (n - digit) / 10;
  }
  return at + digits;
}

/**
 * `roundDuration(ms)` as `String()` writes it. Below 2^42 µs (50 days) the rounded value's
 * shortest round-trip digits are the whole ms and up to three decimals without trailing zeros.
 */
function putDuration(buffer: Uint8Array, at: number, ms: number): number {
  const micros = Math.round(ms * 1000);
  if (!(micros >= 0 && micros < 2 ** 42)) return putPlain(buffer, at, String(micros / 1000));
  const whole = Math.floor(micros / 1000);
  at = putInteger(buffer, at, whole);
  let fraction = micros - whole * 1000;
  if (fraction === 0) return at;
  buffer[at++] = DOT;
  for (let unit = 100; fraction > 0; unit /= 10) {
    const digit = Math.floor(fraction / unit);
    buffer[at++] = ZERO + digit;
    fraction -= digit * unit;
  }
  return at;
}

let cachedSecond = NaN;
const cachedPrefix = new Uint8Array(20);

/** `isoTime(ms)` as bytes, the text up to the second reused within a second. */
function putTime(buffer: Uint8Array, at: number, ms: number): number {
  const second = Math.floor(ms / 1000);
  if (second !== cachedSecond) {
    const full = isoTime(second * 1000); // "…T20:23:57.000Z"
    // Years past 9999 and before 0 have another shape: written whole, not cached.
    if (full.length !== 24) return putPlain(buffer, at, isoTime(ms));
    for (let i = 0; i < 20; i++) cachedPrefix[i] = full.charCodeAt(i);
    cachedSecond = second;
  }
  at = putBytes(buffer, at, cachedPrefix);
  const millis = Math.floor(ms) - second * 1000;
  buffer[at++] = ZERO + Math.floor(millis / 100);
  buffer[at++] = ZERO + Math.floor(millis / 10) % 10;
  buffer[at++] = ZERO + millis % 10;
  buffer[at++] = 0x5a; // Z
  return at;
}
