/**
 * Upstream responses that must not reach the client, whatever the transport parsed.
 *
 * @module
 */

/**
 * Why an upstream's response cannot be relayed, or `undefined` when it can:
 * - `101 Switching Protocols` to a request that did not ask for an upgrade (RFC 9110 §15.2.2:
 *   a server must not switch to a protocol the request did not name); relayed, it would leave
 *   the client with a header-less 101 and a connection that never speaks HTTP again;
 * - both `Content-Length` and `Transfer-Encoding` (RFC 9112 §6.3: a sender must not, and the
 *   recipient may treat it as an error; nginx answers 502). Deno's fetch (hyper) reads such a
 *   body as chunked but keeps both headers, so the Content-Length it passes on would frame
 *   the body differently for the client, and the connection may carry a smuggled response;
 * - a final status outside 200–599 (RFC 9110 §15: three digits, 1xx interim): Deno's fetch
 *   hands on, say, `999` as a Response, which no `Response` Sluice makes from it would take
 *   (a RangeError, answered 500 as if it were Sluice's own fault).
 *
 * The caller answers 502 and closes that connection (cancelling the body drops it from
 * fetch's pool).
 * @param response the upstream's response, body unread.
 * @param upgradeRequested whether the request asked for an upgrade (`Upgrade` header sent).
 * @returns a short reason for the log, or `undefined`.
 */
export function invalidResponseReason(
  response: Response,
  upgradeRequested: boolean,
): string | undefined {
  if (response.status === 101 && !upgradeRequested) {
    return "answered 101 Switching Protocols to a request that did not ask for an upgrade";
  }
  const status = response.status;
  if (status !== 101 && !(status >= 200 && status <= 599)) {
    return `answered with status ${status}, outside 200-599 (RFC 9110 §15)`;
  }
  const headers = response.headers;
  if (headers.has("transfer-encoding") && headers.has("content-length")) {
    return "answered with both Content-Length and Transfer-Encoding (RFC 9112 §6.3)";
  }
  return undefined;
}
