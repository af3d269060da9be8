import assert from "node:assert/strict";
import { commandLine } from "./start_systems.ts";

Deno.test("commandLine shows the variables a system was started with before its command", () => {
  assert.equal(
    commandLine({
      argv: ["/usr/bin/deno", "run", "main.ts", "--port", "1"],
      shownEnv: { DENO_TOKIO_EVENT_INTERVAL: "1" },
    }),
    "DENO_TOKIO_EVENT_INTERVAL=1 deno run main.ts --port 1",
  );
  assert.equal(
    commandLine({ argv: ["/usr/sbin/nginx", "-c", "x.conf"], shownEnv: {} }),
    "nginx -c x.conf",
  );
});
