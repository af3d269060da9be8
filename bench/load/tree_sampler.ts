/**
 * CPU time and peak resident memory of a process tree over one load run, read from `/proc`:
 * CPU as the change of utime + stime summed over the tree, memory as the largest sum of VmRSS
 * seen while sampling.
 *
 * @module
 */

import {
  descendants,
  MICROSECONDS_PER_TICK,
  parseProcStat,
  parseVmRss,
  type ProcStat,
} from "./proc_stat.ts";

/** What a process tree used over one sampled interval. */
export interface TreeUsage {
  /** CPU time (user + system) the tree used between start and stop, µs. */
  cpuMicros: number;
  /** Largest resident set size of the whole tree seen while sampling, bytes. */
  peakRssBytes: number;
}

/** Options of {@linkcode TreeSampler}. */
export interface TreeSamplerOptions {
  /** Time between two RSS samples, ms. @default 100 */
  intervalMs?: number;
}

function readStat(pid: number): ProcStat | undefined {
  try {
    return parseProcStat(Deno.readTextFileSync(`/proc/${pid}/stat`));
  } catch {
    return undefined; // gone between listing and reading
  }
}

/** Every process now in `/proc`, with its parent and CPU times. */
function allProcesses(): ProcStat[] {
  const list: ProcStat[] = [];
  for (const entry of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(entry.name)) continue;
    const stat = readStat(Number(entry.name));
    if (stat) list.push(stat);
  }
  return list;
}

function cpuTicks(pids: readonly number[]): number {
  let ticks = 0;
  for (const pid of pids) {
    const stat = readStat(pid);
    if (stat) ticks += stat.utimeTicks + stat.stimeTicks;
  }
  return ticks;
}

function rssBytes(pids: readonly number[]): number {
  let bytes = 0;
  for (const pid of pids) {
    try {
      bytes += parseVmRss(Deno.readTextFileSync(`/proc/${pid}/status`));
    } catch {
      // gone: holds no memory
    }
  }
  return bytes;
}

/**
 * Samples one process tree (a proxy and its workers) while a load run goes on. The tree is
 * taken when sampling starts: proxies here fork their workers at start-up, not per request.
 *
 * @example
 * ```ts
 * const sampler = new TreeSampler(proxyPid);
 * sampler.start();
 * await runLoad();
 * const { cpuMicros, peakRssBytes } = sampler.stop();
 * ```
 */
export class TreeSampler {
  readonly #root: number;
  readonly #intervalMs: number;
  #pids: number[] = [];
  #startTicks = 0;
  #peak = 0;
  #timer: ReturnType<typeof setInterval> | undefined;

  /**
   * @param root pid of the tree's root process.
   * @param options sampling interval.
   */
  constructor(root: number, options: TreeSamplerOptions = {}) {
    this.#root = root;
    this.#intervalMs = options.intervalMs ?? 100;
  }

  /** Reads the tree and its CPU time now and starts sampling memory. */
  start(): void {
    this.#pids = descendants(allProcesses(), this.#root);
    this.#startTicks = cpuTicks(this.#pids);
    this.#peak = rssBytes(this.#pids);
    clearInterval(this.#timer);
    this.#timer = setInterval(() => {
      this.#peak = Math.max(this.#peak, rssBytes(this.#pids));
    }, this.#intervalMs);
  }

  /** Stops sampling; returns what the tree used since {@linkcode TreeSampler.start}. */
  stop(): TreeUsage {
    clearInterval(this.#timer);
    this.#timer = undefined;
    this.#peak = Math.max(this.#peak, rssBytes(this.#pids));
    return {
      cpuMicros: (cpuTicks(this.#pids) - this.#startTicks) * MICROSECONDS_PER_TICK,
      peakRssBytes: this.#peak,
    };
  }
}
