// deno-lint-ignore-file no-console -- a command-line tool: its console output is the interface.
/**
 * The local demo behind `deno task demo`: five http-echo compatible upstreams in this process on
 * 127.0.0.1:9001-9005, and Sluice (`main.ts`) as a child process on port 8080 with two pools
 * (`demo/sluice.yaml`): `/` balanced across upstreams 1-3 (the pool `default`, `--backends`),
 * `/api` across upstreams 4 and 5 (the pool `api`), with active health checks on `/health`.
 *
 * Arguments after `deno task demo` go to `main.ts`; one naming a flag the demo sets (`--port`,
 * `--backends`, `--health-path`, `--health-interval`, `--log-format`, `--config`) replaces the
 * demo's value.
 * `SLUICE_PORT` chooses the proxy port when `--port` is not given; the banner shows the admin
 * server at `--admin-host`/`--admin-port` (or `SLUICE_ADMIN_HOST`/`SLUICE_ADMIN_PORT`).
 *
 * Ctrl-C, SIGTERM or SIGHUP stops Sluice (one SIGTERM, then SIGKILL after 35 s; a second Ctrl-C
 * more than a second later kills it at once) and the upstreams, and exits 0. If Sluice exits on
 * its own, the upstreams are stopped and the demo exits with its code. Sluice runs in its own
 * session so that a Ctrl-C reaches it only through this runner.
 * On a terminal, typing 1 to 5 and Enter stops or restarts that upstream.
 *
 * @example
 * ```sh
 * deno task demo
 * deno task demo --port 9090
 * ```
 *
 * @module
 */

import { fileURLToPath } from "node:url";
import { startUpstream, type Upstream } from "./upstream.ts";
import { RUNTIME_ENV } from "../internal/app/runtime_env.ts";

/** Ports of the demo upstreams on 127.0.0.1. */
export const DEFAULT_UPSTREAM_PORTS: readonly number[] = [9001, 9002, 9003];

/** Ports of the demo's pool `api` (`/api`), as `demo/sluice.yaml` names them. */
export const DEFAULT_API_UPSTREAM_PORTS: readonly number[] = [9004, 9005];

/** The demo's config file: the pool `api` and the routes. */
export const DEMO_CONFIG: string = fileURLToPath(new URL("./sluice.yaml", import.meta.url));

/** Port Sluice listens on in the demo unless `--port` or `SLUICE_PORT` says otherwise. */
export const DEFAULT_PROXY_PORT = 8080;

/** Sluice's admin port unless `--admin-port`, `SLUICE_ADMIN_PORT` or the config file says otherwise. */
export const DEFAULT_ADMIN_PORT = 8090;

/** Permissions Sluice runs with in the demo: the same as `deno task start`. */
export const SLUICE_PERMISSIONS: readonly string[] = [
  "--allow-net",
  "--allow-read",
  "--allow-env=SLUICE_*,DENO_TOKIO_EVENT_INTERVAL",
];

/** Options for {@linkcode buildSluiceArgs}. */
export interface BuildSluiceArgsOptions {
  /**
   * Port Sluice listens on, unless `extraArgs` has `--port`.
   * @default {8080}
   */
  port?: number;
  /** Arguments for `main.ts` given by the user; they replace a demo default of the same flag. */
  extraArgs?: readonly string[];
}

/**
 * Builds the `deno` arguments that run Sluice for the demo:
 * `run <permissions> <main> --host 127.0.0.1 --port 8080 --backends <urls> --health-path /health
 * --health-interval 2s --log-format pretty --config demo/sluice.yaml <extraArgs>`.
 *
 * A flag present in `extraArgs` (as `--name value` or `--name=value`) drops the demo's default
 * for it, so the result never names a flag twice.
 *
 * @param mainModule Path of Sluice's `main.ts`.
 * @param backends Upstream URLs, e.g. `http://127.0.0.1:9001`.
 * @param options Port and user arguments.
 * @returns Arguments for the `deno` executable.
 */
