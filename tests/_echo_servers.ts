/**
 * Echo servers for the listener differential test: the same echo handler behind `Deno.serve`
 * (hyper, the reference) and behind Sluice's `Http1Listener`, and a raw client that sends exact
 * bytes and reads every response until the server closes.
 *
 * @module
 */

import { Http1Listener } from "../internal/server/mod.ts";
import { createContext } from "../internal/middleware/mod.ts";
import { writeAll } from "./_bytes.ts";

/** What the echo saw of one request. */
export interface Echo {
  method: string;
  target: string;
  headers: [string, string][];
  body: string;
}

/** The outcome of one exchange: the requests the server accepted, then whether it refused. */
export interface Verdict {
  accepted: Echo[];
  /** The server answered an error status, or closed without answering the last bytes. */
  refused: boolean;
  /** Statuses of the error answers (for messages only). */
  statuses: number[];
}

const decoder = new TextDecoder("latin1");

async function echo(request: Request, target: string): Promise<Response> {
  let body: string;
  try {
    body = request.body ? decoder.decode(await request.bytes()) : "";
  } catch {
    return new Response("body refused\n", { status: 400 });
  }
  const seen: Echo = { method: request.method, target, headers: [...request.headers], body };
  return new Response(JSON.stringify(seen), { headers: { "x-echo": "1" } });
}

/** A running pair of echo servers. */
export interface EchoPair extends AsyncDisposable {
  /** Port of the `Deno.serve` echo. */
  servePort: number;
  /** Port of the `Http1Listener` echo. */
  http1Port: number;
}

/** Starts both echo servers on 127.0.0.1. */
export function startEchoPair(): EchoPair {
  const serve: Deno.HttpServer<Deno.NetAddr> = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    // The target as Sluice reads it from Deno.serve's Request (never moved by the Host).
    (request) =>
      echo(
        request,
        createContext(request, "", { fallbackAuthority: `localhost:${serve.addr.port}` }).target,
      ),
  );
  const http1 = new Http1Listener((ctx) => echo(ctx.request, ctx.target), {
    hostname: "127.0.0.1",
    port: 0,
  });
  return {
    servePort: serve.addr.port,
    http1Port: http1.addr.port,
    async [Symbol.asyncDispose]() {
      await Promise.all([serve.shutdown(), http1.shutdown()]);
    },
  };
}

/** A last request after the bytes under test: the server answers it, then closes. */
export const SENTINEL = new TextEncoder().encode(
  "GET /sentinel HTTP/1.1\r\nHost: sentinel.test\r\nConnection: close\r\n\r\n",
);

/** Longest wait for a server to answer and close, ms (one that waits for more bytes stalls). */
const EXCHANGE_BOUND_MS = 2000;

/**
 * Sends `pieces` (written one after the other, yielding between them so the server may read
 * them separately) and then {@linkcode SENTINEL}, and reads until the server closes, or until
 * {@linkcode EXCHANGE_BOUND_MS} passed (a server still waiting for bytes: what it answered so
 * far is its verdict). No half-close: hyper treats the end of the client's stream as an abort.
 * @returns every byte the server sent.
 */
export async function exchange(port: number, pieces: Uint8Array[]): Promise<Uint8Array> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  conn.setNoDelay(true);
  const timer = setTimeout(() => {
    try {
      conn.close();
    } catch { /* closed */ }
  }, EXCHANGE_BOUND_MS);
  const chunks: Uint8Array[] = [];
  try {
    try {
      for (const [i, piece] of [...pieces, SENTINEL].entries()) {
        if (i > 0) await new Promise((resolve) => setTimeout(resolve, 0));
        await writeAll(conn, piece);
      }
    } catch {
      // The server closed early (a refusal): read what it said.
    }
    const buffer = new Uint8Array(16 * 1024);
    try {
      for (let n; (n = await conn.read(buffer)) !== null;) chunks.push(buffer.slice(0, n));
    } catch {
      // Reset by the server, or closed at the bound: what was read is the answer.
    }
  } finally {
    clearTimeout(timer);
    try {
      conn.close();
    } catch { /* closed at the bound */ }
  }
  const out = new Uint8Array(chunks.reduce((sum, c) => sum + c.length, 0));
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.length;
  }
  return out;
}

/** Reads the responses of an exchange into a verdict. */
export function verdict(bytes: Uint8Array): Verdict {
  const text = decoder.decode(bytes);
  const result: Verdict = { accepted: [], refused: false, statuses: [] };
  let at = 0;
  while (at < text.length) {
    const headEnd = text.indexOf("\r\n\r\n", at);
    if (headEnd < 0) break;
    const lines = text.slice(at, headEnd).split("\r\n");
    const status = Number(lines[0]!.split(" ")[1]);
    const headers = new Map<string, string>();
    for (const line of lines.slice(1)) {
      const colon = line.indexOf(":");
      headers.set(line.slice(0, colon).toLowerCase(), line.slice(colon + 1).trim());
    }
    at = headEnd + 4;
    let body = "";
    if (headers.has("content-length")) {
      const length = Number(headers.get("content-length"));
      body = text.slice(at, at + length);
      at += length;
    } else if (headers.get("transfer-encoding") === "chunked") {
      for (;;) {
        const lineEnd = text.indexOf("\r\n", at);
        const size = parseInt(text.slice(at, lineEnd), 16);
        at = lineEnd + 2;
        if (!(size > 0)) {
          at += 2;
          break;
        }
        body += text.slice(at, at + size);
        at += size + 2;
      }
    } else {
      // Delimited by the close (HTTP/1.0).
      body = text.slice(at);
      at = text.length;
    }
    if (status === 100) continue;
    if (status === 200 && headers.get("x-echo") === "1") {
      try {
        result.accepted.push(JSON.parse(body) as Echo);
      } catch {
        // A body cut short: the exchange failed.
        result.refused = true;
        result.statuses.push(-status);
        break;
      }
    } else {
      result.refused = true;
      result.statuses.push(status);
      break;
    }
  }
  return result;
}
