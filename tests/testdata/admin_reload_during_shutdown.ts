/**
 * Run as a process by `tests/admin_reload_test.ts`, so that whatever it leaks dies with it:
 * starts Sluice from a config file, begins a graceful shutdown while a request is in flight,
 * reloads a file with other health settings during the drain, and after `finished` reports
 * whether health checks still reach the upstream.
 *
 * Usage: `deno run --allow-net --allow-read=DIR --allow-write=DIR <this file> DIR/config.yaml`.
 * Prints one JSON line: `{ "reload": string, "probesAfterFinished": number }`.
 *
 * @module
 */

import { startFromArgs } from "../../internal/app/mod.ts";

const file = Deno.args[0];
if (file === undefined) throw new TypeError("usage: admin_reload_during_shutdown.ts CONFIG");

let probes = 0;
let onProbe = () => {};
const arrived = Promise.withResolvers<void>();
const released = Promise.withResolvers<void>();
const upstream = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (request) => {
  const path = new URL(request.url).pathname;
  if (path === "/health") {
    probes++;
    onProbe();
  } else if (path === "/hold") {
    arrived.resolve();
    await released.promise;
  }
  return new Response("ok");
});
const url = `http://127.0.0.1:${upstream.addr.port}`;
const write = (interval: string) =>
  Deno.writeTextFile(
    file,
    `backends:\n  - ${url}\nhealth:\n  path: /health\n  interval: ${interval}\n`,
  );

await write("100ms");
const controller = new AbortController();
const result = await startFromArgs(
  ["--config", file, "--host", "127.0.0.1", "--port", "0", "--admin-port", "0"],
  { signal: controller.signal, configureLogging: false, load: { env: () => undefined } },
);
if (result.kind !== "started") throw new Error(`expected a start, got ${result.kind}`);
const app = result.app;

const held = fetch(`http://127.0.0.1:${app.addr.port}/hold`).then((response) => response.text());
await arrived.promise;
controller.abort(); // the graceful shutdown starts; the request is still in flight
await write("150ms");
let reload: string;
try {
  reload = (await app.reload()).applied.join("; ");
} catch (error) {
  reload = `refused: ${(error as Error).message}`;
}
released.resolve();
await held;
await app.finished;

// A checker that outlived the shutdown probes again within one interval; wait a bounded time.
const after = probes;
let timer: ReturnType<typeof setTimeout> | undefined;
await new Promise<void>((resolve) => {
  onProbe = resolve;
  timer = setTimeout(resolve, 1_000);
});
clearTimeout(timer);
const line = JSON.stringify({ reload, probesAfterFinished: probes - after }) + "\n";
Deno.stdout.writeSync(new TextEncoder().encode(line));
Deno.exit(0);