export function buildSluiceArgs(
  mainModule: string,
  backends: readonly string[],
  options: BuildSluiceArgsOptions = {},
): string[] {
  const { port = DEFAULT_PROXY_PORT, extraArgs = [] } = options;
  const defaults: [string, string][] = [
    ["--host", "127.0.0.1"],
    ["--port", String(port)],
    ["--backends", backends.join(",")],
    ["--health-path", "/health"],
    ["--health-interval", "2s"],
    ["--log-format", "pretty"],
    ["--config", DEMO_CONFIG],
  ];
  const args = ["run", ...SLUICE_PERMISSIONS, mainModule];
  for (const [flag, value] of defaults) {
    if (findFlag(extraArgs, flag) === undefined) args.push(flag, value);
  }
  args.push(...extraArgs);
  return args;
}

/**
 * Picks the command that starts a `deno` process: `Deno.execPath()` (the same Deno running the
 * demo) when run access to it is granted, otherwise `"deno"` (found on `PATH`) when that is
 * granted. `--allow-run=deno` grants the `PATH` entry as written, while `Deno.execPath()` is the
 * resolved file, so the two differ when `deno` on `PATH` is a symlink (npm, Homebrew installs).
 *
 * @returns A command for `Deno.Command`; `Deno.execPath()` when neither is granted, so that the
 * spawn asks for (or is denied) the precise permission.
 */
export function resolveDenoCommand(): string {
  const execPath = Deno.execPath();
  const granted = (command: string) =>
    Deno.permissions.querySync({ name: "run", command }).state === "granted";
  if (granted(execPath)) return execPath;
  if (granted("deno")) return "deno";
  return execPath;
}

/** Options for {@linkcode startDemo}. */
export interface DemoOptions {
  /** Extra arguments for `main.ts` (see {@linkcode buildSluiceArgs}). */
  args?: readonly string[];
  /**
   * Port Sluice listens on when `args` has no `--port`.
   * @default {8080}
   */
  port?: number;
  /**
   * Ports of the upstreams on 127.0.0.1, one upstream each; `0` picks a free port.
   * @default {[9001, 9002, 9003]}
   */
  upstreamPorts?: readonly number[];
  /**
   * Ports of the pool `api`'s upstreams (`upstream 4`, `upstream 5`); `demo/sluice.yaml` names
   * 9004 and 9005, so other ports leave that pool without a live upstream.
   * @default {[9004, 9005]}
   */
  apiUpstreamPorts?: readonly number[];
  /**
   * Sluice's admin port when `args` has no `--admin-port` (e.g. from `SLUICE_ADMIN_PORT`); `0`
   * when the admin server is off. Only shown in the banner: Sluice reads the flag itself.
   * @default {8090}
   */
  adminPort?: number;
  /**
   * Sluice's admin address when `args` has no `--admin-host` (e.g. from `SLUICE_ADMIN_HOST`).
   * @default {"127.0.0.1"}
   */
  adminHost?: string;
  /**
   * Module Sluice is started from.
   * @default {"<repository>/main.ts"}
   */
  mainModule?: string;
  /**
   * Executable that runs `mainModule`.
   * @default {resolveDenoCommand()}
   */
  denoCommand?: string;
  /**
   * How long Sluice may take to exit after SIGTERM before it gets SIGKILL, in ms; longer than
   * Sluice's default `--shutdown-timeout` (30 s) so a graceful drain is not cut short.
   * @default {35000}
   */
  stopTimeout?: number;
  /**
   * How long to wait for Sluice to accept connections before `ready` gives up, in ms.
   * @default {10000}
   */
  readyTimeout?: number;
  /**
   * Receives the demo's own messages.
   * @default {console.log}
   */
  log?: (message: string) => void;
}

/** What {@linkcode Demo.ready} found out about Sluice. */
export type DemoReadiness = "listening" | "exited" | "unknown";

/** One demo upstream. */
export interface DemoUpstream {
  /** `upstream 1`, `upstream 2`, ...: the text it answers with. */
  readonly text: string;
  /** Its URL, e.g. `http://127.0.0.1:9001`. */
  readonly url: string;
  /** Whether it is listening now (see {@linkcode Demo.toggleUpstream}). */
  readonly running: boolean;
}

