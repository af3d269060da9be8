/**
 * Reads one response from a connection: the head (interim 1xx answers skipped) and the reader
 * its framing calls for (RFC 9112 §6.3). The transport and the differential test share it.
 *
 * @module
 */

import {
  type BodyReader,
  ChunkedReader,
  CloseDelimitedReader,
  ContentLengthReader,
} from "./body_readers.ts";
import type { Http1Connection } from "./connection.ts";
import { UpstreamClosedError } from "../../net/mod.ts";
import { MalformedResponseError } from "./errors.ts";
import {
  findHeadEnd,
  type HeadScan,
  MAX_HEAD_BYTES,
  parseResponseHead,
  type ResponseHead,
} from "./response_head.ts";

/** Interim (1xx) responses skipped before a final one, at most. */
export const MAX_INTERIM = 32;

/** How far a response got, for classifying a failure (updated as bytes arrive). */
export interface ResponseProgress {
  /** Whether request bytes were written (for the error's state). */
  requestSent: boolean;
  /** Whether any response byte arrived. */
  responseStarted: boolean;
}

/**
 * Reads the final response head: 1xx interim answers (100 Continue, 103 Early Hints, …) are
 * read and dropped; 101 is returned only when `upgrade`, refused otherwise.
 * @param conn the connection, after the request was written.
 * @param upgrade whether the request asked for an upgrade.
 * @param progress set to `responseStarted` once a byte arrives.
 * @returns the head; the connection's buffer starts at the body.
 * @throws {MalformedResponseError} see `parseResponseHead`; a head over 64 KiB; an
 *   unsolicited 101; more than {@linkcode MAX_INTERIM} interim answers.
 * @throws {UpstreamClosedError} end of stream before the head was complete.
 * @throws what the socket throws (reset, closed by an abort).
 */
export async function readResponseHead(
  conn: Http1Connection,
  upgrade: boolean,
  progress: ResponseProgress,
): Promise<ResponseHead> {
  const scan: HeadScan = { from: conn.start };
  let interim = 0;
  for (;;) {
    const end = conn.buffered === 0 ? -1 : findHeadEnd(conn.buf, conn.start, conn.end, scan);
    if (end < 0) {
      if (conn.buffered >= MAX_HEAD_BYTES) {
        throw new MalformedResponseError(`response head larger than ${MAX_HEAD_BYTES} bytes`);
      }
      const before = conn.start;
      if (await conn.read() === null) {
        throw new UpstreamClosedError(
          progress.responseStarted ? "inside the response head" : "before the response head",
          progress,
        );
      }
      progress.responseStarted = true;
      scan.from -= before - conn.start;
      continue;
    }
    if (end - conn.start > MAX_HEAD_BYTES) {
      throw new MalformedResponseError(`response head larger than ${MAX_HEAD_BYTES} bytes`);
    }
    const head = parseResponseHead(conn.buf, conn.start, end);
    conn.start = end;
    if (conn.start === conn.end) conn.start = conn.end = 0;
    if (head.status >= 200) return head;
    if (head.status === 101) {
      if (upgrade) return head;
      throw new MalformedResponseError("101 Switching Protocols to a request without Upgrade");
    }
    if (++interim > MAX_INTERIM) {
      throw new MalformedResponseError(`more than ${MAX_INTERIM} interim responses`);
    }
    scan.from = conn.start;
  }
}

/**
 * The body reader a final response's framing calls for, or `null` for none: HEAD responses,
 * 204, 304 (and 101) have no body; else chunked, Content-Length, or close-delimited.
 * @param conn the connection, its buffer at the body.
 * @param head the final response head.
 * @param method the request method.
 * @returns a reader, or `null` when the response has no body.
 */
export function bodyReaderFor(
  conn: Http1Connection,
  head: ResponseHead,
  method: string,
): BodyReader | ContentLengthReader | null {
  if (method === "HEAD" || head.status === 204 || head.status === 304 || head.status === 101) {
    return null;
  }
  if (head.chunked) return new ChunkedReader(conn);
  if (head.contentLength >= 0) return new ContentLengthReader(conn, head.contentLength);
  return new CloseDelimitedReader(conn);
}
