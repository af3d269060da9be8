/**
 * RFC 9457 problem details: the body of every admin API error.
 *
 * @module
 */

/** The fields of an RFC 9457 problem, plus extension members. */
export interface Problem {
  /** A URI naming the problem type; `about:blank` when the status says it all. */
  type?: string;
  /** Short summary of the type, e.g. `"Upstream not found"`. */
  title: string;
  /** HTTP status code. */
  status: number;
  /** What happened in this occurrence, for a person. */
  detail?: string;
  /** Extension members, e.g. `problems` for configuration errors. */
  [extension: string]: unknown;
}

/**
 * Builds an `application/problem+json` response (RFC 9457 §3).
 * @param problem title, status, detail and extensions.
 * @param headers extra response headers (e.g. `WWW-Authenticate` on 401).
 * @returns the response.
 */
export function problemResponse(problem: Problem, headers?: HeadersInit): Response {
  const body = JSON.stringify({ type: "about:blank", ...problem });
  const response = new Response(body, {
    status: problem.status,
    headers: { "content-type": "application/problem+json", "cache-control": "no-store" },
  });
  if (headers) new Headers(headers).forEach((value, name) => response.headers.set(name, value));
  return response;
}

/**
 * A JSON response.
 * @param value the body, serialised with `JSON.stringify`.
 * @param status HTTP status. @default 200
 * @returns the response, not cached.
 */
export function jsonResponse(value: unknown, status = 200): Response {
  return new Response(JSON.stringify(value), {
    status,
    headers: { "content-type": "application/json", "cache-control": "no-store" },
  });
}
