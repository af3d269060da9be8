// deno-lint-ignore-file no-console -- the command-line tools' own error lines.
/**
 * The life cycle the harness's command-line tools share (`main.ts`, `soak.ts`): a temporary
 * directory, a `ProcessGroups` that everything started joins, Ctrl-C and SIGTERM stopping them
 * all (a second Ctrl-C kills at once), and the exit code.
 *
 * @module
 */

import { ProcessGroups } from "./process_groups.ts";

/** What a tool's body receives. */
export type ToolBody = (signal: AbortSignal, groups: ProcessGroups, dir: string) => Promise<number>;

/** Options of {@linkcode runTool}. */
export interface RunToolOptions {
  /** Prefix of the temporary directory's name, e.g. `sluice-bench-`. */
  prefix: string;
  /** Leave the temporary directory in place and print its path. @default false */
  keepTemp?: boolean;
}

/**
 * Runs `body` with a fresh temporary directory (mode 0755: nginx's worker may run as another user
 * and reads its files there) and a process group set, stops every process it started however it
 * ends, then exits the process with its code (130 when interrupted, 1 on an error).
 * @returns never: the process exits.
 */
export async function runTool(body: ToolBody, options: RunToolOptions): Promise<never> {
  const controller = new AbortController();
  const groups = new ProcessGroups();
  const onSignal = () => {
    if (controller.signal.aborted) {
      groups.killAll(); // a second Ctrl-C: no more waiting
      Deno.exit(130);
    }
    console.error("stopping: every started process is being stopped");
    controller.abort();
    groups.stopAll();
  };
  Deno.addSignalListener("SIGINT", onSignal);
  Deno.addSignalListener("SIGTERM", onSignal);
  const dir = await Deno.makeTempDir({ prefix: options.prefix });
  await Deno.chmod(dir, 0o755);
  let code = 1;
  try {
    code = await body(controller.signal, groups, dir);
  } catch (error) {
    code = controller.signal.aborted ? 130 : 1;
    if (!controller.signal.aborted) console.error(error);
  } finally {
    await groups.stopAll();
    if (options.keepTemp) console.error(`kept: ${dir}`);
    else await Deno.remove(dir, { recursive: true });
    Deno.removeSignalListener("SIGINT", onSignal);
    Deno.removeSignalListener("SIGTERM", onSignal);
  }
  Deno.exit(code);
}
