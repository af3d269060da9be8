/**
 * Sluice — an L7 HTTP load balancer and reverse proxy.
 *
 * ```sh
 * deno run --allow-net main.ts --backends http://127.0.0.1:9001,http://127.0.0.1:9002
 * ```
 *
 * SIGINT or SIGTERM starts a graceful shutdown; a second one exits at once.
 *
 * @module
 */

import { runCli } from "./internal/app/mod.ts";

if (import.meta.main) {
  const controller = new AbortController();
  const onSignal = () => {
    if (controller.signal.aborted) Deno.exit(130);
    controller.abort();
  };
  Deno.addSignalListener("SIGINT", onSignal);
  Deno.addSignalListener("SIGTERM", onSignal);
  const code = await runCli(Deno.args, controller.signal);
  Deno.removeSignalListener("SIGINT", onSignal);
  Deno.removeSignalListener("SIGTERM", onSignal);
  Deno.exit(code);
}