/** A running demo returned by {@linkcode startDemo}. */
export interface Demo {
  /** The Sluice child process. */
  readonly sluice: Deno.ChildProcess;
  /** The upstreams: the `--backends` ones in order, then the pool `api`'s. */
  readonly upstreams: readonly DemoUpstream[];
  /** Port Sluice was told to listen on (`--port`). */
  readonly port: number;
  /**
   * Where the admin server answers, e.g. `127.0.0.1:8090` (from `--admin-host`/`--admin-port` in
   * `args`, else `adminHost`/`adminPort`); `undefined` when the port is 0 (admin server off).
   */
  readonly admin: string | undefined;
  /**
   * Resolves `"listening"` once Sluice accepts TCP connections on 127.0.0.1:`port`, `"exited"`
   * when it exits (or the demo is stopped) first, `"unknown"` when `readyTimeout` passes or the
   * port is 0.
   */
  readonly ready: Promise<DemoReadiness>;
  /**
   * Resolves with the demo's exit code once Sluice has exited and the upstreams have stopped:
   * Sluice's own code when it exited on its own; after {@linkcode Demo.stop}, 0 when it exited
   * cleanly or by the SIGTERM, its code when it failed, 1 when it had to be killed.
   */
  readonly finished: Promise<number>;
  /**
   * Stops Sluice (SIGTERM, then SIGKILL after `stopTimeout`) and then the upstreams.
   * Safe to call more than once.
   *
   * @returns The same promise as `finished`.
   */
  stop(): Promise<number>;
  /**
   * Stops a running upstream or restarts a stopped one, to watch Sluice's health checks react.
   *
   * @param index Position in `upstreams` (0-based).
   * @returns Whether the upstream is running afterwards.
   * @throws {RangeError} When `index` is not a position in `upstreams`.
   * @throws {Error} When the demo is stopping, or the port was taken meanwhile.
   */
  toggleUpstream(index: number): Promise<boolean>;
}

/**
 * Starts the upstreams on 127.0.0.1, then Sluice as a child process pointed at them.
 *
 * @param options Ports, paths and arguments; all optional.
 * @returns The running demo; wait on `ready` before sending traffic and on `finished` for the end.
 * @throws {Error} When an upstream port is taken (with the `AddrInUse` as `cause`); the upstreams
 * already started are stopped first.
 * @throws {Deno.errors.NotCapable} When run access to `denoCommand` is denied; the upstreams
 * are stopped first.
 */
