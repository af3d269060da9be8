/**
 * Structured access log: one line per request, written when the response body has finished.
 *
 * @module
 */

import { getLogger, type Logger } from "@logtape/logtape";
import { STATUS_CLIENT_CLOSED } from "../proxy/mod.ts";
import {
  type Handler,
  type Middleware,
  type RequestContext,
  requestDurationMs,
  type ResponseOutcome,
} from "./context.ts";
import {
  type AccessLogFields,
  accessLogLine,
  accessLogLineBound,
  encodeAccessLogLine,
  roundDuration,
} from "./access_log_line.ts";
import { isoTime } from "./iso_time.ts";

/** One access log entry, as written (the JSON line's properties). */
export type AccessLogEntry = {
  /** When the request arrived, ISO 8601. */
  time: string;
  request_id: string;
  /** W3C trace id (32 hex digits) of the request, `null` when it has none. */
  trace_id: string | null;
  /** Client IP address: the socket's peer, or the client a trusted proxy named. */
  client: string;
  method: string;
  /** Path and query as received. */
  path: string;
  /** Status sent, or 499 when the client left before the body was complete. */
  status: number;
  /** Name of the route that matched, or `null` when none did (404) or before routing. */
  route: string | null;
  /** Name of the pool the route sent the request to, `null` for none. */
  pool: string | null;
  /** Name of the upstream of the last attempt, or `null` when none was chosen. */
  upstream: string | null;
  /** Upstream attempts made. */
  attempts: number;
  /** From arrival to the last body byte, ms (3 decimals). */
  duration_ms: number;
  /** Response body bytes sent. */
  bytes_out: number;
};

/**
 * A batch of lines kept as bytes, into which a line can be encoded in place (the batched log
 * sink is one): `reserve` room, write the line's bytes into `bytes` from the offset it gives,
 * `commit` the end.
 */
export interface LineBatch {
  /** The batch's buffer; valid from `reserve` to `commit`. */
  readonly bytes: Uint8Array;
  /**
   * Makes room for a line (writing out the batch first when it might not fit).
   * @param maxBytes the most the line may take, bytes.
   * @returns the offset in `bytes` to write the line at, or -1 when no line that long fits.
   */
  reserve(maxBytes: number): number;
  /**
   * Adds the bytes written since `reserve` to the batch.
   * @param end the offset after the line's last byte.
   */
  commit(end: number): void;
  /**
   * Adds a whole line given as text.
   * @param line the line, `\n` included.
   */
  writeLine(line: string): void;
}

/** Where the access log's JSON lines go without LogTape: a writer of whole lines or a batch. */
export type AccessLogWriter = ((line: string) => void) | LineBatch;

/** Options of {@linkcode accessLog}. */
export interface AccessLogOptions {
  /** Where entries go. @default getLogger(["sluice", "access"]) */
  logger?: Logger;
  /**
   * Where entries go as JSON lines without LogTape, asked per entry: a writer of whole lines,
   * a {@linkcode LineBatch} (the batched sink the logger's records would reach: the line is
   * then encoded into it without a string, see {@linkcode encodeAccessLogLine}), or `undefined`
   * to use `logger`. The line is the one `jsonLineFormatter` makes of the logger's record (see
   * {@linkcode accessLogLine}); skipping the record and the formatter saves most of an entry's
   * cost. @default always `logger`
   */
  lines?: () => AccessLogWriter | undefined;
}

/** The fields of the line being encoded: one object, reused (encoding is synchronous). */
const fields: AccessLogFields = {
  receivedAt: 0,
  requestId: "",
  traceId: null,
  client: "",
  method: "",
  path: "",
  status: 0,
  route: null,
  pool: null,
  upstream: null,
  attempts: 0,
  durationMs: 0,
  bytesOut: 0,
};

/**
 * Middleware that writes one structured line per request (category `sluice.access`, level
 * info) after the response body has been sent or abandoned, so `duration_ms` and `bytes_out`
 * cover the whole body. A client that leaves mid-body is logged with status 499 (nginx).
 * @param options the logger to use.
 * @returns the middleware.
 */
