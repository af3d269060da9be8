/**
 * Builds the `Response` the http1 transport hands to the proxy from a parsed response head.
 *
 * @module
 */

import { FieldResponse } from "../field_response.ts";
import type { HeaderList } from "../headers.ts";

/**
 * A response with `body`, `status`, `statusText` and the fields of `headers` in order
 * (repeated fields such as `set-cookie` kept apart): a {@linkcode FieldResponse}, which makes a
 * WHATWG `Response` only when a member needs one. The default path reads its status, sets
 * `X-Request-Id` in its list (`setResponseField`) and the http1 listener writes the list
 * (`responseFieldList`): no `Response`, no `Headers`. Made, the real response gets the fields
 * appended to its own `Headers` (in the init Deno 2.9.6 converts the list as a WebIDL
 * `sequence<sequence<ByteString>>` and, for a byte body, copies everything into `Deno.serve`'s
 * native response, dropped again when its headers are read). The names and values are the
 * response parser's, which refuses what `Headers` would (`parseResponseHead`).
 * @param body the body: bytes, a stream, or `null`.
 * @param status the status code (101, or 200–599; `Response` refuses others).
 * @param statusText the reason phrase, possibly empty.
 * @param headers lower-case names with their values, as the response parser makes them.
 * @returns the response.
 * @throws {TypeError} a body with a null-body status.
 * @throws {RangeError} a status `Response` refuses.
 */
export function clientResponse(
  body: Uint8Array<ArrayBuffer> | ReadableStream<Uint8Array> | null,
  status: number,
  statusText: string,
  headers: HeaderList,
): Response {
  return new FieldResponse(body, status, statusText, headers);
}
