/**
 * The systems compared, each started on a free loopback port in front of the same three
 * upstreams: direct (no proxy), Sluice (defaults and one variant per axis value), nginx,
 * HAProxy, Caddy, and the bare Deno proxy.
 *
 * @module
 */

import { findBinary } from "./binaries.ts";
import { caddyConfig } from "./caddy_config.ts";
import { haproxyConfig } from "./haproxy_config.ts";
import { nginxProxyConfig } from "./nginx_config.ts";
import { freePorts } from "./ports.ts";
import type { ProcessGroups, Spawned } from "./process_groups.ts";
import { type SluiceVariant, startTaskArgs } from "./sluice_variants.ts";

/** What systems are started with. */
export interface SystemContext {
  /** The run's temporary directory (configs, logs). */
  dir: string;
  groups: ProcessGroups;
  /** The upstreams' ports on 127.0.0.1. */
  upstreams: readonly number[];
  /** The repository root (where `main.ts` is). */
  root: string;
  /** The `deno` arguments of the `start` task, before main.ts's own. */
  sluiceCommand: readonly string[];
  /** The variables the `start` task sets for `deno` (`DENO_TOKIO_EVENT_INTERVAL`). */
  sluiceEnv: Readonly<Record<string, string>>;
}

/** A system as started. */
export interface Started {
  /** Port it serves on, 127.0.0.1. */
  port: number;
  /** Its process (the root of the measured tree); absent for direct. */
  spawned?: Spawned;
}

/** One system of the comparison. */
export interface SystemSpec {
  /** Stable id, used by `--systems` and in the JSON. */
  id: string;
  /** Label for tables and the chart. */
  label: string;
  /** The binary it needs; the system is skipped when it is not installed. */
  requires?: string;
  /** Starts it (not yet serving: the caller waits). */
  start(context: SystemContext): Promise<Started>;
}

/**
 * The context systems start with: Sluice's command from `deno.json`'s `start` task (so flags or
 * permissions added there are measured too), the run's directory and process groups.
 * @param root the repository root (where `deno.json` and `main.ts` are).
 * @param upstreams the upstreams' ports on 127.0.0.1.
 * @throws {RangeError} when the start task is not a plain `deno …` command.
 */
export async function systemContext(
  root: string,
  dir: string,
  groups: ProcessGroups,
  upstreams: readonly number[],
): Promise<SystemContext> {
  const tasks = JSON.parse(await Deno.readTextFile(`${root}/deno.json`)).tasks;
  const start = startTaskArgs(tasks.start);
  return { dir, groups, upstreams, root, sluiceCommand: start.args, sluiceEnv: start.env };
}

/** The environment of Deno children: the harness's without `SLUICE_*`, colours off. */
function denoEnv(): Record<string, string> {
  const env = Object.fromEntries(
    Object.entries(Deno.env.toObject()).filter(([key]) => !key.startsWith("SLUICE_")),
  );
  return { ...env, NO_COLOR: "1" };
}

function upstreamUrls(context: SystemContext): string[] {
  return context.upstreams.map((port) => `http://127.0.0.1:${port}`);
}

/** Direct to the first upstream: the ceiling of the load generator and upstream together. */
export const DIRECT: SystemSpec = {
  id: "direct",
  label: "direct to one upstream",
  start: (context) => Promise.resolve({ port: context.upstreams[0]! }),
};

/** Sluice as a user runs it (`deno.json`'s start task), plus the variant's flags. */
export function sluiceSystem(variant: SluiceVariant): SystemSpec {
  return {
    id: variant.id,
    label: variant.label,
    start(context) {
      const [port, admin] = freePorts(2) as [number, number];
      const spawned = context.groups.spawn({
        name: variant.id,
        command: Deno.execPath(),
        args: [
          ...context.sluiceCommand,
          "--host",
          "127.0.0.1",
          "--port",
          String(port),
          "--admin-port",
          String(admin),
          "--backends",
          upstreamUrls(context).join(","),
          ...variant.args,
        ],
        cwd: context.root,
        env: { ...denoEnv(), ...context.sluiceEnv },
        shownEnv: { ...context.sluiceEnv },
        clearEnv: true,
        // The access log (JSON lines on stdout) goes to a file, as in production.
        stdoutFile: `${context.dir}/${variant.id}.access.log`,
        stderrFile: `${context.dir}/${variant.id}.stderr.log`,
      });
      return Promise.resolve({ port, spawned });
    },
  };
}

