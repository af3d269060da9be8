/**
 * Health probes: one attempt to learn whether an upstream serves.
 *
 * @module
 */

import { connectUpstream, type UpstreamTlsOptions } from "../net/mod.ts";
import type { Upstream } from "../pool/mod.ts";

/** What one probe learned. */
export interface ProbeOutcome {
  /** Whether the upstream passed. */
  ok: boolean;
  /** Short reason, e.g. `"HTTP 200"` or `"connection refused"`. */
  detail: string;
}

/**
 * One health probe of one upstream. It must settle soon after `signal` aborts (the checker
 * aborts it at the probe timeout) and may throw: a throw counts as a failed probe.
 */
export type Probe = (upstream: Upstream, signal: AbortSignal) => Promise<ProbeOutcome>;

/**
 * Sends a health check's `GET` to an absolute URL with the given headers, redirects not
 * followed, and resolves with the response (body unread). The proxy passes one over its own
 * transport, so a probe meets the upstream as requests do (same TLS settings, same parser).
 */
export type ProbeSender = (
  url: string,
  headers: [string, string][],
  signal: AbortSignal,
) => Promise<Response>;

/**
 * HTTP probe: `GET {upstream}{path}`; a 2xx or 3xx status is healthy (HAProxy `option httpchk`
 * with `http-check expect status 200-399`). Redirects are not followed; the body is discarded.
 * @param path absolute path starting with `/`, e.g. `"/health"`.
 * @param send how the request is sent; `undefined` uses fetch's default client.
 * @returns a {@linkcode Probe}.
 */
export function httpProbe(path: string, send: ProbeSender = fetchSender): Probe {
  return async function probeHttp(upstream, signal) {
    const response = await send(upstream.url + path, [
      ["user-agent", "sluice-health-check"],
      ["accept-encoding", "identity"],
    ], signal);
    await response.body?.cancel();
    const ok = response.status >= 200 && response.status < 400;
    return { ok, detail: `HTTP ${response.status}` };
  };
}

function fetchSender(
  url: string,
  headers: [string, string][],
  signal: AbortSignal,
): Promise<Response> {
  return fetch(url, { signal, redirect: "manual", headers });
}

/**
 * TCP probe: a connection to the upstream's host and port that opens is healthy (HAProxy
 * `check` without `option httpchk`); for an `https://` upstream the TLS handshake must complete
 * too, with the proxy's TLS settings (HAProxy `check-ssl`), so a certificate the proxy would
 * refuse marks the upstream down. The connection is closed at once.
 * @param tls the proxy's upstream TLS settings. @default the system's roots
 * @returns a {@linkcode Probe}.
 */
export function tcpProbe(tls: UpstreamTlsOptions = {}): Probe {
  return async function probeTcp(upstream, signal) {
    const url = new URL(upstream.url);
    const secure = url.protocol === "https:";
    const port = url.port ? Number(url.port) : secure ? 443 : 80;
    const hostname = url.hostname.startsWith("[") ? url.hostname.slice(1, -1) : url.hostname;
    const conn = await connectUpstream({ hostname, port, tls: secure }, tls, signal);
    conn.close();
    return { ok: true, detail: secure ? "TLS handshake" : "TCP connect" };
  };
}
