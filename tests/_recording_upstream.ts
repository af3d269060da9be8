/**
 * A raw-TCP upstream for the security tests that records exactly the bytes it receives, where a
 * `Deno.serve` upstream would parse, normalise and hide them.
 *
 * @module
 */

import { concat, writeAll } from "./_bytes.ts";

/** One request as it arrived on the wire. */
export interface RecordedRequest {
  /** The request line as received, e.g. `GET /a HTTP/1.1` (one char per byte, as all text here). */
  requestLine: string;
  /** The request target of the request line, byte for byte. */
  target: string;
  /** Header lines in wire order, names lower-cased, repeats kept. */
  headerList: [string, string][];
  /** The same headers as a `Headers` object. */
  headers: Headers;
  /** How the body was framed. */
  framing: "none" | "content-length" | "chunked";
  /** The body after de-chunking. */
  body: Uint8Array;
}

/** A running {@linkcode startRecordingUpstream}. */
export interface RecordingUpstream extends AsyncDisposable {
  /** Origin, e.g. `http://127.0.0.1:41234`. */
  readonly url: string;
  /** Every request read in full, in order. */
  readonly requests: RecordedRequest[];
  /** Every byte received, per connection, in order of connection. */
  readonly raw: Uint8Array[];
  /** Connections accepted so far. */
  readonly connections: number;
  /**
   * Resolves once `count` requests have been read in full; rejects after `timeoutMs`.
   * @param count requests to wait for.
   * @param timeoutMs bound on the wait, ms.
   */
  waitForRequests(count: number, timeoutMs: number): Promise<void>;
  /** Closes the listener and every connection, then waits for the handlers. Idempotent. */
  close(): Promise<void>;
}

/**
 * Starts an HTTP/1.1 upstream on 127.0.0.1 that reads requests (Content-Length or chunked
 * bodies), records them, and answers each with `200` and the body `ok`, keeping the connection
 * open. A request it cannot parse ends the connection (and is recorded in `raw` only).
 * @returns the running upstream.
 */
export function startRecordingUpstream(): RecordingUpstream {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const requests: RecordedRequest[] = [];
  const raw: Uint8Array[] = [];
  const conns = new Set<Deno.Conn>();
  const handlers = new Set<Promise<void>>();
  const waiters = new Set<() => void>();
  let connections = 0;
  const accepting = (async () => {
    for await (const conn of listener) {
      connections++;
      conns.add(conn);
      const index = raw.push(new Uint8Array(0)) - 1;
      const handler = serve(conn, (bytes) => raw[index] = concat([raw[index]!, bytes]), (r) => {
        requests.push(r);
        for (const wake of waiters) wake();
      }).catch(() => {}).finally(() => {
        conns.delete(conn);
        handlers.delete(handler);
      });
      handlers.add(handler);
    }
  })().catch(() => {});
  let closing: Promise<void> | undefined;
  const close = () =>
    closing ??= (async () => {
      listener.close();
      await accepting;
      for (const conn of conns) {
        try {
          conn.close();
        } catch { /* closed by its handler */ }
      }
      await Promise.all(handlers);
    })();
  return {
    url: `http://127.0.0.1:${listener.addr.port}`,
    requests,
    raw,
    get connections() {
      return connections;
    },
    waitForRequests(count, timeoutMs) {
      if (requests.length >= count) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const check = () => {
          if (requests.length < count) return;
          clearTimeout(timer);
          waiters.delete(check);
          resolve();
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`${requests.length} of ${count} requests within ${timeoutMs}ms`));
        }, timeoutMs);
        waiters.add(check);
      });
    },
    close,
    [Symbol.asyncDispose]: close,
  };
}

/** Reads requests from `conn` until it closes; answers each with 200 `ok`. */
async function serve(
  conn: Deno.Conn,
  onBytes: (bytes: Uint8Array) => void,
  onRequest: (request: RecordedRequest) => void,
): Promise<void> {
  let buffered: Uint8Array = new Uint8Array(0);
  const chunk = new Uint8Array(64 * 1024);
  /** At least `n` bytes buffered, or false when the connection ended first. */
  const fill = async (n: number): Promise<boolean> => {
    while (buffered.length < n) {
      const read = await conn.read(chunk);
      if (read === null) return false;
      const bytes = chunk.slice(0, read);
      onBytes(bytes);
      buffered = concat([buffered, bytes]);
    }
    return true;
  };
  /** The next line (without CRLF), or undefined at the end of the connection. */
  const line = async (): Promise<string | undefined> => {
    for (let from = 0;;) {
      const at = indexOfCrlf(buffered, from);
      if (at >= 0) {
        // One char per byte (obs-text stays as sent; a UTF-8 decoder would invent U+FFFD).
        const text = String.fromCharCode(...buffered.subarray(0, at));
        buffered = buffered.subarray(at + 2);
        return text;
      }
      from = Math.max(0, buffered.length - 1);
      if (!await fill(buffered.length + 1)) return undefined;
    }
  };
  const take = async (n: number): Promise<Uint8Array | undefined> => {
    if (!await fill(n)) return undefined;
    const bytes = buffered.slice(0, n);
    buffered = buffered.subarray(n);
    return bytes;
  };
  try {
    for (;;) {
      const requestLine = await line();
      if (requestLine === undefined) return;
      const headerList: [string, string][] = [];
      for (;;) {
        const header = await line();
        if (header === undefined) return;
        if (header === "") break;
        const colon = header.indexOf(":");
        headerList.push([header.slice(0, colon).toLowerCase(), header.slice(colon + 1).trim()]);
      }
      const headers = new Headers();
      for (const [name, value] of headerList) headers.append(name, value);
      let framing: RecordedRequest["framing"] = "none";
      let body: Uint8Array = new Uint8Array(0);
      if (/chunked/i.test(headers.get("transfer-encoding") ?? "")) {
        framing = "chunked";
        const parts: Uint8Array[] = [];
        for (;;) {
          const size = await line();
          if (size === undefined) return;
          const n = parseInt(size.split(";")[0]!, 16);
          if (n === 0) {
            while ((await line()) !== "") { /* trailers */ }
            break;
          }
          const data = await take(n + 2);
          if (data === undefined) return;
          parts.push(data.subarray(0, n));
        }
        body = concat(parts);
      } else if (headers.has("content-length")) {
        framing = "content-length";
        const data = await take(Number(headers.get("content-length")));
        if (data === undefined) return;
        body = data;
      }
      onRequest({
        requestLine,
        target: requestLine.split(" ")[1] ?? "",
        headerList,
        headers,
        framing,
        body,
      });
      await writeAll(conn, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
    }
  } finally {
    try {
      conn.close();
    } catch { /* closed by close() */ }
  }
}

function indexOfCrlf(bytes: Uint8Array, from: number): number {
  for (let i = from; i + 1 < bytes.length; i++) {
    if (bytes[i] === 0x0d && bytes[i + 1] === 0x0a) return i;
  }
  return -1;
}
