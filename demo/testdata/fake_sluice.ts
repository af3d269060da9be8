/**
 * Stand-in for Sluice's `main.ts` in `demo/run_test.ts`, so the demo runner is tested without the
 * real proxy: it listens on `--port` and answers every request with its arguments as JSON, and it
 * exits 0 on SIGINT/SIGTERM like `main.ts`.
 *
 * Test-only flags: `--fake-exit-code <n>` exits at once with code n; `--fake-ignore-sigterm`
 * ignores SIGTERM (so the runner has to SIGKILL it).
 *
 * @module
 */

import { parseArgs } from "node:util";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    port: { type: "string" },
    "fake-exit-code": { type: "string" },
    "fake-ignore-sigterm": { type: "boolean" },
  },
  strict: false,
});

if (typeof values["fake-exit-code"] === "string") Deno.exit(Number(values["fake-exit-code"]));

const controller = new AbortController();
Deno.addSignalListener("SIGINT", () => controller.abort());
Deno.addSignalListener("SIGTERM", () => {
  if (!values["fake-ignore-sigterm"]) controller.abort();
});

const server = Deno.serve({
  hostname: "127.0.0.1",
  port: Number(values.port),
  signal: controller.signal,
  onListen() {},
}, () => Response.json({ args: Deno.args }));
await server.finished;
Deno.exit(0);
