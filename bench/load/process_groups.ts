/**
 * Child processes of the harness, each the leader of its own process group, so that stopping
 * one stops everything it started (nginx's master and worker, a shell's children) and nothing
 * outlives the harness: {@linkcode ProcessGroups.stopAll} runs from `finally` and from the
 * SIGINT/SIGTERM handler.
 *
 * @module
 */

/** How one child is started. */
export interface SpawnSpec {
  /** Short name, used for the log file names. */
  name: string;
  command: string;
  args: string[];
  /** Working directory. @default the harness's */
  cwd?: string;
  /** The child's environment (added to the harness's unless `clearEnv`). */
  env?: Record<string, string>;
  /** Start the child with only `env`. @default false */
  clearEnv?: boolean;
  /**
   * Variables of `env` that configure the program itself (e.g. `DENO_TOKIO_EVENT_INTERVAL`),
   * shown before the command in the report, as a shell would take them. @default none
   */
  shownEnv?: Record<string, string>;
  /** File the child's standard output is copied to; discarded when absent. */
  stdoutFile?: string;
  /** File the child's standard error is copied to; discarded when absent. */
  stderrFile?: string;
}

/** A started child. */
export interface Spawned {
  name: string;
  /** pid of the child, also its process group id. */
  pid: number;
  /** The command and its arguments, as started. */
  argv: string[];
  /** `SpawnSpec.shownEnv`: variables to show before the command. */
  shownEnv: Record<string, string>;
  child: Deno.ChildProcess;
  /** Resolves once the child has exited and its output is written out. */
  done: Promise<Deno.CommandStatus>;
}

/** Grace between SIGTERM and SIGKILL when stopping, ms. */
const STOP_GRACE_MS = 3000;

async function copyTo(stream: ReadableStream<Uint8Array> | null, path: string | undefined) {
  if (!stream) return;
  if (!path) {
    await stream.cancel();
    return;
  }
  const file = await Deno.open(path, { write: true, create: true, truncate: true });
  await stream.pipeTo(file.writable); // closes the file
}

function signalGroup(pid: number, signal: Deno.Signal): void {
  try {
    Deno.kill(-pid, signal);
  } catch {
    // the group is gone already
  }
}

/**
 * Starts children in their own process groups and stops them all, group by group.
 * Disposing it stops everything it started.
 */
export class ProcessGroups implements AsyncDisposable {
  readonly #running = new Set<Spawned>();

  /**
   * Starts one child as a process-group leader (`detached`).
   * @throws {Deno.errors.NotFound} when the command is not installed.
   */
  spawn(spec: SpawnSpec): Spawned {
    const child = new Deno.Command(spec.command, {
      args: spec.args,
      ...(spec.cwd === undefined ? {} : { cwd: spec.cwd }),
      env: spec.env ?? {},
      clearEnv: spec.clearEnv ?? false,
      stdin: "null",
      stdout: spec.stdoutFile ? "piped" : "null",
      stderr: spec.stderrFile ? "piped" : "null",
      detached: true,
    }).spawn();
    const output = Promise.all([
      copyTo(spec.stdoutFile ? child.stdout : null, spec.stdoutFile),
      copyTo(spec.stderrFile ? child.stderr : null, spec.stderrFile),
    ]);
    const done = (async () => {
      const status = await child.status;
      await output.catch(() => {});
      return status;
    })();
    const argv = [spec.command, ...spec.args];
    const spawned: Spawned = {
      name: spec.name,
      pid: child.pid,
      argv,
      shownEnv: spec.shownEnv ?? {},
      child,
      done,
    };
    this.#running.add(spawned);
    done.finally(() => this.#running.delete(spawned));
    return spawned;
  }

  /**
   * Stops one child's whole process group: SIGTERM, then SIGKILL after a grace period.
   * @returns once the child has exited.
   */
  async stop(spawned: Spawned): Promise<void> {
    signalGroup(spawned.pid, "SIGTERM");
    let timer: ReturnType<typeof setTimeout> | undefined;
    const killed = new Promise<void>((resolve) => {
      timer = setTimeout(() => {
        signalGroup(spawned.pid, "SIGKILL");
        resolve();
      }, STOP_GRACE_MS);
    });
    await Promise.race([spawned.done, killed]);
    clearTimeout(timer);
    await spawned.done;
    // Members of the group that outlived their leader.
    signalGroup(spawned.pid, "SIGKILL");
  }

  /** Stops every child still running; safe to call more than once and concurrently. */
  async stopAll(): Promise<void> {
    await Promise.all([...this.#running].map((spawned) => this.stop(spawned)));
  }

  /** Kills every group at once with SIGKILL, without waiting (a second Ctrl-C). */
  killAll(): void {
    for (const spawned of this.#running) signalGroup(spawned.pid, "SIGKILL");
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.stopAll();
  }
}
