// deno-lint-ignore-file no-console -- a command-line probe: its output is the interface.
/**
 * The container image's HEALTHCHECK: `GET /healthz` on Sluice's admin server from inside the
 * container, since the image has no curl or wget. Exit code 0 is healthy, 1 unhealthy (Docker's
 * HEALTHCHECK contract).
 *
 * The address: `SLUICE_ADMIN_HOST` when it names one address (a wildcard, `0.0.0.0` or `::`, or
 * nothing means loopback, `127.0.0.1`) and `SLUICE_ADMIN_PORT` (default 8090). With
 * `SLUICE_ADMIN_PORT=0` the admin server is off and the probe passes without probing, so
 * an image run without an admin server is not marked unhealthy. A port set with `--admin-port`
 * or in a config file is not seen here: set `SLUICE_ADMIN_PORT` as well, or turn the
 * HEALTHCHECK off (`docker run --no-healthcheck`).
 *
 * @example
 * ```sh
 * deno run --allow-net --allow-env=SLUICE_ADMIN_PORT,SLUICE_ADMIN_HOST deploy/container/healthcheck.ts
 * ```
 *
 * @module
 */

/** Longest wait for the answer, in ms: below the HEALTHCHECK's own `--timeout` (5 s). */
export const PROBE_TIMEOUT_MS = 3000;

/**
 * The URL the probe asks, or `undefined` when the admin server is off (port 0).
 *
 * @param env `SLUICE_ADMIN_HOST` and `SLUICE_ADMIN_PORT` as read from the environment.
 * @returns `http://HOST:PORT/healthz` (IPv6 hosts in brackets), or `undefined` for port 0.
 * @throws {RangeError} When the port is not an integer in 0-65535.
 */
export function healthzUrl(
  env: { host?: string | undefined; port?: string | undefined },
): string | undefined {
  const portText = env.port?.trim() || "8090";
  const port = /^\d{1,5}$/.test(portText) ? Number(portText) : Number.NaN;
  if (!(port >= 0 && port <= 65535)) {
    throw new RangeError(
      `SLUICE_ADMIN_PORT must be an integer in 0-65535: current value is ${
        JSON.stringify(env.port)
      }`,
    );
  }
  if (port === 0) return undefined;
  const host = env.host?.trim();
  const address = host === undefined || host === "" || host === "0.0.0.0" || host === "::"
    ? "127.0.0.1"
    : host;
  return `http://${address.includes(":") ? `[${address}]` : address}:${port}/healthz`;
}

/**
 * Probes `url` once.
 *
 * @param url The `/healthz` URL.
 * @param timeoutMs Longest wait for the whole answer, in ms.
 * @returns `null` when it answered 200, else why not (status or error message).
 */
export async function probe(
  url: string,
  timeoutMs: number = PROBE_TIMEOUT_MS,
): Promise<string | null> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    await response.body?.cancel();
    return response.status === 200 ? null : `${url} answered ${response.status}`;
  } catch (error) {
    return `${url}: ${(error as Error).message}`;
  }
}

if (import.meta.main) {
  let url: string | undefined;
  try {
    url = healthzUrl({
      host: Deno.env.get("SLUICE_ADMIN_HOST"),
      port: Deno.env.get("SLUICE_ADMIN_PORT"),
    });
  } catch (error) {
    console.error(`unhealthy: ${(error as Error).message}`);
    Deno.exit(1);
  }
  if (url === undefined) {
    console.log("admin server off (SLUICE_ADMIN_PORT=0): nothing to probe");
    Deno.exit(0);
  }
  const problem = await probe(url);
  if (problem !== null) {
    console.error(`unhealthy: ${problem}`);
    Deno.exit(1);
  }
  console.log(`healthy: ${url}`);
}