export async function startDemo(options: DemoOptions = {}): Promise<Demo> {
  const {
    args = [],
    upstreamPorts = DEFAULT_UPSTREAM_PORTS,
    apiUpstreamPorts = DEFAULT_API_UPSTREAM_PORTS,
    mainModule = fileURLToPath(new URL("../main.ts", import.meta.url)),
    denoCommand = resolveDenoCommand(),
    stopTimeout = 35_000,
    readyTimeout = 10_000,
    log = console.log,
  } = options;
  const port = parsePort(findFlag(args, "--port")) ?? options.port ?? DEFAULT_PROXY_PORT;
  const admin = adminAddress(
    findFlag(args, "--admin-host") ?? options.adminHost,
    parsePort(findFlag(args, "--admin-port")) ?? options.adminPort ?? DEFAULT_ADMIN_PORT,
  );

  const upstreams: DemoUpstreamState[] = [];
  const stopUpstreams = () => Promise.all(upstreams.map((upstream) => upstream.stop()));
  let sluice: Deno.ChildProcess;
  try {
    for (const [index, upstreamPort] of [...upstreamPorts, ...apiUpstreamPorts].entries()) {
      const upstream = new DemoUpstreamState(`upstream ${index + 1}`, upstreamPort);
      upstreams.push(upstream);
      upstream.start();
    }
    const backends = upstreams.slice(0, upstreamPorts.length).map((upstream) => upstream.url);
    sluice = new Deno.Command(denoCommand, {
      args: buildSluiceArgs(mainModule, backends, { port, extraArgs: args }),
      // As `deno task start`: see internal/app/runtime_env.ts.
      env: { ...RUNTIME_ENV },
      stdin: "null",
      stdout: "inherit",
      stderr: "inherit",
      // Its own session, so Ctrl-C on the terminal reaches only this process, which then sends
      // Sluice exactly one SIGTERM: Sluice treats a second signal as "exit at once", and under
      // `deno task` a Ctrl-C would otherwise reach Sluice directly as well as through us.
      detached: true,
    }).spawn();
  } catch (error) {
    await stopUpstreams();
    throw error;
  }

  let stopping: Promise<number> | undefined;
  let killedAfterTimeout = false;
  const exited = new AbortController();
  const finished = (async () => {
    const status = await sluice.status;
    exited.abort();
    await stopUpstreams();
    if (stopping === undefined) return status.code;
    if (killedAfterTimeout) return 1;
    // Dying of the SIGTERM (or of a SIGINT someone sent it meanwhile) is the stop asked for.
    const stoppedBySignal = status.signal === "SIGTERM" || status.signal === "SIGINT";
    return status.success || stoppedBySignal ? 0 : status.code;
  })();

  const stop = (): Promise<number> => {
    stopping ??= (async () => {
      if (exited.signal.aborted) return await finished;
      if (!trySignal(sluice, "SIGTERM")) return await finished;
      const timer = setTimeout(() => {
        killedAfterTimeout = trySignal(sluice, "SIGKILL");
        if (killedAfterTimeout) log(`Sluice did not exit within ${stopTimeout} ms; killed it.`);
      }, stopTimeout);
      try {
        return await finished;
      } finally {
        clearTimeout(timer);
      }
    })();
    return stopping;
  };

  const toggleUpstream = async (index: number): Promise<boolean> => {
    const upstream = upstreams[index];
    if (upstream === undefined) {
      throw new RangeError(
        `Cannot toggle upstream: index must be in 0-${
          upstreams.length - 1
        }: current value is ${index}`,
      );
    }
    // A restart now would outlive the upstreams' shutdown and keep the process alive.
    if (stopping !== undefined || exited.signal.aborted) {
      throw new Error(`Cannot toggle ${upstream.text}: the demo is stopping`);
    }
    if (upstream.running) await upstream.stop();
    else upstream.start();
    return upstream.running;
  };

  const ready = waitForPort(port, { timeout: readyTimeout, signal: exited.signal });

  return { sluice, upstreams, port, admin, ready, finished, stop, toggleUpstream };
}

/** An upstream that can be stopped and started again on the same port. */
class DemoUpstreamState implements DemoUpstream {
  readonly text: string;
  #port: number;
  #upstream: Upstream | undefined;
  #controller: AbortController | undefined;

  constructor(text: string, port: number) {
    this.text = text;
    this.#port = port;
  }

  get url(): string {
    return `http://127.0.0.1:${this.#port}`;
  }

  get running(): boolean {
    return this.#upstream !== undefined;
  }

  start(): void {
    if (this.#upstream !== undefined) return;
    const controller = new AbortController();
    try {
      this.#upstream = startUpstream({
        text: this.text,
        hostname: "127.0.0.1",
        port: this.#port,
        signal: controller.signal,
      });
    } catch (error) {
      if (error instanceof Deno.errors.AddrInUse) {
        throw new Error(
          `Cannot start ${this.text}: 127.0.0.1:${this.#port} is already in use`,
          { cause: error },
        );
      }
      throw error;
    }
    this.#controller = controller;
    // A restart reuses the port first bound, also when port 0 asked for a free one.
    this.#port = this.#upstream.addr.port;
  }

  async stop(): Promise<void> {
    const upstream = this.#upstream;
    if (upstream === undefined) return;
    this.#controller?.abort();
    await upstream.finished;
    this.#upstream = undefined;
  }
}

/** Value of `--flag value` or `--flag=value` in `args` (the last one wins), if present. */
function findFlag(args: readonly string[], flag: string): string | undefined {
  let value: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === "--") break;
    if (arg === flag) value = args[++i] ?? "";
    else if (arg.startsWith(`${flag}=`)) value = arg.slice(flag.length + 1);
  }
  return value;
}

