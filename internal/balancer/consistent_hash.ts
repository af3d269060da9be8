/**
 * Consistent hashing: the same key (client IP, path, header or cookie) goes to the same
 * upstream, on every Sluice replica, and few keys move when upstreams come and go.
 *
 * @module
 */

import type { Upstream } from "../pool/mod.ts";
import { type HashKey, type KeySpan, locateHashKey } from "./hash_key.ts";
import {
  assertMaglevTableSize,
  DEFAULT_MAGLEV_TABLE_SIZE,
  MaglevTable,
  murmurHash3,
} from "./maglev.ts";
import type { SelectContext, Strategy } from "./strategy.ts";

/** Options of {@linkcode ConsistentHashStrategy}. */
export interface ConsistentHashOptions {
  /** What to hash. @default { source: "ip" } */
  key?: HashKey;
  /**
   * Maglev lookup table size M, a prime; at least 100 × the number of upstreams keeps
   * movement on changes close to the minimum. Fixed for the strategy's life: a different M
   * is a different mapping.
   * @default 65537
   */
  tableSize?: number;
}

const IP_KEY: HashKey = Object.freeze({ source: "ip" });

// Seed of the key hash, independent of the seeds of the upstream permutations.
const KEY_SEED = 0x5bd1e995;

/** Tables kept for recently seen upstream sets; each takes 4·M bytes (256 KiB by default). */
const MAX_TABLES = 4;

const NO_TABLE = new MaglevTable([]);

/**
 * Maps a key of the request to an upstream with a weighted Maglev table (Eisenbud et al.,
 * NSDI 2016, §3.4; see {@linkcode MaglevTable}): an upstream of weight w gets w/Σw of the
 * keys; when one of N upstreams leaves, its keys spread over the others and only slightly more
 * than 1/N of all keys change upstream; when it comes back, they return. The mapping depends
 * only on the set of upstreams (URLs and weights), not on their order or on history, so
 * replicas agree without sharing state.
 *
 * Missing key: when the configured header or cookie is absent or empty, the client IP is
 * hashed instead, so such clients still stick to one upstream and do not all pile onto the
 * upstream of the empty key (nginx's `hash` falls back to round robin here, losing affinity).
 *
 * Tables are built lazily, on the first `select` with a set of upstreams not seen recently:
 * one build per pool change, on the request path (M = 65537: about 1 ms for 3 upstreams and
 * 3 ms for 100 or 1000 with a warm JIT, up to ~10 ms for the very first build of a process).
 * The tables of the last four sets are kept, so an upstream that flaps down and up again
 * reuses its table. A `select` with the same array as the previous call, or the one before
 * (the director alternates snapshot and retry list), costs a key hash and one table read:
 * about 60 ns with the client IP as key, 150–200 ns for path, header or cookie.
 *
 * Retries: the director first asks again with the full snapshot (same answer) and then with
 * the snapshot minus the upstreams already tried. That list gets the Maglev table of its own
 * set, i.e. the upstream that will own the key once the tried one leaves the pool, so a
 * retried key lands where its later requests will go, the tried upstream's keys spread evenly
 * over the others, and replicas agree. The list is a new array on every retry: the first
 * retry that excludes a given upstream builds its table, later ones find it among the cached
 * tables in O(N) instead of rebuilding.
 */
export class ConsistentHashStrategy implements Strategy {
  /** @inheritdoc */
  readonly name: string = "consistent_hash";
  /** What is hashed. */
  readonly key: HashKey;
  readonly #tableSize: number;
  readonly #span: KeySpan = { text: "", start: 0, end: 0 };
  #list0: readonly Upstream[] | undefined = undefined;
  #table0: MaglevTable = NO_TABLE;
  #list1: readonly Upstream[] | undefined = undefined;
  #table1: MaglevTable = NO_TABLE;
  /** Most recently used first. */
  #tables: MaglevTable[] = [];

  /**
   * Creates the strategy; tables are built on the first `select`.
   * @param options key and table size.
   * @throws {RangeError} when `options.tableSize` is not a prime below 2^24.
   */
  constructor(options: ConsistentHashOptions = {}) {
    this.key = options.key ?? IP_KEY;
    this.#tableSize = options.tableSize ?? DEFAULT_MAGLEV_TABLE_SIZE;
    assertMaglevTableSize(this.#tableSize);
  }

  /** @inheritdoc */
  select(upstreams: readonly Upstream[], ctx: SelectContext): Upstream | undefined {
    const n = upstreams.length;
    if (n <= 1) return upstreams[0];
    const span = this.#span;
    if (!locateHashKey(this.key, ctx, span)) {
      span.text = ctx.clientIp;
      span.start = 0;
      span.end = span.text.length;
    }
    const hash = murmurHash3(span.text, KEY_SEED, span.start, span.end);
    span.text = "";
    const table = upstreams === this.#list0 ? this.#table0 : this.#tableFor(upstreams);
    return table.lookup(hash);
  }

  #tableFor(upstreams: readonly Upstream[]): MaglevTable {
    let table: MaglevTable;
    if (upstreams === this.#list1) {
      table = this.#table1;
    } else {
      const tables = this.#tables;
      const index = tables.findIndex((t) => t.matches(upstreams));
      if (index === -1) {
        table = new MaglevTable(upstreams, { size: this.#tableSize });
        if (tables.unshift(table) > MAX_TABLES) tables.pop();
      } else {
        table = tables[index] as MaglevTable;
        if (index > 0) {
          tables.splice(index, 1);
          tables.unshift(table);
        }
      }
    }
    this.#list1 = this.#list0;
    this.#table1 = this.#table0;
    this.#list0 = upstreams;
    this.#table0 = table;
    return table;
  }
}

/**
 * `ip_hash`: {@linkcode ConsistentHashStrategy} keyed on the client IP (nginx `ip_hash`, but
 * with Maglev instead of nginx's modulo-style hashing, so few clients move on pool changes).
 */
export class IpHashStrategy extends ConsistentHashStrategy {
  /** @inheritdoc */
  override readonly name: string = "ip_hash";

  /**
   * Creates the strategy; tables are built on the first `select`.
   * @param options table size.
   * @throws {RangeError} when `options.tableSize` is not a prime below 2^24.
   */
  constructor(options: Omit<ConsistentHashOptions, "key"> = {}) {
    super({ ...options, key: IP_KEY });
  }
}
