/**
 * Creates Sluice's metrics, records a little traffic and prints the exposition. Run by
 * `sluice_metrics_test.ts` without any permission and with `DENO_AUDIT_PERMISSIONS`, to prove
 * that scraping asks for no permission. With `--prom-client-defaults` it also registers
 * prom-client's default metrics, which do.
 *
 * @module
 */

import { collectDefaultMetrics } from "prom-client";
import { Pool } from "../../pool/mod.ts";
import { createMetrics } from "../sluice_metrics.ts";

const pool = new Pool([{ id: "u1", name: "a", url: "http://127.0.0.1:9001" }]);
const metrics = createMetrics({ pool });
if (Deno.args.includes("--prom-client-defaults")) {
  collectDefaultMetrics({ register: metrics.registry, prefix: "sluice_" });
}
metrics.recordRequest(
  { request: new Request("http://lb/"), upstream: pool.get("u1"), attempts: 1 },
  200,
  12,
  100,
);
metrics.observeHealthCheck(pool.get("u1")!, { ok: true, latencyMs: 3, at: 0, detail: "HTTP 200" });
// Twice: some collectors only read on their first scrape, others only on later ones.
await metrics.render();
await Deno.stdout.write(new TextEncoder().encode(await metrics.render()));