/**
 * The address to reach the admin server at: its host, except that a wildcard (or no host) is
 * reached on loopback; IPv6 in brackets. `undefined` for port 0 (off).
 */
function adminAddress(host: string | undefined, port: number): string | undefined {
  if (port === 0) return undefined;
  const reachable = host === undefined || host === "" || host === "0.0.0.0" || host === "::"
    ? "127.0.0.1"
    : host;
  return reachable.includes(":") ? `[${reachable}]:${port}` : `${reachable}:${port}`;
}

function parsePort(value: string | undefined): number | undefined {
  if (value === undefined || !/^\d{1,5}$/.test(value.trim())) return undefined;
  return Number(value);
}

/** Polls until 127.0.0.1:port accepts a TCP connection, the signal aborts or time runs out. */
async function waitForPort(
  port: number,
  options: { timeout: number; signal: AbortSignal },
): Promise<DemoReadiness> {
  const deadline = Date.now() + options.timeout;
  while (port !== 0 && !options.signal.aborted && Date.now() < deadline) {
    try {
      const connection = await Deno.connect({ hostname: "127.0.0.1", port });
      connection.close();
      return "listening";
    } catch {
      // Not listening yet: try again shortly unless the child exited meanwhile.
      await delay(100, options.signal);
    }
  }
  return options.signal.aborted ? "exited" : "unknown";
}

function delay(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
  });
}

/** Sends a signal; false when the process has already exited. */
function trySignal(child: Deno.ChildProcess, signal: Deno.Signal): boolean {
  try {
    child.kill(signal);
    return true;
  } catch {
    return false;
  }
}

/** Options for {@linkcode describeDemo}. */
export interface DescribeDemoOptions {
  /**
   * Whether stdin is a terminal: the banner then explains the 1-3 toggle keys.
   * @default {Deno.stdin.isTerminal()}
   */
  terminal?: boolean;
}

/**
 * The banner printed once the demo runs: the proxy and upstream URLs, commands to try, and the
 * admin server's URLs at the address it was given (or a note that it is off).
 *
 * @param demo The running demo.
 * @param options Whether to explain the terminal's toggle keys.
 * @returns The banner text, lines joined with `\n`.
 */
export function describeDemo(demo: Demo, options: DescribeDemoOptions = {}): string {
  const { terminal = Deno.stdin.isTerminal() } = options;
  const proxy = `localhost:${demo.port}`;
  const lines = [
    "",
    `Sluice demo: Sluice (pid ${demo.sluice.pid}) on http://${proxy} balancing across`,
    ...demo.upstreams.map((upstream, index) =>
      `  ${upstream.url}  answers "${upstream.text}"  (${
        index < 3 ? "pool default: /" : "pool api: /api"
      })`
    ),
    "",
    "Try:",
    `  curl ${proxy}                 # repeat it: the answer rotates through the upstreams`,
    `  curl ${proxy}/api/users       # the route api: upstreams 4 and 5 (least connections)`,
    `  curl -i ${proxy}              # X-Upstream tells which upstream answered`,
    `  for i in 1 2 3 4 5 6; do curl -s ${proxy}; done`,
    `  curl ${demo.upstreams[0]?.url ?? "127.0.0.1:9001"}/health   # what the health check probes`,
    "",
  ];
  const admin = demo.admin;
  if (admin === undefined) {
    lines.push("Admin server off (--admin-port 0): no dashboard, API or /metrics.");
  } else {
    lines.push(
      "Admin:",
      `  open http://${admin}/           # the live dashboard`,
      `  curl ${admin}/api/upstreams     # the pool default as JSON`,
      `  curl ${admin}/api/pools         # both pools, with totals`,
      `  curl ${admin}/api/routes        # the routes and their hit counts`,
      "  curl -X PATCH -H 'content-type: application/json' -d '{\"state\":\"draining\"}' \\",
      `       ${admin}/api/upstreams/u2   # drain upstream 2`,
      `  curl ${admin}/metrics           # Prometheus metrics`,
    );
  }
  if (terminal) {
    lines.push(
      "",
      `Type 1-${demo.upstreams.length} and Enter to stop or restart an upstream; Sluice's health`,
      "checks (every 2s) take it out of and back into rotation.",
    );
  }
  lines.push("Press Ctrl-C to stop everything.", "");
  return lines.join("\n");
}

