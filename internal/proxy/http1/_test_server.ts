/**
 * Test helper: a raw TCP upstream on loopback whose answers are scripted per connection.
 *
 * @module
 */

/** One accepted connection, with helpers to read requests and write raw bytes. */
export class RawConn {
  readonly conn: Deno.Conn;
  #buffered = "";
  /** @param conn the accepted socket. */
  constructor(conn: Deno.Conn) {
    this.conn = conn;
  }

  /** Reads until `\r\n\r\n`, then `bodyBytes` more; null at end of stream. */
  async readRequest(bodyBytes = 0): Promise<{ head: string; body: string } | null> {
    for (;;) {
      const end = this.#buffered.indexOf("\r\n\r\n");
      if (end >= 0 && this.#buffered.length >= end + 4 + bodyBytes) {
        const head = this.#buffered.slice(0, end + 4);
        const body = this.#buffered.slice(end + 4, end + 4 + bodyBytes);
        this.#buffered = this.#buffered.slice(end + 4 + bodyBytes);
        return { head, body };
      }
      if (!await this.#more()) return null;
    }
  }

  /** Reads until `marker` was received; returns everything up to and including it. */
  async readUntil(marker: string): Promise<string | null> {
    for (;;) {
      const at = this.#buffered.indexOf(marker);
      if (at >= 0) {
        const out = this.#buffered.slice(0, at + marker.length);
        this.#buffered = this.#buffered.slice(at + marker.length);
        return out;
      }
      if (!await this.#more()) return null;
    }
  }

  /** Resolves at end of stream (the client closed), with what arrived before it. */
  async untilClosed(): Promise<string> {
    while (await this.#more());
    return this.#buffered;
  }

  async #more(): Promise<boolean> {
    const buf = new Uint8Array(65536);
    let n: number | null;
    try {
      n = await this.conn.read(buf);
    } catch {
      return false;
    }
    if (n === null) return false;
    this.#buffered += String.fromCharCode(...buf.subarray(0, n));
    return true;
  }

  /** Writes a byte string. */
  async write(text: string): Promise<void> {
    const bytes = Uint8Array.from(text, (c) => c.charCodeAt(0));
    let at = 0;
    while (at < bytes.length) at += await this.conn.write(bytes.subarray(at));
  }

  /** Closes the socket (idempotent). */
  close(): void {
    try {
      this.conn.close();
    } catch { /* closed */ }
  }
}

/** A listening raw upstream. */
export interface RawUpstream extends AsyncDisposable {
  /** `http://127.0.0.1:PORT` */
  url: string;
  /** Connections accepted so far. */
  readonly accepted: number;
}

/**
 * Listens on a free loopback port; each accepted connection is handed to `handle` (the n-th
 * connection gets index n, from 0). Disposing closes the listener and every connection, and
 * waits for the handlers.
 */
export function rawUpstream(handle: (conn: RawConn, index: number) => Promise<void>): RawUpstream {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const conns = new Set<RawConn>();
  const handlers: Promise<void>[] = [];
  let accepted = 0;
  const loop = (async () => {
    for await (const conn of listener) {
      const raw = new RawConn(conn);
      conns.add(raw);
      handlers.push(handle(raw, accepted++).catch(() => {}).finally(() => raw.close()));
    }
  })().catch(() => {});
  return {
    url: `http://127.0.0.1:${listener.addr.port}`,
    get accepted() {
      return accepted;
    },
    async [Symbol.asyncDispose]() {
      listener.close();
      await loop;
      for (const conn of conns) conn.close();
      await Promise.all(handlers);
    },
  };
}
