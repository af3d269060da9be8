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
 * Reads the final response head in steps, without an async frame of its own: the caller
 * awaits the connection's read itself (one promise fewer per exchange than an async reader).
 * 1xx interim answers (100 Continue, 103 Early Hints, …) are read and dropped; 101 is returned
 * only when `upgrade`, refused otherwise.
 *
 * ```ts
 * const heads = new ResponseHeadReader(conn, upgrade, progress);
 * let head;
 * while ((head = heads.next()) === null) heads.readDone(await conn.read());
 * ```
 */
export class ResponseHeadReader {
  readonly #conn: Http1Connection;
  readonly #upgrade: boolean;
  readonly #progress: ResponseProgress;
  /** Where the search for the head's end goes on (see `findHeadEnd`). */
  readonly #scan: HeadScan;
  #interim = 0;
  /** The buffer's start when a read was asked for (a read may move the buffered bytes). */
  #before = 0;

  /**
   * @param conn the connection, after the request was written.
   * @param upgrade whether the request asked for an upgrade.
   * @param progress set to `responseStarted` once a byte arrives.
   */
  constructor(conn: Http1Connection, upgrade: boolean, progress: ResponseProgress) {
    this.#conn = conn;
    this.#upgrade = upgrade;
    this.#progress = progress;
    this.#scan = { from: conn.start };
  }

  /**
   * The final head if the buffer holds it; the connection's buffer then starts at the body.
   * @returns the head, or `null` when more bytes are needed: await `conn.read()` and pass its
   *   result to {@linkcode readDone}, then call this again.
   * @throws {MalformedResponseError} see `parseResponseHead`; a head over 64 KiB; an
   *   unsolicited 101; more than {@linkcode MAX_INTERIM} interim answers.
   */
  next(): ResponseHead | null {
    const conn = this.#conn;
    for (;;) {
      const end = conn.buffered === 0
        ? -1
        : findHeadEnd(conn.buf, conn.start, conn.end, this.#scan);
      if (end < 0) {
        if (conn.buffered >= MAX_HEAD_BYTES) {
          throw new MalformedResponseError(`response head larger than ${MAX_HEAD_BYTES} bytes`);
        }
        this.#before = conn.start;
        return null;
      }
      if (end - conn.start > MAX_HEAD_BYTES) {
        throw new MalformedResponseError(`response head larger than ${MAX_HEAD_BYTES} bytes`);
      }
      const head = parseResponseHead(conn.buf, conn.start, end);
      conn.start = end;
      if (conn.start === conn.end) conn.start = conn.end = 0;
      if (head.status >= 200) return head;
      if (head.status === 101) {
        if (this.#upgrade) return head;
        throw new MalformedResponseError("101 Switching Protocols to a request without Upgrade");
      }
      if (++this.#interim > MAX_INTERIM) {
        throw new MalformedResponseError(`more than ${MAX_INTERIM} interim responses`);
      }
      this.#scan.from = conn.start;
    }
  }

  /**
   * Takes the result of the `conn.read()` that {@linkcode next} asked for.
   * @param n what the read resolved to: bytes read, or `null` at end of stream.
   * @throws {UpstreamClosedError} end of stream before the head was complete.
   */
  readDone(n: number | null): void {
    if (n === null) {
      throw new UpstreamClosedError(
        this.#progress.responseStarted ? "inside the response head" : "before the response head",
        this.#progress,
      );
    }
    this.#progress.responseStarted = true;
    this.#scan.from -= this.#before - this.#conn.start;
  }
}

/**
 * Reads the final response head (see {@linkcode ResponseHeadReader}, which the transport
 * drives itself).
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
  const heads = new ResponseHeadReader(conn, upgrade, progress);
  let head: ResponseHead | null;
  while ((head = heads.next()) === null) heads.readDone(await conn.read());
  return head;
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
