/**
 * Health probes: one attempt to learn whether an upstream serves.
 *
 * @module
 */

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
 * HTTP probe: `GET {upstream}{path}`; a 2xx or 3xx status is healthy (HAProxy `option httpchk`
 * with `http-check expect status 200-399`). Redirects are not followed; the body is discarded.
 * @param path absolute path starting with `/`, e.g. `"/health"`.
 * @param client HTTP client to use; `undefined` uses fetch's default pool.
 * @returns a {@linkcode Probe}.
 */
export function httpProbe(path: string, client?: Deno.HttpClient): Probe {
  return async function probeHttp(upstream, signal) {
    const init: RequestInit & { client?: Deno.HttpClient } = {
      signal,
      redirect: "manual",
      headers: { "user-agent": "sluice-health-check", "accept-encoding": "identity" },
    };
    if (client) init.client = client;
    const response = await fetch(upstream.url + path, init);
    await response.body?.cancel();
    const ok = response.status >= 200 && response.status < 400;
    return { ok, detail: `HTTP ${response.status}` };
  };
}

/**
 * TCP probe: a connection to the upstream's host and port that opens is healthy (HAProxy
 * `check` without `option httpchk`). The connection is closed at once.
 * @returns a {@linkcode Probe}.
 */
export function tcpProbe(): Probe {
  return async function probeTcp(upstream, signal) {
    const url = new URL(upstream.url);
    const port = url.port ? Number(url.port) : url.protocol === "https:" ? 443 : 80;
    const hostname = url.hostname.startsWith("[") ? url.hostname.slice(1, -1) : url.hostname;
    const conn = await Deno.connect({ hostname, port, signal });
    conn.close();
    return { ok: true, detail: "TCP connect" };
  };
}
