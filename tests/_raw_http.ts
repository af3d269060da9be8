/**
 * A raw HTTP/1.1 client for the end-to-end tests: it shows what really crosses the wire, where
 * fetch would hide it (hop-by-hop headers, compressed bytes, repeated headers).
 *
 * @module
 */

import { concat, writeAll } from "./_bytes.ts";

/** A response as read from the socket. */
export interface RawResponse {
  status: number;
  /** Header lines in wire order, names lower-cased, repeats kept. */
  headerList: [string, string][];
  /** The same headers as a `Headers` object. */
  headers: Headers;
  /** The body after de-chunking, not decoded in any other way. */
  body: Uint8Array;
}

const decoder = new TextDecoder();

/**
 * Sends `head` (request line and headers, ending with an empty line; it should ask for
 * `Connection: close`) over a new TCP connection and reads the response until the server
 * closes the connection.
 * @param url origin to connect to, e.g. `http://127.0.0.1:8080`.
 * @param head the request head, CRLF line endings.
 */
export async function rawRequest(url: string, head: string): Promise<RawResponse> {
  const { hostname, port } = new URL(url);
  using conn = await Deno.connect({ hostname, port: Number(port) });
  await writeAll(conn, head);
  const chunks: Uint8Array[] = [];
  const buffer = new Uint8Array(64 * 1024);
  for (let n; (n = await conn.read(buffer)) !== null;) chunks.push(buffer.slice(0, n));
  const all = concat(chunks);
  let headEnd = 0;
  while (indexOfCrlf(all, headEnd) !== headEnd) headEnd = indexOfCrlf(all, headEnd) + 2;
  const lines = decoder.decode(all.subarray(0, headEnd)).split("\r\n").filter((l) => l !== "");
  const status = Number(lines[0]!.split(" ")[1]);
  const headerList = lines.slice(1).map((line): [string, string] => {
    const colon = line.indexOf(":");
    return [line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim()];
  });
  const headers = new Headers();
  for (const [name, value] of headerList) headers.append(name, value);
  const rawBody = all.subarray(headEnd + 2);
  const chunked = /chunked/i.test(headers.get("transfer-encoding") ?? "");
  return { status, headerList, headers, body: chunked ? dechunk(rawBody) : rawBody };
}

/**
 * `GET path` with `Connection: close` over a new TCP connection.
 * @param url origin to connect to.
 * @param path request target.
 * @param extraHeaders more header lines, each ending in CRLF.
 */
export function rawGet(url: string, path: string, extraHeaders = ""): Promise<RawResponse> {
  const { hostname } = new URL(url);
  return rawRequest(
    url,
    `GET ${path} HTTP/1.1\r\nHost: ${hostname}\r\n${extraHeaders}Connection: close\r\n\r\n`,
  );
}

function indexOfCrlf(bytes: Uint8Array, from: number): number {
  for (let i = from; i + 1 < bytes.length; i++) {
    if (bytes[i] === 0x0d && bytes[i + 1] === 0x0a) return i;
  }
  throw new Error("truncated HTTP message");
}

function dechunk(bytes: Uint8Array): Uint8Array {
  const parts: Uint8Array[] = [];
  let offset = 0;
  for (;;) {
    const lineEnd = indexOfCrlf(bytes, offset);
    const size = parseInt(decoder.decode(bytes.subarray(offset, lineEnd)).split(";")[0]!, 16);
    offset = lineEnd + 2;
    if (size === 0) return concat(parts);
    parts.push(bytes.subarray(offset, offset + size));
    offset += size + 2;
  }
}
