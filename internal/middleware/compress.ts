/**
 * Compression of responses to clients (Caddy `encode`, nginx `gzip`/`brotli`): a response the
 * upstream sent uncompressed is compressed on the fly when the client accepts it.
 *
 * @module
 */

import { constants, createBrotliCompress } from "node:zlib";
import type { Handler, Middleware, RequestContext } from "./context.ts";
import { requestField } from "./request_field.ts";

/** Content codings Sluice can produce. */
export type CompressionAlgorithm = "br" | "gzip";

/** Options of {@linkcode compress}. */
export interface CompressOptions {
  /**
   * Media types compressed (lower case, no parameters); `type/*` matches a whole type.
   */
  types: readonly string[];
  /** Bodies with a known length below this are sent as they are, bytes. */
  minSizeBytes: number;
  /** Codings offered, the server's preference first (ties in the client's q-values). */
  algorithms: readonly CompressionAlgorithm[];
  /** Brotli quality 0-11: on the fly, a low one (Caddy and nginx-brotli use 4-6). @default 4 */
  brotliQuality?: number;
}

/**
 * The coding to use for a request's `Accept-Encoding` (RFC 9110 §12.5.3): among `algorithms`,
 * the one with the highest q-value the client gives it (or `*` gives), the first of
 * `algorithms` on a tie; `undefined` when none is acceptable (absent header, q=0, or not
 * listed).
 * @param acceptEncoding the header's value, or `null`.
 * @param algorithms the codings offered, preferred first.
 * @returns the coding, or `undefined`.
 */
export function negotiateEncoding(
  acceptEncoding: string | null,
  algorithms: readonly CompressionAlgorithm[],
): CompressionAlgorithm | undefined {
  if (acceptEncoding === null || acceptEncoding === "") return undefined;
  const q = new Map<string, number>();
  for (const part of acceptEncoding.split(",")) {
    const [rawName, ...params] = part.split(";");
    const name = rawName!.trim().toLowerCase();
    if (name === "") continue;
    let weight = 1;
    for (const param of params) {
      const [key, value] = param.split("=");
      if (key?.trim().toLowerCase() === "q") {
        const parsed = Number(value?.trim());
        weight = Number.isFinite(parsed) && parsed >= 0 && parsed <= 1 ? parsed : 0;
      }
    }
    q.set(name, weight);
  }
  let best: CompressionAlgorithm | undefined;
  let bestQ = 0;
  for (const algorithm of algorithms) {
    const weight = q.get(algorithm) ?? q.get("*") ?? 0;
    if (weight > bestQ) {
      best = algorithm;
      bestQ = weight;
    }
  }
  return best;
}

/** Whether `mediaType` (lower case, no parameters) is one of `types` (`text/*` matches). */
function matchesType(mediaType: string, types: readonly string[]): boolean {
  for (const type of types) {
    if (type === mediaType) return true;
    if (type.endsWith("/*") && mediaType.startsWith(type.slice(0, -1))) return true;
  }
  return false;
}

/**
 * Why a response is not compressible whatever the client accepts, or `undefined` when it is
 * (then the answer depends on `Accept-Encoding`, and `Vary: Accept-Encoding` is due).
 */
function notCompressible(
  request: Request,
  response: Response,
  options: CompressOptions,
): string | undefined {
  if (request.method === "HEAD") return "HEAD";
  const status = response.status;
  if (status < 200 || status === 204 || status === 206 || status === 304) return "status";
  if (response.body === null) return "no body";
  const headers = response.headers;
  const coding = headers.get("content-encoding");
  if (coding !== null && coding.trim().toLowerCase() !== "identity") return "encoded";
  if (headers.has("content-range")) return "range";
  if (/(^|,)\s*no-transform\s*(,|$)/i.test(headers.get("cache-control") ?? "")) {
    return "no-transform";
  }
  const type = headers.get("content-type");
  if (type === null) return "no type";
  const semicolon = type.indexOf(";");
  const mediaType = (semicolon < 0 ? type : type.slice(0, semicolon)).trim().toLowerCase();
  // Server-sent events must reach the client event by event, never held in a compressor.
  if (mediaType === "text/event-stream" || !matchesType(mediaType, options.types)) return "type";
  const length = headers.get("content-length");
  if (length !== null && Number(length) < options.minSizeBytes) return "small";
  return undefined;
}

