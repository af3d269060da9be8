/**
 * Waiting for a started server to answer like the upstreams do, with a bound.
 *
 * @module
 */

import { SMALL_BODY } from "./scenarios.ts";

/** Options of {@linkcode waitUntilServing}. */
export interface WaitOptions {
  /** Longest wait, ms. @default 30000 */
  timeoutMs?: number;
  /** Settles once the server's process has exited: waiting stops there. */
  exited?: Promise<unknown>;
  /** Stops waiting (Ctrl-C). */
  signal?: AbortSignal;
}

/**
 * Polls `GET url` until it answers 200 with the small body (`hello\n`): for a proxy, that means
 * it listens and reaches an upstream.
 * @throws {Error} when the process exits first, the time is up or the signal aborts; the message
 *   says which and what the last attempt saw.
 */
export async function waitUntilServing(url: string, options: WaitOptions = {}): Promise<void> {
  const deadline = Date.now() + (options.timeoutMs ?? 30_000);
  let exited = false;
  options.exited?.then(() => exited = true, () => exited = true);
  let last = "no answer yet";
  while (true) {
    options.signal?.throwIfAborted();
    if (exited) throw new Error(`exited before serving ${url} (last: ${last})`);
    if (Date.now() > deadline) throw new Error(`not serving ${url} in time (last: ${last})`);
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(2000) });
      const body = await response.text();
      if (response.status === 200 && body === SMALL_BODY) return;
      last = `${response.status} ${JSON.stringify(body.slice(0, 80))}`;
    } catch (error) {
      last = error instanceof Error ? error.message : String(error);
    }
    // Polling a process we cannot get an event from; bounded by the deadline above.
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
