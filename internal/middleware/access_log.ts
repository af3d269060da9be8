/**
 * Structured access log: one line per request, written when the response body has finished.
 *
 * @module
 */

import { getLogger, type Logger } from "@logtape/logtape";
import { STATUS_CLIENT_CLOSED } from "../proxy/mod.ts";
import type { Handler, Middleware, RequestContext, ResponseOutcome } from "./context.ts";
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

/** Options of {@linkcode accessLog}. */
export interface AccessLogOptions {
  /** Where entries go. @default getLogger(["sluice", "access"]) */
  logger?: Logger;
  /**
   * Where entries go as JSON lines without LogTape, asked per entry: a writer of whole lines
   * (the batched sink the logger's records would reach), or `undefined` to use `logger`. The
   * line is the one `jsonLineFormatter` makes of the logger's record (see
   * {@linkcode accessLogLine}); skipping the record and the formatter saves most of an
   * entry's cost. @default always `logger`
   */
  lines?: () => ((line: string) => void) | undefined;
}

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
    const entry = makeEntry(ctx, status, outcome);
    const message =
      `${entry.method} ${entry.path} ${entry.status} ${entry.duration_ms}ms via ${entry.upstream}`;
    const line = lines();
    if (line !== undefined) {
      line(accessLogLine(entry, message));
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

function makeEntry(
  ctx: RequestContext,
  status: number,
  outcome: ResponseOutcome,
): AccessLogEntry {
  const entry: AccessLogEntry = {
    time: isoTime(ctx.receivedAt),
    request_id: ctx.requestId,
    trace_id: ctx.trace?.traceId ?? null,
    client: ctx.clientIp,
    method: ctx.request.method,
    path: ctx.target,
    status: outcome.clientAborted ? STATUS_CLIENT_CLOSED : status,
    route: ctx.route ?? null,
    pool: ctx.pool ?? null,
    upstream: ctx.upstream?.name ?? null,
    attempts: ctx.attempts,
    duration_ms: Math.round((performance.now() - ctx.startTime) * 1000) / 1000,
    bytes_out: outcome.bytes,
  };
  return entry;
}

/** Escapes a text for use as a LogTape message template (`{` → `{{`, `}` → `}}`). */
function escapeBraces(text: string): string {
  return text.replaceAll("{", "{{").replaceAll("}", "}}");
}
