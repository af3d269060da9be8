/**
 * Sluice — an L7 HTTP load balancer and reverse proxy.
 *
 * ```sh
 * deno run --allow-net main.ts --backends http://127.0.0.1:9001,http://127.0.0.1:9002
 * ```
 *
 * SIGINT or SIGTERM starts a graceful shutdown; another one more than a second later exits at
 * once (within the second it is the same Ctrl-C, which `deno task` forwards a second time).
 *
 * @module
 */

import { runCli } from "./internal/app/mod.ts";

/** A repeat signal within this time is taken as the first one delivered twice, ms. */
const REPEAT_SIGNAL_WINDOW_MS = 1000;

if (import.meta.main) {
  const controller = new AbortController();
  let firstSignalAt = 0;
  const onSignal = () => {
    if (!controller.signal.aborted) {
      firstSignalAt = Date.now();
      controller.abort();
    } else if (Date.now() - firstSignalAt > REPEAT_SIGNAL_WINDOW_MS) {
      Deno.exit(130);
    }
  };
  Deno.addSignalListener("SIGINT", onSignal);
  Deno.addSignalListener("SIGTERM", onSignal);
  const code = await runCli(Deno.args, controller.signal);
  Deno.removeSignalListener("SIGINT", onSignal);
  Deno.removeSignalListener("SIGTERM", onSignal);
  Deno.exit(code);
}
