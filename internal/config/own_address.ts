/**
 * Whether an upstream URL points back at one of Sluice's own listeners (the proxy or the admin
 * server): such an upstream loops requests through Sluice, or hands proxy clients the admin API.
 *
 * @module
 */

import { isLoopbackHost } from "./loopback.ts";

/** A listener of Sluice, as configured or as bound. */
export interface OwnListener {
  /** What it is, for messages: `"the proxy"`, `"the admin server"`. */
  what: string;
  /** Address it listens on, e.g. `0.0.0.0`, `127.0.0.1`, `::1`. */
  host: string;
  /** Port it listens on; 0 (not known yet, or off) matches nothing. */
  port: number;
}

const WILDCARDS: ReadonlySet<string> = new Set(["0.0.0.0", "::", "[::]"]);

/** Lower case, without IPv6 brackets, `::` spellings made canonical by the URL parser. */
function canonical(host: string): string {
  const bare = host.toLowerCase().replace(/^\[(.*)\]$/, "$1");
  if (!bare.includes(":")) return bare;
  try {
    return new URL(`http://[${bare}]/`).hostname.slice(1, -1);
  } catch {
    return bare;
  }
}

/**
 * The machine's own interface addresses (`Deno.networkInterfaces()`), canonical; empty when
 * the permission (`--allow-sys=networkInterfaces`) is not granted: then only loopback names,
 * the wildcard and the listen address itself are recognised.
 * @returns the addresses.
 */
export function localInterfaceAddresses(): string[] {
  try {
    const state = Deno.permissions.querySync({ name: "sys", kind: "networkInterfaces" }).state;
    if (state !== "granted") return [];
    return Deno.networkInterfaces().map((i) => canonical(i.address));
  } catch {
    return [];
  }
}

/**
 * The listener of Sluice an upstream URL reaches, or `undefined`: same port (the scheme's
 * default when the URL has none) and a host that reaches that listener. A listener on a
 * wildcard (`0.0.0.0`, `::`) is reached by any local address: loopback names and addresses,
 * the wildcard itself, and `localAddresses`; one on a loopback address by `localhost` too.
 * Other host names are not resolved (a name that points back here is not recognised).
 * @param url a normalised upstream URL such as `http://127.0.0.1:8090`.
 * @param listeners Sluice's listeners.
 * @param localAddresses the machine's interface addresses (see {@linkcode localInterfaceAddresses}).
 * @returns the listener reached, or `undefined`.
 */
export function ownListenerReached(
  url: string,
  listeners: readonly OwnListener[],
  localAddresses: readonly string[] = [],
): OwnListener | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return undefined;
  }
  // A DNS source (dns://, dns+srv://) names no address until it is resolved.
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") return undefined;
  const port = parsed.port === "" ? (parsed.protocol === "https:" ? 443 : 80) : Number(parsed.port);
  const host = canonical(parsed.hostname);
  return listeners.find((listener) => {
    if (listener.port === 0 || listener.port !== port) return false;
    const bound = canonical(listener.host);
    if (host === bound) return true;
    if (WILDCARDS.has(bound) || bound === "") {
      return isLoopbackHost(host) || WILDCARDS.has(host) || localAddresses.includes(host);
    }
    if (isLoopbackHost(bound)) {
      return host === "localhost" || (bound === "localhost" && isLoopbackHost(host));
    }
    return false;
  });
}

/**
 * The message refusing an upstream that reaches one of Sluice's own listeners.
 * @param url the upstream URL.
 * @param listener the listener it reaches.
 * @returns e.g. `http://127.0.0.1:8090 is Sluice's own admin server (127.0.0.1:8090): an
 *   upstream must be another server`.
 */
export function ownListenerMessage(url: string, listener: OwnListener): string {
  return `${url} is Sluice's own ${listener.what.replace(/^the /, "")} ` +
    `(listening on ${listener.host}:${listener.port}): an upstream must be another server`;
}
