/**
 * The three upstreams every system proxies to: nginx when installed (fixed bodies, cheap and
 * steady), else one Deno process (`deno_upstream.ts`).
 *
 * @module
 */

import { findBinary } from "./binaries.ts";
import { nginxUpstreamsConfig } from "./nginx_config.ts";
import { freePorts } from "./ports.ts";
import type { ProcessGroups, Spawned } from "./process_groups.ts";
import { waitUntilServing } from "./ready.ts";
import { writeUpstreamFiles } from "./upstream_files.ts";

/** How many upstreams the systems balance over. */
export const UPSTREAM_COUNT = 3;

/** The running upstreams. */
export interface Upstreams {
  /** What serves them: `nginx` or `deno`. */
  server: "nginx" | "deno";
  /** Their ports on 127.0.0.1. */
  ports: number[];
  spawned: Spawned;
}

/**
 * Starts the upstreams and waits until each port answers.
 * @param dir the run's temporary directory.
 * @param server what serves them: nginx when installed (`auto`), or the given one.
 * @throws {Error} when they do not serve within the bound, or nginx is asked for and missing.
 */
export async function startUpstreams(
  dir: string,
  groups: ProcessGroups,
  signal: AbortSignal,
  server: "auto" | "nginx" | "deno" = "auto",
): Promise<Upstreams> {
  const ports = freePorts(UPSTREAM_COUNT);
  const nginx = server === "deno" ? undefined : findBinary("nginx");
  if (server === "nginx" && !nginx) throw new Error("--upstreams nginx: nginx is not installed");
  let spawned: Spawned;
  if (nginx) {
    await writeUpstreamFiles(dir);
    const file = `${dir}/upstreams.conf`;
    await Deno.writeTextFile(file, nginxUpstreamsConfig(dir, ports));
    spawned = groups.spawn({
      name: "upstreams",
      command: nginx,
      args: ["-e", `${dir}/upstreams.error.log`, "-p", dir, "-c", file, "-g", "daemon off;"],
      stderrFile: `${dir}/upstreams.stderr.log`,
    });
  } else {
    spawned = groups.spawn({
      name: "upstreams",
      command: Deno.execPath(),
      args: [
        "run",
        "--allow-net",
        new URL("./deno_upstream.ts", import.meta.url).pathname,
        ...ports.map(String),
      ],
      stderrFile: `${dir}/upstreams.stderr.log`,
    });
  }
  for (const port of ports) {
    await waitUntilServing(`http://127.0.0.1:${port}/`, { exited: spawned.done, signal });
  }
  return { server: nginx ? "nginx" : "deno", ports, spawned };
}