/** Reads upstream numbers from the terminal and toggles those upstreams. */
async function readToggleCommands(demo: Demo): Promise<void> {
  const lines = Deno.stdin.readable.pipeThrough(new TextDecoderStream());
  let buffered = "";
  for await (const chunk of lines) {
    buffered += chunk;
    let newline;
    while ((newline = buffered.indexOf("\n")) !== -1) {
      const input = buffered.slice(0, newline).trim();
      buffered = buffered.slice(newline + 1);
      const index = Number(input) - 1;
      const upstream = demo.upstreams[index];
      if (input === "") continue;
      if (!Number.isInteger(index) || upstream === undefined) {
        console.log(
          `Type a number from 1 to ${demo.upstreams.length} to stop/restart an upstream.`,
        );
        continue;
      }
      try {
        const running = await demo.toggleUpstream(index);
        console.log(`${upstream.text} (${upstream.url}) ${running ? "restarted" : "stopped"}.`);
      } catch (error) {
        console.log((error as Error).message);
      }
    }
  }
}

async function main(args: readonly string[]): Promise<number> {
  const env = (name: string): string | undefined =>
    Deno.permissions.querySync({ name: "env", variable: name }).state === "granted"
      ? Deno.env.get(name)
      : undefined;
  const envPort = parsePort(env("SLUICE_PORT"));
  const adminPort = parsePort(env("SLUICE_ADMIN_PORT"));
  const adminHost = env("SLUICE_ADMIN_HOST");

  let demo: Demo;
  try {
    demo = await startDemo({
      args,
      ...(envPort === undefined ? {} : { port: envPort }),
      ...(adminPort === undefined ? {} : { adminPort }),
      ...(adminHost === undefined ? {} : { adminHost }),
    });
  } catch (error) {
    if (error instanceof Deno.errors.NotCapable) {
      console.error(
        `Cannot start Sluice: ${error.message}\n` +
          `Grant run access to this Deno: --allow-run=${Deno.execPath()}`,
      );
    } else {
      console.error((error as Error).message);
    }
    return 1;
  }

  let firstSignalAt: number | undefined;
  const onSignal = () => {
    if (firstSignalAt === undefined) {
      firstSignalAt = Date.now();
      console.log("\nStopping Sluice and the upstreams (Ctrl-C again to force)...");
      void demo.stop();
    } else if (Date.now() - firstSignalAt > FORCE_AFTER_MS) {
      if (trySignal(demo.sluice, "SIGKILL")) console.log("Killed Sluice.");
    }
  };
  const signals: Deno.Signal[] = Deno.build.os === "windows"
    ? ["SIGINT"]
    : ["SIGINT", "SIGTERM", "SIGHUP"];
  for (const signal of signals) Deno.addSignalListener(signal, onSignal);

  try {
    const readiness = await demo.ready;
    if (readiness === "unknown") {
      console.log(
        demo.port === 0
          ? "Sluice picked a free port: its log shows which."
          : `Sluice is not accepting connections on 127.0.0.1:${demo.port} yet.`,
      );
    }
    if (readiness !== "exited") {
      console.log(describeDemo(demo));
      if (Deno.stdin.isTerminal()) {
        readToggleCommands(demo).catch((error) => {
          console.error(`Stopped reading the terminal: ${(error as Error).message}`);
        });
      }
    }
    const code = await demo.finished;
    if (firstSignalAt === undefined) {
      console.log(`Sluice exited with code ${code}; the upstreams are stopped.`);
    }
    return code;
  } finally {
    for (const signal of signals) Deno.removeSignalListener(signal, onSignal);
  }
}

/**
 * A second signal within this many ms of the first is the same Ctrl-C: `deno task` forwards
 * SIGINT to its child, which the terminal has already sent to the whole process group.
 */
const FORCE_AFTER_MS = 1000;

if (import.meta.main) {
  // Deno.exit, because a pending read on the terminal would otherwise keep the process alive.
  Deno.exit(await main(Deno.args));
}