/** nginx, 1 worker, keep-alive to the upstreams. */
export const NGINX: SystemSpec = {
  id: "nginx",
  label: "nginx, 1 worker, upstream keepalive",
  requires: "nginx",
  async start(context) {
    const [port] = freePorts(1) as [number];
    const file = `${context.dir}/nginx-proxy.conf`;
    await Deno.writeTextFile(file, nginxProxyConfig(context.dir, port, context.upstreams));
    const spawned = context.groups.spawn({
      name: "nginx",
      command: findBinary("nginx")!,
      args: [
        "-e",
        `${context.dir}/nginx-proxy.error.log`,
        "-p",
        context.dir,
        "-c",
        file,
        "-g",
        "daemon off;",
      ],
      stderrFile: `${context.dir}/nginx-proxy.stderr.log`,
    });
    return { port, spawned };
  },
};

/** HAProxy, 1 thread. */
export const HAPROXY: SystemSpec = {
  id: "haproxy",
  label: "HAProxy, 1 thread",
  requires: "haproxy",
  async start(context) {
    const [port] = freePorts(1) as [number];
    const file = `${context.dir}/haproxy.cfg`;
    await Deno.writeTextFile(file, haproxyConfig(port, context.upstreams));
    const spawned = context.groups.spawn({
      name: "haproxy",
      command: findBinary("haproxy")!,
      args: ["-db", "-f", file],
      stderrFile: `${context.dir}/haproxy.stderr.log`,
    });
    return { port, spawned };
  },
};

/** Caddy with its defaults (GOMAXPROCS = cores). */
export const CADDY: SystemSpec = {
  id: "caddy",
  label: "Caddy",
  requires: "caddy",
  async start(context) {
    const [port] = freePorts(1) as [number];
    const file = `${context.dir}/caddy.json`;
    await Deno.writeTextFile(file, JSON.stringify(caddyConfig(port, context.upstreams), null, 2));
    const home = `${context.dir}/caddy-home`;
    const spawned = context.groups.spawn({
      name: "caddy",
      command: findBinary("caddy")!,
      args: ["run", "--config", file],
      // Keep Caddy's data and config directories out of the user's home.
      env: { HOME: home, XDG_DATA_HOME: home, XDG_CONFIG_HOME: home },
      stderrFile: `${context.dir}/caddy.stderr.log`,
    });
    return { port, spawned };
  },
};

/** The bare Deno.serve + fetch proxy (`bare_proxy.ts`). */
export const BARE_DENO: SystemSpec = {
  id: "bare-deno",
  label: "bare Deno.serve + fetch proxy",
  start(context) {
    const [port] = freePorts(1) as [number];
    const spawned = context.groups.spawn({
      name: "bare-deno",
      command: Deno.execPath(),
      args: [
        "run",
        "--allow-net",
        new URL("./bare_proxy.ts", import.meta.url).pathname,
        String(port),
        ...upstreamUrls(context),
      ],
      env: denoEnv(),
      clearEnv: true,
      stderrFile: `${context.dir}/bare-deno.stderr.log`,
    });
    return Promise.resolve({ port, spawned });
  },
};

/**
 * The L4 relay in JavaScript (`tcp_relay.ts`): what two socket reads and two writes per request
 * cost from Deno, with no HTTP work at all. Balances connections, not requests.
 */
export const TCP_RELAY: SystemSpec = {
  id: "deno-tcp-relay",
  label: "Deno TCP relay (L4, no HTTP)",
  start(context) {
    const [port] = freePorts(1) as [number];
    const spawned = context.groups.spawn({
      name: "deno-tcp-relay",
      command: Deno.execPath(),
      args: [
        "run",
        "--allow-net",
        new URL("./tcp_relay.ts", import.meta.url).pathname,
        String(port),
        ...context.upstreams.map(String),
      ],
      env: denoEnv(),
      clearEnv: true,
      stderrFile: `${context.dir}/deno-tcp-relay.stderr.log`,
    });
    return Promise.resolve({ port, spawned });
  },
};

/**
 * Every system, in the order of the first round: direct, the Sluice variants, the peers, the
 * bare Deno proxy and the Deno TCP relay.
 */
export function allSystems(variants: readonly SluiceVariant[]): SystemSpec[] {
  return [DIRECT, ...variants.map(sluiceSystem), NGINX, HAPROXY, CADDY, BARE_DENO, TCP_RELAY];
}
