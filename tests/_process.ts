/**
 * `main.ts` as a child process for the end-to-end tests that need a real process: exit codes,
 * permissions, environment, signals and the log lines it writes.
 *
 * @module
 */

import { RUNTIME_ENV } from "../internal/app/runtime_env.ts";

const MAIN = new URL("../main.ts", import.meta.url).pathname;
const ROOT = new URL("..", import.meta.url).pathname;

/**
 * Whether a JSON log entry is Sluice's start-up line naming the proxy's port (pass it to
 * `Spawned.line`; the entry's `port` is then the port listened on).
 * @param entry one parsed JSON log line.
 * @returns true for the `sluice.app` line with a numeric `port`.
 */
export function isListeningLine(entry: Record<string, unknown>): boolean {
  return entry.logger === "sluice.app" && typeof entry.port === "number";
}

/** A running `main.ts`, started by {@linkcode spawnMain}; disposing kills it and waits. */
export interface Spawned extends AsyncDisposable {
  child: Deno.ChildProcess;
  /**
   * Resolves with the first JSON line in {@linkcode Spawned.lines} matching `predicate`, looking
   * from index `from` on (default 0: every line so far, then new ones); rejects after
   * `timeoutMs` (default 10s) or once the output has closed without one.
   */
  line(
    predicate: (entry: Record<string, unknown>) => boolean,
    timeoutMs?: number,
    from?: number,
  ): Promise<Record<string, unknown>>;
  /**
   * Every line read so far: stdout only, or stdout and stderr in arrival order with
   * `stderrLines`.
   */
  lines: string[];
  /** The whole of stderr, once it has closed. */
  stderr: Promise<string>;
  /** The whole of stdout, once it has closed (wait on it rather than on the exit status). */
  stdout: Promise<string>;
}

/** Options of {@linkcode spawnMain}. */
export interface SpawnOptions {
  /** The child's whole environment, besides `NO_COLOR=1` (the parent's is not passed on). */
  env?: Record<string, string>;
  /**
   * Read stderr line by line into {@linkcode Spawned.lines} as well (LogTape's console sink
   * writes warnings and errors there), not only whole into {@linkcode Spawned.stderr}.
   * @default false
   */
  stderrLines?: boolean;
  /** Runs it under `ulimit -n <nofile>` (through bash), to starve it of file descriptors. */
  nofile?: number;
}

/**
 * Starts `deno run <permissions> main.ts <args>` from the repository root with a clear
 * environment, reading its output line by line. The admin server is kept off
 * (`--admin-port 0`) unless `args` has an `--admin…` flag, so parallel runs don't fight over
 * port 8090.
 * @param permissions `deno run` permission flags, e.g. `["--allow-net"]`.
 * @param args arguments of `main.ts`.
 * @param options environment and whether stderr is read as lines too.
 * @returns the running process.
 */
export function spawnMain(
  permissions: string[],
  args: string[],
  options: SpawnOptions = {},
): Spawned {
  const stderrLines = options.stderrLines ?? false;
  const denoArgs = [
    "run",
    ...permissions,
    MAIN,
    ...(args.some((a) => a.startsWith("--admin")) ? [] : ["--admin-port", "0"]),
    ...args,
  ];
  // `exec` keeps one process: the child's pid is Deno's, so kill() reaches it.
  const command = options.nofile === undefined ? { program: Deno.execPath(), args: denoArgs } : {
    program: "bash",
    args: ["-c", `ulimit -n ${options.nofile} && exec "$@"`, "bash", Deno.execPath(), ...denoArgs],
  };
  const child = new Deno.Command(command.program, {
    args: command.args,
    cwd: ROOT,
    // As `deno task start` runs it (internal/app/runtime_env.ts).
    env: { NO_COLOR: "1", ...RUNTIME_ENV, ...options.env },
    clearEnv: true,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const lines: string[] = [];
  const waiters = new Set<() => void>();
  let open = stderrLines ? 2 : 1;
  /** Splits `stream` into `lines`, waking the waiters; resolves with the whole text. */
  const pump = async (stream: ReadableStream<Uint8Array>): Promise<string> => {
    let whole = "";
    let buffered = "";
    for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
      whole += chunk;
      buffered += chunk;
      let newline;
      while ((newline = buffered.indexOf("\n")) >= 0) {
        lines.push(buffered.slice(0, newline));
        buffered = buffered.slice(newline + 1);
      }
      for (const wake of waiters) wake();
    }
    open--;
    for (const wake of waiters) wake();
    return whole;
  };
  const stdout = pump(child.stdout);
  const stderr = stderrLines ? pump(child.stderr) : new Response(child.stderr).text();
  const closed = stderrLines ? "output" : "stdout";
  const line = (
    predicate: (entry: Record<string, unknown>) => boolean,
    timeoutMs = 10_000,
    from = 0,
  ) =>
    new Promise<Record<string, unknown>>((resolve, reject) => {
      let seen = from;
      const check = () => {
        for (; seen < lines.length; seen++) {
          let entry: Record<string, unknown>;
          try {
            entry = JSON.parse(lines[seen]!);
          } catch {
            continue;
          }
          if (predicate(entry)) return done(() => resolve(entry));
        }
        if (open === 0) {
          done(() => reject(new Error(`${closed} closed; lines:\n${lines.join("\n")}`)));
        }
      };
      const timer = setTimeout(
        () =>
          done(() => reject(new Error(`no matching line in ${timeoutMs}ms:\n${lines.join("\n")}`))),
        timeoutMs,
      );
      const done = (settle: () => void) => {
        clearTimeout(timer);
        waiters.delete(check);
        settle();
      };
      waiters.add(check);
      check();
    });
  return {
    child,
    line,
    lines,
    stderr,
    stdout,
    async [Symbol.asyncDispose]() {
      try {
        child.kill("SIGKILL");
      } catch { /* already exited */ }
      await child.status;
      await stdout;
      await stderr;
    },
  };
}
