/**
 * Command-line options of the load harness (`deno task bench:load [options]`).
 *
 * @module
 */

import { parseArgs } from "node:util";

/** Which runs of the first round get a warm-up run before them. */
export type WarmupScope = "every-scenario" | "first-scenario";

/** What one harness run does. */
export interface BenchOptions {
  /** Interleaved rounds; figures are medians over them. */
  rounds: number;
  /** Measured wrk run per system × scenario × round, seconds. */
  durationSeconds: number;
  /** Unmeasured wrk run before the first round's measured one, seconds (0: none). */
  warmupSeconds: number;
  /**
   * Which first-round runs are warmed up: every system × scenario, or only each system's first
   * scenario (enough for the JIT of its request path; `--quick`).
   */
  warmupScope: WarmupScope;
  /** wrk threads (`-t`). */
  threads: number;
  /** Scenario ids to run; all when absent. */
  scenarios?: string[];
  /** System ids (or id prefixes such as `sluice`) to run besides nginx; all when absent. */
  systems?: string[];
  /** Directory results are written to. */
  outDir: string;
  /** Replace the figures between the markers in README.md with this run's. */
  updateReadme: boolean;
  /** What serves the upstreams: nginx when installed (`auto`), or the one named. */
  upstreams: "auto" | "nginx" | "deno";
  /** Leave the temporary directory (configs, logs) in place and print its path. */
  keepTemp: boolean;
  help: boolean;
}

/** Usage text of the harness. */
export const USAGE =
  `Side-by-side load benchmark: Sluice, nginx, HAProxy, Caddy and a bare Deno proxy in front of
the same three upstreams, driven by wrk on loopback. Not a test: nothing is asserted.

Usage: deno task bench:load [options]

  --quick            about a minute: 1 round of 1 s runs, each system warmed up once
  --rounds N         interleaved rounds, figures are medians (default 3)
  --duration S       seconds per measured run (default 4)
  --warmup S         seconds of unmeasured load before the first round's runs (default 1)
  --threads N        wrk threads (default 1)
  --scenarios A,B    only these scenarios: small-c50, small-c200, download-1m, upload-1m, close-c50
  --systems A,B      only these systems (ids or prefixes, e.g. sluice); nginx always runs as the
                     reference of the ratios
  --upstreams KIND   what serves the three upstreams: auto (nginx when installed), nginx or deno
  --out DIR          where results go (default bench/results)
  --readme           write the summary table into README.md's Performance section
  --keep-temp        keep the temporary directory with configs and logs
  -h, --help         this text

Needs wrk; nginx, haproxy and caddy are used when installed (apt-get install wrk nginx haproxy).`;

function positive(name: string, text: string | undefined, fallback: number, min = 1): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < min) {
    throw new RangeError(`--${name} must be an integer >= ${min}: current value is "${text}"`);
  }
  return value;
}

function list(text: string | undefined): string[] | undefined {
  if (text === undefined) return undefined;
  return text.split(",").map((item) => item.trim()).filter((item) => item !== "");
}

/**
 * Parses the harness's arguments. `--quick` changes the defaults; explicit values still win.
 * @param args command-line arguments, e.g. `Deno.args`.
 * @param defaultOutDir the results directory when `--out` is absent.
 * @throws {RangeError} on a number that is not a positive integer.
 * @throws {TypeError} on an unknown option (from `node:util` parseArgs).
 */
export function parseOptions(args: string[], defaultOutDir: string): BenchOptions {
  const { values } = parseArgs({
    args,
    strict: true,
    allowPositionals: false,
    options: {
      quick: { type: "boolean", default: false },
      rounds: { type: "string" },
      duration: { type: "string" },
      warmup: { type: "string" },
      threads: { type: "string" },
      scenarios: { type: "string" },
      systems: { type: "string" },
      out: { type: "string" },
      upstreams: { type: "string", default: "auto" },
      readme: { type: "boolean", default: false },
      "keep-temp": { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  const quick = values.quick;
  const upstreams = values.upstreams;
  if (upstreams !== "auto" && upstreams !== "nginx" && upstreams !== "deno") {
    throw new RangeError(
      `--upstreams must be auto, nginx or deno: current value is "${upstreams}"`,
    );
  }
  const scenarios = list(values.scenarios);
  const systems = list(values.systems);
  return {
    rounds: positive("rounds", values.rounds, quick ? 1 : 3),
    durationSeconds: positive("duration", values.duration, quick ? 1 : 4),
    warmupSeconds: positive("warmup", values.warmup, 1, 0),
    warmupScope: quick ? "first-scenario" : "every-scenario",
    threads: positive("threads", values.threads, 1),
    ...(scenarios ? { scenarios } : {}),
    ...(systems ? { systems } : {}),
    upstreams,
    outDir: values.out ?? defaultOutDir,
    updateReadme: values.readme,
    keepTemp: values["keep-temp"],
    help: values.help,
  };
}

/**
 * Whether a system id is selected by a `--systems` list: an exact id or a prefix ending at a
 * dash (`sluice` selects `sluice` and `sluice-transport-fetch`).
 */
export function selects(filter: readonly string[] | undefined, id: string): boolean {
  return filter === undefined ||
    filter.some((item) => id === item || id.startsWith(`${item}-`));
}
