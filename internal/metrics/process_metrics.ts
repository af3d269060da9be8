/**
 * Process metrics for Deno that need no permission: CPU time, memory, start time, versions.
 *
 * prom-client's `collectDefaultMetrics()` is not used: under Deno it reads `/proc/self/limits`,
 * `/proc/self/status` and `/proc/self/fd` at every scrape, which prompts for read access in a
 * terminal (Sluice runs with `--allow-net` only) and reports 0 when denied; its event-loop lag
 * figures are wrong under Deno, and `nodejs_version_info` shows Deno's Node.js compatibility
 * version.
 *
 * @module
 */

import process from "node:process";
import { Counter, Gauge, type Registry } from "prom-client";

/**
 * Registers, in `registry`, metrics of this process computed at scrape time from
 * `process.cpuUsage()`, `Deno.memoryUsage()`, `performance.timeOrigin` and `Deno.version`,
 * none of which needs a permission or prompts:
 *
 * | name | type | value |
 * | --- | --- | --- |
 * | `process_cpu_user_seconds_total` | counter | user CPU time, s |
 * | `process_cpu_system_seconds_total` | counter | system CPU time, s |
 * | `process_cpu_seconds_total` | counter | user + system CPU time, s |
 * | `process_resident_memory_bytes` | gauge | resident set size, bytes |
 * | `process_heap_bytes` | gauge | V8 heap in use, bytes |
 * | `deno_heap_total_bytes` | gauge | V8 heap reserved, bytes |
 * | `deno_external_memory_bytes` | gauge | memory of JS objects held outside the V8 heap, bytes |
 * | `process_start_time_seconds` | gauge | process start, s since the epoch |
 * | `deno_version_info{version, v8, typescript}` | gauge | 1 |
 *
 * Names follow the Prometheus client conventions (no `sluice_` prefix) so stock dashboards work.
 * @param registry where to register them.
 * @throws {Error} when one of the names is already registered in `registry`.
 */
export function registerProcessMetrics(registry: Registry): void {
  const registers = [registry];
  new Counter({
    name: "process_cpu_user_seconds_total",
    help: "Total user CPU time spent in seconds.",
    registers,
    collect() {
      this.reset();
      this.inc(process.cpuUsage().user / 1e6);
    },
  });
  new Counter({
    name: "process_cpu_system_seconds_total",
    help: "Total system CPU time spent in seconds.",
    registers,
    collect() {
      this.reset();
      this.inc(process.cpuUsage().system / 1e6);
    },
  });
  new Counter({
    name: "process_cpu_seconds_total",
    help: "Total user and system CPU time spent in seconds.",
    registers,
    collect() {
      const usage = process.cpuUsage();
      this.reset();
      this.inc((usage.user + usage.system) / 1e6);
    },
  });
  new Gauge({
    name: "process_resident_memory_bytes",
    help: "Resident memory size in bytes.",
    registers,
    collect() {
      this.set(Deno.memoryUsage().rss);
    },
  });
  new Gauge({
    name: "process_heap_bytes",
    help: "V8 heap used in bytes.",
    registers,
    collect() {
      this.set(Deno.memoryUsage().heapUsed);
    },
  });
  new Gauge({
    name: "deno_heap_total_bytes",
    help: "V8 heap reserved in bytes.",
    registers,
    collect() {
      this.set(Deno.memoryUsage().heapTotal);
    },
  });
  new Gauge({
    name: "deno_external_memory_bytes",
    help: "Memory of JavaScript objects bound to memory outside the V8 heap, in bytes.",
    registers,
    collect() {
      this.set(Deno.memoryUsage().external);
    },
  });
  new Gauge({
    name: "process_start_time_seconds",
    help: "Start time of the process since unix epoch in seconds.",
    registers,
  }).set(Math.round(performance.timeOrigin) / 1000);
  new Gauge({
    name: "deno_version_info",
    help: "Deno, V8 and TypeScript versions of the runtime; the value is 1.",
    labelNames: ["version", "v8", "typescript"] as const,
    registers,
  }).set(
    { version: Deno.version.deno, v8: Deno.version.v8, typescript: Deno.version.typescript },
    1,
  );
}
