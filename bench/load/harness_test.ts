/**
 * Smoke tests of the whole harness in its tiniest mode (direct and nginx, one 1 s scenario):
 * it measures, writes its files and stops everything it started, also on Ctrl-C. Skipped when
 * wrk is not installed. No figure is compared with a bound: this is not a benchmark.
 */

import assert from "node:assert/strict";
import { findBinary } from "./binaries.ts";
import type { BenchResults } from "./results.ts";

const MAIN = new URL("./main.ts", import.meta.url).pathname;
const CONFIG = new URL("../../deno.json", import.meta.url).pathname;
const ready = findBinary("wrk") !== undefined && findBinary("nginx") !== undefined;

/** Ports the harness said it serves on (upstreams and systems), from its stderr lines. */
function portsIn(lines: readonly string[]): number[] {
  return lines.flatMap((line) => {
    const upstreams = /^upstreams: \w+ on ports ([\d, ]+)$/.exec(line);
    if (upstreams) return upstreams[1]!.split(", ").map(Number);
    const system = /serving on 127\.0\.0\.1:(\d+)/.exec(line);
    return system ? [Number(system[1])] : [];
  });
}

async function refused(port: number): Promise<boolean> {
  try {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port });
    conn.close();
    return false;
  } catch {
    return true;
  }
}

function harness(args: string[]) {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", MAIN, ...args],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const lines: string[] = [];
  const stdout = new Response(child.stdout).text();
  let onLine: (() => void) | undefined;
  const stderr = (async () => {
    let buffered = "";
    for await (const chunk of child.stderr.pipeThrough(new TextDecoderStream())) {
      buffered += chunk;
      let newline;
      while ((newline = buffered.indexOf("\n")) >= 0) {
        lines.push(buffered.slice(0, newline));
        buffered = buffered.slice(newline + 1);
      }
      onLine?.();
    }
  })();
  /** Resolves once a stderr line matches, rejects after `ms`. */
  const waitFor = (pattern: RegExp, ms: number) =>
    new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ${pattern} in ${ms} ms`)), ms);
      onLine = () => {
        if (lines.some((line) => pattern.test(line))) {
          clearTimeout(timer);
          resolve();
        }
      };
      onLine();
    });
  return { child, lines, stdout, stderr, waitFor };
}

Deno.test({
  name: "harness --quick on direct and nginx writes figures and stops what it started",
  ignore: !ready,
  async fn() {
    const out = await Deno.makeTempDir({ prefix: "sluice-bench-test-" });
    try {
      const run = harness([
        "--quick",
        "--scenarios",
        "small-c50",
        "--systems",
        "direct",
        "--out",
        out,
      ]);
      const [status, stdout] = await Promise.all([run.child.status, run.stdout, run.stderr]);
      assert.equal(status.code, 0, run.lines.join("\n"));
      assert.match(stdout, /\| nginx, 1 worker, upstream keepalive \| /);
      const results: BenchResults = JSON.parse(await Deno.readTextFile(`${out}/latest.json`));
      assert.deepEqual(results.systems.map((s) => s.id), ["direct", "nginx"]);
      assert.deepEqual(results.failures, []);
      const nginx = results.cells.find((c) => c.system === "nginx")!;
      assert.ok(nginx.median.rps! > 0);
      assert.ok(nginx.median.cpuUsPerRequest! > 0, "CPU of nginx's tree was read");
      assert.ok(nginx.median.peakRssMiB! > 0, "RSS of nginx's tree was read");
      assert.equal(nginx.ratio.rps, 1);
      assert.ok(results.environment.cores > 0);
      assert.ok(await Deno.stat(`${out}/latest.svg`));
      const fmt = await new Deno.Command(Deno.execPath(), {
        args: [
          "fmt",
          "--check",
          "--config",
          CONFIG,
          ...["md", "json", "svg"].map((x) => `${out}/latest.${x}`),
        ],
        stdin: "null",
      }).output();
      assert.ok(fmt.success, "the written files are as deno fmt lays them out");
      const ports = portsIn(run.lines);
      assert.equal(ports.length, 3 + 2, run.lines.join("\n"));
      for (const port of ports) assert.ok(await refused(port), `port ${port} still open`);
    } finally {
      await Deno.remove(out, { recursive: true });
    }
  },
});

Deno.test({
  name: "harness stops every process it started on SIGINT and exits 130",
  ignore: !ready,
  async fn() {
    const out = await Deno.makeTempDir({ prefix: "sluice-bench-test-" });
    try {
      const run = harness(["--quick", "--systems", "direct", "--out", out]);
      await run.waitFor(/^nginx: serving on/, 20_000);
      run.child.kill("SIGINT");
      const [status] = await Promise.all([run.child.status, run.stdout, run.stderr]);
      assert.equal(status.code, 130, run.lines.join("\n"));
      const ports = portsIn(run.lines);
      assert.equal(ports.length, 3 + 2, run.lines.join("\n"));
      for (const port of ports) assert.ok(await refused(port), `port ${port} still open`);
    } finally {
      await Deno.remove(out, { recursive: true });
    }
  },
});

Deno.test({
  name: "harness with the Deno upstreams serves the small, 1 MiB and upload paths",
  ignore: !ready,
  async fn() {
    const out = await Deno.makeTempDir({ prefix: "sluice-bench-test-" });
    try {
      const run = harness([
        "--quick",
        "--scenarios",
        "small-c50,download-1m,upload-1m",
        "--systems",
        "direct",
        "--upstreams",
        "deno",
        "--out",
        out,
      ]);
      const [status] = await Promise.all([run.child.status, run.stdout, run.stderr]);
      assert.equal(status.code, 0, run.lines.join("\n"));
      const results: BenchResults = JSON.parse(await Deno.readTextFile(`${out}/latest.json`));
      assert.equal(results.upstreams, "deno");
      assert.deepEqual(results.failures, []);
      const direct = results.cells.filter((c) => c.system === "direct");
      assert.deepEqual(direct.map((c) => c.scenario), ["small-c50", "download-1m", "upload-1m"]);
      for (const cell of direct) {
        assert.equal(cell.errors, 0, `${cell.scenario}: errors`);
        assert.ok(cell.median.rps! > 0);
      }
      const download = direct.find((c) => c.scenario === "download-1m")!;
      // 1 MiB per response: MiB/s and rps agree within wrk's rounding of Transfer/sec.
      assert.ok(Math.abs(download.median.mibPerSec! / download.median.rps! - 1) < 0.05);
    } finally {
      await Deno.remove(out, { recursive: true });
    }
  },
});
