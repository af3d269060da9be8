/**
 * A raw TCP upstream for the end-to-end tests: it answers each request head with exactly the
 * bytes a test gives, however malformed (both Content-Length and Transfer-Encoding, an
 * unsolicited `101`), which `Deno.serve` would never send, and it tells when the client
 * (Sluice) closed each connection.
 *
 * @module
 */

import { writeAll } from "./_bytes.ts";

const decoder = new TextDecoder();

/** A running {@linkcode startRawUpstream}. */
export interface RawUpstream extends AsyncDisposable {
  /** Origin, e.g. `http://127.0.0.1:41234`. */
  readonly url: string;
  /** Request heads read, in order (health checks connect and send nothing: not counted). */
  readonly heads: string[];
  /**
   * For each request head, the number of the connection that carried it (connections counted
   * as accepted from 0, health checks' included): equal numbers mean a reused connection.
   */
  readonly connections: number[];
  /**
   * Resolves when the client has closed the connection that carried request `index` (0-based),
   * i.e. a read on it returned end of file.
   */
  closed(index: number): Promise<void>;
  /** Stops listening and closes every connection. */
  close(): Promise<void>;
}

/** Options of {@linkcode startRawUpstream}. */
export interface RawUpstreamOptions {
  /** Close each connection right after its first answer (an upstream cutting a response). */
  closeAfterAnswer?: boolean;
}

/**
 * Starts a TCP server on 127.0.0.1 that reads request heads (requests without a body) and
 * writes `answer(head)` for each, keeping the connection open for the next request until the
 * client closes it (unless `closeAfterAnswer`).
 * @param answer the raw response for a request head (request line and headers): a string is
 *   sent as UTF-8, bytes as they are (obs-text 0x80–0xFF as one byte each).
 * @param options see {@linkcode RawUpstreamOptions}.
 * @returns the running server.
 */
export function startRawUpstream(
  answer: (head: string) => string | Uint8Array,
  options: RawUpstreamOptions = {},
): RawUpstream {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const heads: string[] = [];
  const connectionOf: number[] = [];
  let accepted = 0;
  const closings: PromiseWithResolvers<void>[] = [];
  const closing = (index: number) => (closings[index] ??= Promise.withResolvers<void>());
  const connections = new Set<Deno.TcpConn>();
  const handlers = new Set<Promise<void>>();

  async function serve(conn: Deno.TcpConn, number: number): Promise<void> {
    const buffer = new Uint8Array(16 * 1024);
    let pending = "";
    const carried: number[] = [];
    try {
      for (;;) {
        const n = await conn.read(buffer);
        if (n === null) break;
        pending += decoder.decode(buffer.subarray(0, n));
        for (let end; (end = pending.indexOf("\r\n\r\n")) >= 0;) {
          const head = pending.slice(0, end);
          pending = pending.slice(end + 4);
          carried.push(heads.length);
          heads.push(head);
          connectionOf.push(number);
          await writeAll(conn, answer(head));
          if (options.closeAfterAnswer) return;
        }
      }
    } catch {
      // A reset is a close too.
    } finally {
      connections.delete(conn);
      try {
        conn.close();
      } catch { /* closed by close() */ }
      for (const index of carried) closing(index).resolve();
    }
  }

  const accepting = (async () => {
    for await (const conn of listener) {
      connections.add(conn);
      const handler = serve(conn, accepted++);
      handlers.add(handler);
      handler.finally(() => handlers.delete(handler));
    }
  })();

  let closed: Promise<void> | undefined;
  const close = () =>
    closed ??= (async () => {
      listener.close();
      await accepting.catch(() => {});
      for (const conn of connections) {
        try {
          conn.close();
        } catch { /* already closed */ }
      }
      await Promise.all(handlers);
    })();
  return {
    url: `http://127.0.0.1:${listener.addr.port}`,
    heads,
    connections: connectionOf,
    closed: (index) => closing(index).promise,
    close,
    [Symbol.asyncDispose]: close,
  };
}