export function accessLog(options: AccessLogOptions = {}): Middleware {
  const logger = options.logger ?? getLogger(["sluice", "access"]);
  const lines = options.lines ?? (() => undefined);
  const write = (ctx: RequestContext, status: number, outcome: ResponseOutcome): void => {
    const durationMs = requestDurationMs(ctx);
    const sent = outcome.clientAborted ? STATUS_CLIENT_CLOSED : status;
    const writer = lines();
    const batch = writer !== undefined && isLineBatch(writer);
    if (batch && encodeInto(writer, ctx, sent, outcome.bytes, durationMs)) return;
    const entry = makeEntry(ctx, sent, outcome.bytes, durationMs);
    const message =
      `${entry.method} ${entry.path} ${entry.status} ${entry.duration_ms}ms via ${entry.upstream}`;
    if (writer !== undefined) {
      const line = accessLogLine(entry, message);
      if (batch) writer.writeLine(line);
      else (writer as (line: string) => void)(line);
      return;
    }
    // The message rendered here, as the template "{method} {path} {status} {duration_ms}ms via
    // {upstream}" would be: LogTape then skips parsing a template per line (10% of a record's
    // cost).
    logger.info(
      message.includes("{") || message.includes("}") ? escapeBraces(message) : message,
      entry,
    );
  };
  return async function accessLogMiddleware(ctx: RequestContext, next: Handler) {
    const response = await next(ctx);
    if (lines() === undefined && !logger.isEnabledFor("info")) return response;
    if (ctx.responseDone) {
      ctx.responseDone.then((outcome) => write(ctx, response.status, outcome));
    } else {
      const length = Number(response.headers.get("content-length") ?? 0);
      write(ctx, response.status, { bytes: length, clientAborted: false });
    }
    return response;
  };
}

/** A batch may itself be callable (the batched sink is a LogTape sink too): look for `reserve`. */
function isLineBatch(writer: AccessLogWriter): writer is LineBatch {
  return typeof (writer as Partial<LineBatch>).reserve === "function";
}

/** Encodes the line into the batch; false when it needs escapes or is too long for it. */
function encodeInto(
  batch: LineBatch,
  ctx: RequestContext,
  status: number,
  bytesOut: number,
  durationMs: number,
): boolean {
  fields.receivedAt = ctx.receivedAt;
  fields.requestId = ctx.requestId;
  fields.traceId = ctx.trace?.traceId ?? null;
  fields.client = ctx.clientIp;
  fields.method = ctx.request.method;
  fields.path = ctx.target;
  fields.status = status;
  fields.route = ctx.route ?? null;
  fields.pool = ctx.pool ?? null;
  fields.upstream = ctx.upstream?.name ?? null;
  fields.attempts = ctx.attempts;
  fields.durationMs = durationMs;
  fields.bytesOut = bytesOut;
  const at = batch.reserve(accessLogLineBound(fields));
  if (at < 0) return false;
  const end = encodeAccessLogLine(batch.bytes, at, fields);
  if (end < 0) return false;
  batch.commit(end);
  return true;
}

function makeEntry(
  ctx: RequestContext,
  status: number,
  bytesOut: number,
  durationMs: number,
): AccessLogEntry {
  const entry: AccessLogEntry = {
    time: isoTime(ctx.receivedAt),
    request_id: ctx.requestId,
    trace_id: ctx.trace?.traceId ?? null,
    client: ctx.clientIp,
    method: ctx.request.method,
    path: ctx.target,
    status,
    route: ctx.route ?? null,
    pool: ctx.pool ?? null,
    upstream: ctx.upstream?.name ?? null,
    attempts: ctx.attempts,
    duration_ms: roundDuration(durationMs),
    bytes_out: bytesOut,
  };
  return entry;
}

/** Escapes a text for use as a LogTape message template (`{` → `{{`, `}` → `}}`). */
function escapeBraces(text: string): string {
  return text.replaceAll("{", "{{").replaceAll("}", "}}");
}