/**
 * Middleware that compresses responses on the fly: gzip with the platform's
 * `CompressionStream`, brotli with `node:zlib` (quality `brotliQuality`). Only a response whose
 * media type is in `types`, with a body, status 200-299 other than 204 and 206 (and never 304
 * or 1xx), no `Content-Encoding` (or `identity`), no `Content-Range`, no
 * `Cache-Control: no-transform`, not `text/event-stream`, and not a `HEAD`; a body whose
 * `Content-Length` is below `minSizeBytes` is left alone (a streamed one of unknown length is
 * compressed). Such a response always gets `Vary: Accept-Encoding` (caches must key on it);
 * when compressed, `Content-Encoding` is set, `Content-Length` removed (the body is then sent
 * chunked, or framed by HTTP/2) and a strong `ETag` made weak (nginx does the same: the bytes
 * differ from the upstream's).
 * @param options media types, minimum size and codings.
 * @returns the middleware.
 */
export function compress(options: CompressOptions): Middleware {
  const quality = options.brotliQuality ?? 4;
  return async function compressMiddleware(ctx: RequestContext, next: Handler) {
    const response = await next(ctx);
    if (notCompressible(ctx.request, response, options) !== undefined) return response;
    let headers = response.headers;
    try {
      appendVary(headers);
    } catch {
      // Immutable headers (a fetch Response passed through as is): copy them.
      headers = new Headers(headers);
      appendVary(headers);
      const copy = new Response(response.body, {
        status: response.status,
        statusText: response.statusText,
        headers,
      });
      return finish(ctx, copy, headers, options, quality);
    }
    return finish(ctx, response, headers, options, quality);
  };
}

/** Compresses an eligible response (its `Vary` already set) when the client accepts a coding. */
function finish(
  ctx: RequestContext,
  response: Response,
  headers: Headers,
  options: CompressOptions,
  quality: number,
): Response {
  const algorithm = negotiateEncoding(
    requestField(ctx, "accept-encoding"),
    options.algorithms,
  );
  if (algorithm === undefined) return response;
  const compressor = algorithm === "gzip" ? new CompressionStream("gzip") : brotliStream(quality);
  const out = new Headers(headers);
  out.set("content-encoding", algorithm);
  out.delete("content-length");
  const etag = out.get("etag");
  if (etag !== null && !etag.startsWith("W/")) out.set("etag", `W/${etag}`);
  return new Response(response.body!.pipeThrough(compressor), {
    status: response.status,
    statusText: response.statusText,
    headers: out,
  });
}

function appendVary(headers: Headers): void {
  const vary = headers.get("vary");
  if (vary === null) headers.set("vary", "Accept-Encoding");
  else if (!/(^|,)\s*(accept-encoding|\*)\s*(,|$)/i.test(vary)) {
    headers.set("vary", `${vary}, Accept-Encoding`);
  }
}

/**
 * A brotli compressor as a web TransformStream (node:zlib has the only brotli encoder). Written
 * over the zlib stream rather than with `Duplex.toWeb`, whose adapter enqueued output after the
 * reader had cancelled (a client that left mid-body): an uncaught TypeError, fatal to the
 * process. Output produced after the reader cancelled is dropped and the compressor destroyed.
 */
function brotliStream(quality: number): TransformStream<Uint8Array, Uint8Array> {
  const zlib = createBrotliCompress({
    params: { [constants.BROTLI_PARAM_QUALITY]: quality },
  });
  let output: TransformStreamDefaultController<Uint8Array> | undefined;
  let stopped = false;
  const stop = () => {
    stopped = true;
    zlib.destroy();
  };
  zlib.on("data", (chunk: Uint8Array) => {
    if (stopped) return;
    try {
      output!.enqueue(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
    } catch {
      stop(); // the reader cancelled
    }
  });
  // Failures reach the stream through write and end callbacks; none may go unhandled.
  zlib.on("error", () => {});
  return new TransformStream<Uint8Array, Uint8Array>({
    start(controller) {
      output = controller;
    },
    transform(chunk) {
      return new Promise<void>((resolve, reject) => {
        zlib.write(chunk, (error) => error ? reject(error) : resolve());
      });
    },
    flush() {
      return new Promise<void>((resolve, reject) => {
        zlib.once("end", resolve);
        zlib.once("error", reject);
        zlib.end();
      });
    },
    cancel() {
      stop();
    },
  });
}
