/**
 * The environment Deno itself should start Sluice with, and the start-up check that it did.
 *
 * Deno runs JavaScript and every socket on one tokio current-thread runtime. Its scheduler polls
 * the operating system for socket readiness (epoll) only when no task is ready, or else once every
 * `event_interval` scheduler ticks (tokio's default: 61). Under load a proxy's event loop task
 * and Deno's op-polling task wake each other continuously (each request's writes complete at
 * once and each completion is new work), so readiness is collected only every 61 ticks of a few
 * milliseconds each: a read that had to wait for its socket (a keep-alive client's next request,
 * an upstream's answer) then waits hundreds of milliseconds while reads that found their bytes at
 * once go on. Measured with `wrk -t1 -c200` through the defaults in front of three nginx
 * upstreams (three interleaved rounds): p99 301–617 ms with the default, 25–29 ms with
 * `DENO_TOKIO_EVENT_INTERVAL=1`, at the same rps and CPU per request within the runs' noise; a
 * 40-line `Deno.listen` → `Deno.connect` relay with 40 µs of JavaScript per request shows the
 * same tail (p99 502 ms → 32 ms). Deno reads the variable at start-up (`tokio_util.rs`), so it
 * must be in the environment of the `deno` process: `deno task start`, the container image, the
 * demo and the tests set it.
 *
 * @module
 */

/** Variables for the `deno` process that runs Sluice, and why (name → value). */
export const RUNTIME_ENV: Readonly<Record<string, string>> = Object.freeze({
  /** tokio polls socket readiness on every scheduler tick instead of every 61st. */
  DENO_TOKIO_EVENT_INTERVAL: "1",
});

/**
 * Problems with the `deno` process's environment against {@linkcode RUNTIME_ENV}, one sentence
 * each; empty when it matches or when a variable cannot be read (no `--allow-env` for it: then
 * nothing is claimed).
 * @param read reads one variable; `undefined` when unset; throws `Deno.errors.NotCapable` (or
 *   `PermissionDenied`) when not allowed.
 * @returns the warnings to log at start-up.
 */
export function runtimeEnvWarnings(read: (name: string) => string | undefined): string[] {
  const warnings: string[] = [];
  for (const [name, wanted] of Object.entries(RUNTIME_ENV)) {
    let value: string | undefined;
    try {
      value = read(name);
    } catch {
      continue;
    }
    if (value === wanted) continue;
    warnings.push(
      `${name} is ${value === undefined ? "not set" : `"${value}"`}: Deno then polls sockets ` +
        `for readiness only every 61st scheduler tick and under load some connections wait ` +
        `hundreds of milliseconds; start Sluice with ${name}=${wanted} (deno task start and ` +
        `the container image do)`,
    );
  }
  return warnings;
}
