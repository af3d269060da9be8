/**
 * DNS service discovery: the upstreams behind a `dns://name:port` (A and AAAA records) or
 * `dns+srv://_service._proto.name` (SRV records) backend, looked up again at the records' TTL.
 *
 * @module
 */

import { getLogger } from "@logtape/logtape";
import type { DiscoverySource } from "../config/mod.ts";

const logger = getLogger(["sluice", "discovery"]);

/** One lookup's answer: upstream origins and the shortest TTL among the records, seconds. */
export interface Resolved {
  /** `http://address:port` origins (IPv6 in brackets), sorted, without duplicates. */
  urls: string[];
  /** Shortest TTL of the address records, seconds; `undefined` when none was reported. */
  ttlSeconds: number | undefined;
}

/** Looks a source up; rejects when the lookup fails or finds no address. */
export type DiscoveryLookup = (source: DiscoverySource) => Promise<Resolved>;

/** Options of {@linkcode DnsDiscovery}. */
export interface DnsDiscoveryOptions {
  /** Shortest time between two lookups, ms (a TTL below it is raised to it). */
  minIntervalMs: number;
  /** Longest time between two lookups, ms (a TTL above it is lowered to it). */
  maxIntervalMs: number;
  /** Called with the new set after each lookup that changed it (the first one included). */
  onChange: (urls: readonly string[]) => void;
  /** How to look up. @default {@linkcode createDnsLookup} with the system's resolver */
  lookup?: DiscoveryLookup;
}

/**
 * Keeps the set of upstreams of one DNS source: looks it up at `start()`, then again after the
 * records' shortest TTL clamped to [`minIntervalMs`, `maxIntervalMs`], or after `minIntervalMs`
 * when the lookup reports no TTL (`Deno.resolveDns` does not). A failed lookup (server
 * unreachable, NXDOMAIN, no address) keeps the last good set (logged at warn) and is retried
 * after `minIntervalMs`, doubling on each failure in a row up to `maxIntervalMs`. `onChange`
 * gets each set that differs from the one before.
 */
export class DnsDiscovery {
  readonly source: DiscoverySource;
  readonly #options: DnsDiscoveryOptions;
  readonly #lookup: DiscoveryLookup;
  #current: readonly string[] | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #stopped = false;
  #failures = 0;
  #running: Promise<void> | undefined;

  /**
   * @param source what to look up.
   * @param options intervals, the change callback and the lookup.
   */
  constructor(source: DiscoverySource, options: DnsDiscoveryOptions) {
    this.source = source;
    this.#options = options;
    this.#lookup = options.lookup ?? createDnsLookup();
  }

  /** The last good set, `undefined` before the first successful lookup. */
  get current(): readonly string[] | undefined {
    return this.#current;
  }

  /**
   * Looks up now and schedules the next lookups.
   * @returns when the first lookup has settled (succeeded or failed).
   */
  start(): Promise<void> {
    return this.#running = this.#refresh();
  }

  /** Stops the lookups; one in flight finishes without effect. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    await this.#running;
  }

  async #refresh(): Promise<void> {
    const { minIntervalMs, maxIntervalMs } = this.#options;
    let delayMs: number;
    try {
      const resolved = await this.#lookup(this.source);
      if (this.#stopped) return;
      this.#failures = 0;
      delayMs = resolved.ttlSeconds === undefined
        ? minIntervalMs
        : Math.min(maxIntervalMs, Math.max(minIntervalMs, resolved.ttlSeconds * 1000));
      const previous = this.#current;
      if (previous === undefined || previous.join(" ") !== resolved.urls.join(" ")) {
        this.#current = resolved.urls;
        logger.info("{source} resolves to {urls}", {
          source: this.source.url,
          urls: resolved.urls.join(", "),
        });
        this.#options.onChange(resolved.urls);
      }
    } catch (error) {
      if (this.#stopped) return;
      this.#failures++;
      delayMs = Math.min(maxIntervalMs, minIntervalMs * 2 ** (this.#failures - 1));
      logger.warn("Looking up {source} failed, keeping the last good set ({count}): {error}", {
        source: this.source.url,
        count: this.#current?.length ?? 0,
        error: error instanceof Error ? error.message : String(error),
      });
    }
    if (this.#stopped) return;
    const timer = setTimeout(() => {
      this.#running = this.#refresh();
    }, delayMs);
    Deno.unrefTimer(timer);
    this.#timer = timer;
  }
}

/**
 * A lookup with `Deno.resolveDns` (needs only `--allow-net`), optionally against one name
 * server. Deno 2.9's `resolveDns` reports no TTL: `ttlSeconds` is always `undefined`.
 * @param nameServer the server to ask; `undefined` uses the system's configuration.
 * @returns the lookup.
 */
export function createDnsLookup(
  nameServer?: { ipAddr: string; port: number },
): DiscoveryLookup {
  const options: Deno.ResolveDnsOptions = nameServer === undefined ? {} : { nameServer };
  const addresses = async (name: string): Promise<string[]> => {
    const [v4, v6] = await Promise.allSettled([
      Deno.resolveDns(name, "A", options),
      Deno.resolveDns(name, "AAAA", options),
    ]);
    const found = [
      ...(v4.status === "fulfilled" ? v4.value : []),
      ...(v6.status === "fulfilled" ? v6.value.map((address) => `[${address}]`) : []),
    ];
    if (found.length === 0) {
      const reason = v4.status === "rejected" ? v4.reason : undefined;
      throw new Error(
        `no A or AAAA record for ${name}${reason instanceof Error ? `: ${reason.message}` : ""}`,
      );
    }
    return found;
  };
  return async function lookup(source: DiscoverySource): Promise<Resolved> {
    const urls = new Set<string>();
    if (source.kind === "a") {
      for (const address of await addresses(source.name)) {
        urls.add(`http://${address}:${source.port}`);
      }
    } else {
      const records = await Deno.resolveDns(source.name, "SRV", options);
      if (records.length === 0) throw new Error(`no SRV record for ${source.name}`);
      // Targets that fail to resolve are left out; the lookup fails only when all do.
      const results = await Promise.allSettled(
        records.map((record) => addresses(record.target.replace(/\.$/, ""))),
      );
      results.forEach((result, i) => {
        if (result.status !== "fulfilled") return;
        for (const address of result.value) urls.add(`http://${address}:${records[i]!.port}`);
      });
      if (urls.size === 0) throw new Error(`no address for the SRV targets of ${source.name}`);
    }
    return { urls: [...urls].sort(), ttlSeconds: undefined };
  };
}
