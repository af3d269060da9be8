/**
 * Test helper: an `Http1Connection` over a fake socket that yields scripted reads.
 *
 * @module
 */

import { Http1Connection } from "./connection.ts";

/**
 * A connection whose reads return `pieces` one by one, then end of stream (or throw `end`).
 * @param pieces byte strings (one character per byte) returned by successive reads.
 * @param end thrown after the last piece instead of returning end of stream.
 * @param bufferBytes read buffer size.
 */
export function scriptedConnection(
  pieces: string[],
  end?: Error,
  bufferBytes?: number,
): Http1Connection {
  const queue = pieces.map((p) => Uint8Array.from(p, (c) => c.charCodeAt(0)));
  let pending: Uint8Array | undefined;
  const conn = {
    read(into: Uint8Array): Promise<number | null> {
      const next = pending ?? queue.shift();
      pending = undefined;
      if (next === undefined) return end ? Promise.reject(end) : Promise.resolve(null);
      const n = Math.min(into.length, next.length);
      into.set(next.subarray(0, n));
      if (n < next.length) pending = next.subarray(n);
      return Promise.resolve(n);
    },
    write(bytes: Uint8Array): Promise<number> {
      return Promise.resolve(bytes.length);
    },
    close() {},
  } as unknown as Deno.Conn;
  return new Http1Connection(conn, "http://test", bufferBytes);
}
