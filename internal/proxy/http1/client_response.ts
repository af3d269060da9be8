/**
 * Builds the `Response` the http1 transport hands to the proxy from a parsed response head.
 *
 * @module
 */

import type { HeaderList } from "../headers.ts";

/**
 * A `Response` with `body`, `status`, `statusText` and the fields of `headers` in order
 * (repeated fields such as `set-cookie` kept apart).
 *
 * The fields are appended to the new response's own `Headers` rather than passed in the init:
 * Deno 2.9.6 converts an init's header list as a WebIDL `sequence<sequence<ByteString>>` and,
 * for a byte body, hands status, body and every header to its `Deno.serve` native path
 * (`op_http_new_response_native_headers`), only to drop that copy again as soon as anything
 * reads `response.headers`, which the listener and the middleware always do. Appending skips
 * both: about half the time of the init form for a 200 with a byte body and four headers
 * (`deno bench bench/request_path_bench.ts`, "response headers" group). Names and values are
 * still validated by `Headers.append`.
 * @param body the body: bytes, a stream, or `null`.
 * @param status the status code (101, or 200–599; `Response` refuses others).
 * @param statusText the reason phrase, possibly empty.
 * @param headers lower-case names with their values, as the response parser makes them.
 * @returns the response.
 * @throws {TypeError} a name or value `Headers` refuses, a body with a null-body status.
 * @throws {RangeError} a status `Response` refuses.
 */
export function clientResponse(
  body: Uint8Array<ArrayBuffer> | ReadableStream<Uint8Array> | null,
  status: number,
  statusText: string,
  headers: HeaderList,
): Response {
  const response = new Response(body, { status, statusText });
  const target = response.headers;
  for (let i = 0; i < headers.length; i++) {
    const field = headers[i]!;
    target.append(field[0], field[1]);
  }
  return response;
}
