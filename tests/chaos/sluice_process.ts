/**
 * Sluice as a real process for the chaos suite: `deno run --allow-net main.ts` as a user runs
 * it, so signals, exit codes and resident memory are those of production. Its JSON log lines
 * (stdout and stderr) are read as they come; its admin server gives the memory figures.
 *
 * @module
 */

const MAIN = new URL("../../main.ts", import.meta.url).pathname;
const ROOT = new URL("../..", import.meta.url).pathname;

/** A parsed JSON log line of Sluice. */
export type LogEntry = Record<string, unknown>;

/** What the access log said of one request. */
export interface AccessEntry {
  status: number;
  attempts: number;
  upstream: string | null;
}

/** Options of {@linkcode SluiceProcess.start}. */
export interface SluiceProcessOptions {
  /** Keep every access log entry by request id in {@linkcode SluiceProcess.access}. @default false */
  keepAccessLog?: boolean;
  /** Bound on the start, until the "listening" line, ms. @default 15_000 */
  startTimeoutMs?: number;
}

/**
 * Runs `deno run --allow-net main.ts --help` and returns the text: the chaos suite passes only
 * flags that this Sluice has.
 * @returns the help text.
 */
export async function sluiceHelp(): Promise<string> {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-net", MAIN, "--help"],
    cwd: ROOT,
    env: { NO_COLOR: "1" },
    stdin: "null",
  }).output();
  return new TextDecoder().decode(output.stdout);
}

/**
 * Whether the help text lists `flag` (e.g. `"--retries"`) as an option.
 * @param help the output of {@linkcode sluiceHelp}.
 * @param flag the flag, with its dashes.
 */
export function hasFlag(help: string, flag: string): boolean {
  return help.split("\n").some((line) => line.trimStart().split(/[\s,=]/, 1)[0] === flag);
}

/**
 * A free TCP port on 127.0.0.1 (a moment ago), for the admin server, where 0 means "off".
 * @returns the port.
 */
export function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr;
  listener.close();
  return port;
}

/** A running Sluice process. Start it with {@linkcode SluiceProcess.start}. */
export class SluiceProcess implements AsyncDisposable {
  /** Origin of the proxy, e.g. `http://127.0.0.1:41235`. */
  readonly url: string;
  /** Origin of the admin server. */
  readonly adminUrl: string;
  /** The child process. */
  readonly child: Deno.ChildProcess;
  /** Access log entries by request id (only with `keepAccessLog`). */
  readonly access: Map<string, AccessEntry>;
  readonly #logs: LogLines;
  readonly #client = Deno.createHttpClient({});

  private constructor(
    child: Deno.ChildProcess,
    logs: LogLines,
    port: number,
    adminPort: number,
  ) {
    this.child = child;
    this.#logs = logs;
    this.access = logs.access;
    this.url = `http://127.0.0.1:${port}`;
    this.adminUrl = `http://127.0.0.1:${adminPort}`;
  }

