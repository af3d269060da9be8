/**
 * Bytes on test sockets: writing a whole message (a socket write may take only part of it) and
 * joining chunks read from one. Shared by the raw clients and upstreams of the tests.
 *
 * @module
 */

const encoder = new TextEncoder();

/**
 * Writes all of `data` to `conn`, looping over partial writes.
 * @param conn the connection.
 * @param data bytes, or text sent as UTF-8.
 * @throws what `conn.write` throws (a reset, a broken pipe).
 */
export async function writeAll(conn: Deno.Conn, data: Uint8Array | string): Promise<void> {
  const bytes = typeof data === "string" ? encoder.encode(data) : data;
  for (let written = 0; written < bytes.length;) {
    written += await conn.write(bytes.subarray(written));
  }
}

/**
 * The chunks joined into one array.
 * @param chunks pieces in order.
 * @returns a new array of their total length.
 */
export function concat(chunks: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((sum, chunk) => sum + chunk.length, 0));
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.length;
  }
  return out;
}
