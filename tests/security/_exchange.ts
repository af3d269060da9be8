/**
 * Raw exchanges for the security tests: send bytes as they are, read what comes back until the
 * server closes the connection.
 *
 * @module
 */

import { within } from "../_fixtures.ts";

/**
 * Sends `payload` over a new connection and resolves with the status codes of every response
 * read until Sluice closes the connection (within `timeoutMs`, else rejects). Statuses are read
 * from the status lines, so pipelined answers all count.
 * @param url origin to connect to.
 * @param payload the bytes to send, as a binary string (each char one byte).
 * @param timeoutMs bound on the whole exchange, ms.
 */
export async function exchange(url: string, payload: string, timeoutMs = 5_000): Promise<number[]> {
  const { hostname, port } = new URL(url);
  using conn = await Deno.connect({ hostname, port: Number(port) });
  const bytes = Uint8Array.from(payload, (c) => c.charCodeAt(0));
  await conn.write(bytes);
  const buffer = new Uint8Array(64 * 1024);
  let text = "";
  await within(
    (async () => {
      for (let n; (n = await conn.read(buffer).catch(() => null)) !== null;) {
        text += new TextDecoder().decode(buffer.subarray(0, n));
      }
    })(),
    timeoutMs,
    "Sluice closing the connection",
  );
  return [...text.matchAll(/^HTTP\/1\.[01] (\d{3}) /gm)].map((m) => Number(m[1]));
}
