/**
 * Reading network errors from fetch and `Deno.connect`: whether the connection never opened,
 * and a short reason for logs and error pages. Shared by health probes and the proxy.
 *
 * @module
 */

import { ConnectFailedError, UpstreamClosedError } from "../net/mod.ts";

/**
 * Whether a transport error means the connection never opened, so the request was not sent
 * and may be retried whatever its method (DNS failure, refused, unreachable, connect timeout).
 * @param error what fetch or a transport rejected with.
 * @returns true for a connect failure.
 */
export function isConnectFailure(error: unknown): boolean {
  if (error instanceof ConnectFailedError || error instanceof Deno.errors.ConnectionRefused) {
    return true;
  }
  const text = messages(error).join(" ");
  return text.includes("client error (Connect)") || text.includes("tcp connect error") ||
    text.includes("dns error");
}

/**
 * Whether a transport error means the connection was lost after it opened and before a
 * complete response head came: reset (RST), closed (FIN: a crashed upstream, or a keep-alive
 * connection the upstream closed as the request went out), broken pipe. No upstream answered
 * the request, though it may have read it (HAProxy `retry-on empty-response`).
 * @param error what fetch or a transport rejected with.
 * @returns true for a lost connection; false for a connect failure and anything else.
 */
export function isConnectionLost(error: unknown): boolean {
  if (
    error instanceof UpstreamClosedError ||
    error instanceof Deno.errors.ConnectionReset || error instanceof Deno.errors.BrokenPipe ||
    error instanceof Deno.errors.ConnectionAborted || error instanceof Deno.errors.UnexpectedEof
  ) return true;
  if (isConnectFailure(error)) return false;
  return LOST.test(messages(error).join(" "));
}

const LOST =
  /connection reset|connection closed before message completed|unexpected eof|incomplete message|broken pipe|connection aborted/i;

const KNOWN_REASONS: readonly [RegExp, string][] = [
  [/connection refused/i, "connection refused"],
  [/connection reset/i, "connection reset"],
  [/dns error/i, "DNS lookup failed"],
  [/unreachable/i, "network unreachable"],
  [/connect timed out/i, "connect timeout"],
  [
    /connection closed before (message completed|a complete response)|unexpected eof|incomplete message/i,
    "connection closed before a complete response",
  ],
];

/**
 * A one-line reason for a network error, e.g. `"connection refused"`, from the error and its
 * `cause` chain (fetch wraps the real reason in `cause`).
 * @param error what fetch, a transport or `Deno.connect` threw.
 * @returns a short reason for logs and error pages.
 */
export function describeNetworkError(error: unknown): string {
  const chain = messages(error);
  const text = chain.join(" ");
  for (const [pattern, reason] of KNOWN_REASONS) if (pattern.test(text)) return reason;
  // The innermost message is the specific one (fetch's own is just "fetch failed").
  const innermost = chain[chain.length - 1] ?? "";
  const firstLine = innermost.split("\n", 1)[0] ?? innermost;
  return firstLine.length > 200 ? firstLine.slice(0, 200) + "…" : firstLine;
}

/** Messages of the error and its `cause` chain, outermost first (at most 4). */
function messages(error: unknown): string[] {
  const out: string[] = [];
  let current: unknown = error;
  for (let depth = 0; depth < 4 && current !== undefined; depth++) {
    out.push(current instanceof Error ? current.message : String(current));
    current = current instanceof Error ? current.cause : undefined;
  }
  return out;
}
