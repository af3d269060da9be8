/**
 * The machine and software a run was taken on, recorded with its figures.
 *
 * @module
 */

import { findBinary, versionLine } from "./binaries.ts";

/** The machine and the versions of everything measured. */
export interface Environment {
  /** Logical CPU cores. */
  cores: number;
  /** CPU model from /proc/cpuinfo. */
  cpu: string;
  /** 1-minute load average when the run started (others' work shows here). */
  loadAverage: number;
  /** Kernel release. */
  kernel: string;
  /** The repository's commit, with `-dirty` when the tree had changes. */
  commit: string;
  /** Version lines, undefined where not installed. */
  versions: Record<"deno" | "wrk" | "nginx" | "haproxy" | "caddy", string | undefined>;
}

async function gitCommit(root: string): Promise<string> {
  const run = async (args: string[]) => {
    const out = await new Deno.Command("git", { args, cwd: root, stdin: "null", stderr: "null" })
      .output();
    return new TextDecoder().decode(out.stdout).trim();
  };
  try {
    const commit = await run(["rev-parse", "--short", "HEAD"]);
    if (commit === "") return "unknown"; // not a git checkout
    const dirty = await run(["status", "--porcelain", "--untracked-files=no"]);
    return dirty === "" ? commit : `${commit}-dirty`;
  } catch {
    return "unknown";
  }
}

async function optional(name: string, args: string[]): Promise<string | undefined> {
  const path = findBinary(name);
  return path ? await versionLine(path, args) : undefined;
}

/**
 * Reads the environment of the run.
 * @param root the repository root, for the commit.
 */
export async function readEnvironment(root: string): Promise<Environment> {
  const cpuinfo = await Deno.readTextFile("/proc/cpuinfo").catch(() => "");
  const loadavg = await Deno.readTextFile("/proc/loadavg").catch(() => "0");
  return {
    cores: navigator.hardwareConcurrency,
    cpu: /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1] ?? "unknown",
    loadAverage: Number(loadavg.split(" ")[0]),
    kernel: (await Deno.readTextFile("/proc/sys/kernel/osrelease").catch(() => "")).trim(),
    commit: await gitCommit(root),
    versions: {
      deno: `deno ${Deno.version.deno} (V8 ${Deno.version.v8})`,
      wrk: (await optional("wrk", ["-v"]))?.split(" Copyright")[0],
      nginx: await optional("nginx", ["-v"]),
      haproxy: (await optional("haproxy", ["-v"]))?.split(" - ")[0],
      caddy: (await optional("caddy", ["version"]))?.replace(/^v?/, "caddy "),
    },
  };
}
