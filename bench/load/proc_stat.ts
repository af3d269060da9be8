/**
 * Parsing of Linux `/proc/<pid>/stat` and `/proc/<pid>/status` (proc(5)): the parent, the CPU
 * time and the resident memory of one process.
 *
 * @module
 */

/** The fields of `/proc/<pid>/stat` the harness uses. */
export interface ProcStat {
  pid: number;
  /** The command name (field 2), without its parentheses. */
  comm: string;
  ppid: number;
  /** User-mode CPU time of all the process's threads, clock ticks (field 14). */
  utimeTicks: number;
  /** Kernel-mode CPU time of all the process's threads, clock ticks (field 15). */
  stimeTicks: number;
}

/**
 * Linux reports CPU times in `USER_HZ` ticks, which is 100 on every architecture Deno runs on
 * (`getconf CLK_TCK`), so one tick is 10 000 µs.
 */
export const MICROSECONDS_PER_TICK = 10_000;

/**
 * Parses one `/proc/<pid>/stat` line. The command name may hold spaces and parentheses, so the
 * fields after it are found from the *last* `)`, as proc(5) advises.
 * @throws {RangeError} when the line does not have the stat shape.
 */
export function parseProcStat(line: string): ProcStat {
  const open = line.indexOf("(");
  const close = line.lastIndexOf(")");
  if (open < 1 || close < open) throw new RangeError(`Not a /proc stat line: "${line}"`);
  // After ") ": state(3) ppid(4) pgrp(5) session(6) tty(7) tpgid(8) flags(9) minflt(10)
  // cminflt(11) majflt(12) cmajflt(13) utime(14) stime(15)
  const rest = line.slice(close + 2).split(" ");
  const numbers = [rest[1], rest[11], rest[12]].map(Number);
  const [ppid, utime, stime] = numbers as [number, number, number];
  const pid = Number(line.slice(0, open).trim());
  if (![pid, ppid, utime, stime].every(Number.isSafeInteger)) {
    throw new RangeError(`Not a /proc stat line: "${line}"`);
  }
  return {
    pid,
    comm: line.slice(open + 1, close),
    ppid,
    utimeTicks: utime,
    stimeTicks: stime,
  };
}

/**
 * Reads `VmRSS` (resident set size) out of a `/proc/<pid>/status` text.
 * @returns bytes, or 0 when the line is absent (a zombie or a kernel thread has none).
 */
export function parseVmRss(status: string): number {
  const match = /^VmRSS:\s+(\d+) kB$/m.exec(status);
  return match ? Number(match[1]) * 1024 : 0;
}

/**
 * The process `root` and all its descendants, from a list of (pid, ppid) pairs.
 * @param processes every process seen, e.g. from all of `/proc/<pid>/stat`.
 * @param root the pid whose tree is wanted; included even when absent from `processes`.
 * @returns pids, root first, then breadth-first.
 */
export function descendants(
  processes: readonly Pick<ProcStat, "pid" | "ppid">[],
  root: number,
): number[] {
  const children = new Map<number, number[]>();
  for (const { pid, ppid } of processes) {
    const list = children.get(ppid);
    if (list) list.push(pid);
    else children.set(ppid, [pid]);
  }
  const tree = [root];
  for (let i = 0; i < tree.length; i++) {
    for (const child of children.get(tree[i]!) ?? []) {
      if (!tree.includes(child)) tree.push(child);
    }
  }
  return tree;
}