  /**
   * Starts `deno run --allow-net main.ts --host 127.0.0.1 --port 0 --admin-port <free>
   * --log-format json <args>` and waits for its "listening" line.
   * @param args more arguments: backends, timeouts, features.
   * @param options access log keeping and the start bound.
   * @returns the running process.
   * @throws {Error} when it exits or does not listen in time (with its output).
   */
  static async start(args: string[], options: SluiceProcessOptions = {}): Promise<SluiceProcess> {
    const adminPort = freePort();
    const child = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--allow-net",
        MAIN,
        "--host",
        "127.0.0.1",
        "--port",
        "0",
        "--admin-port",
        String(adminPort),
        "--log-format",
        "json",
        ...args,
      ],
      cwd: ROOT,
      env: { NO_COLOR: "1" },
      clearEnv: true,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const logs = new LogLines(child, options.keepAccessLog ?? false);
    try {
      const listening = await logs.waitFor(
        (e) => e.logger === "sluice.app" && String(e.message).startsWith("Sluice listening"),
        options.startTimeoutMs ?? 15_000,
        "Sluice to listen",
      );
      return new SluiceProcess(child, logs, Number(listening.port), adminPort);
    } catch (error) {
      try {
        child.kill("SIGKILL");
      } catch { /* exited */ }
      await child.status;
      await logs.done;
      throw error;
    }
  }

  /**
   * Resolves with the first log line (other than the access log) matching `predicate`, from the
   * start of the process on; rejects after `timeoutMs` or when the process exits.
   * @param predicate the condition over a parsed line.
   * @param timeoutMs bound on the wait, ms.
   * @param what description for the error.
   */
  waitForLog(
    predicate: (entry: LogEntry) => boolean,
    timeoutMs: number,
    what: string,
  ): Promise<LogEntry> {
    return this.#logs.waitFor(predicate, timeoutMs, what);
  }

  /**
   * The resident set size of the process, from the admin server's `/metrics`
   * (`process_resident_memory_bytes`).
   * @returns bytes.
   */
  async rssBytes(): Promise<number> {
    const response = await fetch(`${this.adminUrl}/metrics`, { client: this.#client });
    const text = await response.text();
    const match = /^process_resident_memory_bytes (\d+(?:\.\d+)?(?:e\+\d+)?)$/m.exec(text);
    if (!match) throw new Error(`no process_resident_memory_bytes in /metrics:\n${text}`);
    return Number(match[1]);
  }

  /**
   * Resolves once the admin event stream (`GET /api/events`: a snapshot on connect, then a
   * stats tick per second) shows no request in flight, in Sluice or to any upstream; rejects
   * after `timeoutMs` with the last figures seen.
   * @param timeoutMs bound on the wait, ms.
   */
  async waitForIdle(timeoutMs: number): Promise<void> {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), timeoutMs);
    let last = "no event";
    try {
      const response = await fetch(`${this.adminUrl}/api/events`, {
        client: this.#client,
        signal: controller.signal,
      });
      let buffered = "";
      for await (const chunk of response.body!.pipeThrough(new TextDecoderStream())) {
        buffered += chunk;
        let end;
        while ((end = buffered.indexOf("\n\n")) >= 0) {
          const frame = buffered.slice(0, end);
          buffered = buffered.slice(end + 2);
          const data = frame.split("\n").find((line) => line.startsWith("data: "));
          if (data === undefined) continue;
          const view = JSON.parse(data.slice(6)) as {
            status?: { totals: { inFlight: number } };
            upstreams?: { name: string; inFlight: number }[];
          };
          if (!view.status || !view.upstreams) continue;
          last = JSON.stringify({
            inFlight: view.status.totals.inFlight,
            upstreams: view.upstreams.map((u) => [u.name, u.inFlight]),
          });
          if (view.status.totals.inFlight === 0 && view.upstreams.every((u) => u.inFlight === 0)) {
            return; // leaving the loop cancels the stream
          }
        }
      }
    } catch (error) {
      if (!controller.signal.aborted) throw error;
      throw new Error(`requests still in flight after ${timeoutMs}ms: ${last}`);
    } finally {
      clearTimeout(timer);
    }
    throw new Error(`the event stream ended; last seen: ${last}`);
  }

  /** Kills the process if it still runs and waits for its output to end. */
  async [Symbol.asyncDispose](): Promise<void> {
    try {
      this.child.kill("SIGKILL");
    } catch { /* already exited */ }
    await this.child.status;
    await this.#logs.done;
    this.#client.close();
  }
}

/** Reads both output streams of the child line by line. */
class LogLines {
  readonly entries: LogEntry[] = [];
  readonly access = new Map<string, AccessEntry>();
  readonly done: Promise<void>;
  readonly #keepAccess: boolean;
  readonly #waiters = new Set<() => void>();
  #ended = 0;

  constructor(child: Deno.ChildProcess, keepAccess: boolean) {
    this.#keepAccess = keepAccess;
    this.done = Promise.all([this.#pump(child.stdout), this.#pump(child.stderr)]).then(() => {});
  }

  waitFor(
    predicate: (entry: LogEntry) => boolean,
    timeoutMs: number,
    what: string,
  ): Promise<LogEntry> {
    return new Promise((resolve, reject) => {
      let seen = 0;
      const settle = (done: () => void) => {
        clearTimeout(timer);
        this.#waiters.delete(check);
        done();
      };
      const check = () => {
        for (; seen < this.entries.length; seen++) {
          const entry = this.entries[seen]!;
          if (predicate(entry)) return settle(() => resolve(entry));
        }
        if (this.#ended === 2) {
          settle(() => reject(new Error(`Sluice exited before ${what}; log:\n${this.#tail()}`)));
        }
      };
      const timer = setTimeout(
        () => settle(() => reject(new Error(`timed out after ${timeoutMs}ms: ${what}`))),
        timeoutMs,
      );
      this.#waiters.add(check);
      check();
    });
  }

  #tail(): string {
    return this.entries.slice(-20).map((e) => JSON.stringify(e)).join("\n");
  }

  async #pump(stream: ReadableStream<Uint8Array>): Promise<void> {
    let buffered = "";
    for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
      buffered += chunk;
      let newline;
      while ((newline = buffered.indexOf("\n")) >= 0) {
        this.#line(buffered.slice(0, newline));
        buffered = buffered.slice(newline + 1);
      }
      for (const wake of this.#waiters) wake();
    }
    if (buffered !== "") this.#line(buffered);
    this.#ended++;
    for (const wake of this.#waiters) wake();
  }

  #line(line: string): void {
    if (line.includes('"logger":"sluice.access"')) {
      if (!this.#keepAccess) return;
      const entry = JSON.parse(line);
      this.access.set(entry.request_id, {
        status: entry.status,
        attempts: entry.attempts,
        upstream: entry.upstream,
      });
      return;
    }
    try {
      this.entries.push(JSON.parse(line));
    } catch {
      this.entries.push({ message: line });
    }
  }
}
