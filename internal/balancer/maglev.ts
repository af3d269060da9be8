/**
 * Weighted Maglev consistent hashing (Eisenbud et al., "Maglev: A Fast and Reliable Software
 * Network Load Balancer", NSDI 2016, §3.4) and the 32-bit string hash it is built on.
 *
 * @module
 */

import type { Upstream } from "../pool/mod.ts";

/**
 * Default lookup table size: the prime the Maglev paper uses. Maglev recommends at least 100
 * entries per upstream, so 65537 suits pools of up to about 650 upstreams; larger pools still
 * balance (every upstream gets ⌊M/N⌋ or ⌈M/N⌉ entries) but move a little more on changes.
 */
export const DEFAULT_MAGLEV_TABLE_SIZE = 65537;

/** Largest accepted table size: 2^24 entries (64 MiB of table) is already far past useful. */
const MAX_TABLE_SIZE = 2 ** 24;

// Independent seeds for the two permutation hashes of an upstream (offset and skip).
const OFFSET_SEED = 0x9e3779b9;
const SKIP_SEED = 0x7f4a7c15;

const EMPTY = -1;

/**
 * MurmurHash3 x86_32 of `text.slice(start, end)` read as UTF-16LE code units, computed without
 * copying: two code units form one 4-byte block. For ASCII text it therefore differs from
 * MurmurHash3 of the UTF-8 bytes, but it is the same function everywhere Sluice runs, which is
 * all that consistent hashing needs. Fast (one `Math.imul`-based mix per two characters),
 * non-cryptographic, good avalanche through the final mix.
 * @param text the string to hash.
 * @param seed 32-bit seed; different seeds give independent hash functions.
 * @param start index of the first code unit hashed.
 * @param end index after the last code unit hashed.
 * @returns an unsigned 32-bit hash.
 */
export function murmurHash3(
  text: string,
  seed: number,
  start: number = 0,
  end: number = text.length,
): number {
  let h = seed | 0;
  let i = start;
  const blocksEnd = start + ((end - start) & ~1);
  for (; i < blocksEnd; i += 2) {
    let k = text.charCodeAt(i) | (text.charCodeAt(i + 1) << 16);
    k = Math.imul(k, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, 0x1b873593);
    h ^= k;
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  if (i < end) {
    let k = text.charCodeAt(i);
    k = Math.imul(k, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, 0x1b873593);
    h ^= k;
  }
  h ^= (end - start) << 1; // length in bytes
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * Checks a Maglev table size.
 * @param size number of table entries.
 * @throws {RangeError} when `size` is not a prime below 2^24.
 */
export function assertMaglevTableSize(size: number): void {
  if (!Number.isInteger(size) || size >= MAX_TABLE_SIZE || !isPrime(size)) {
    throw new RangeError(
      `Maglev table size must be a prime below ${MAX_TABLE_SIZE} (e.g. 65537): current value is ${size}`,
    );
  }
}

function isPrime(n: number): boolean {
  if (n < 2) return false;
  if (n % 2 === 0) return n === 2;
  for (let d = 3; d * d <= n; d += 2) if (n % d === 0) return false;
  return true;
}

/** Options of {@linkcode MaglevTable}. */
export interface MaglevTableOptions {
  /** Number of entries M, a prime. @default 65537 ({@linkcode DEFAULT_MAGLEV_TABLE_SIZE}) */
  size?: number;
}

/**
 * A Maglev lookup table over a set of upstreams: `lookup(hash)` is one array read.
 *
 * The table is a function of the set of upstreams (their URLs and weights), not of their
 * order, so every Sluice replica with the same upstreams builds the same table:
 *
 * - Each upstream's preference list is the permutation `offset + j·skip (mod M)` with
 *   `offset = h1(url) mod M` and `skip = h2(url) mod (M − 1) + 1` (§3.4). The URL is hashed,
 *   not the id: ids are positional (`u1`, `u2`, … in config order, then in order of run-time
 *   additions) and so may differ between replicas, while config validation keeps URLs unique.
 * - Upstreams take turns, sorted by URL (then id), each claiming the next free entry of its
 *   preference list, until the table is full.
 * - Weights, by relative thresholds (as Envoy's weighted Maglev): an upstream of weight w
 *   takes w/wmax turns per round, wmax being the largest weight, i.e. the heaviest upstream
 *   claims an entry every round and one of half its weight every other round. Its share of
 *   entries is therefore w/Σw whatever the weights' scale. (The other common extension, "w
 *   turns per round", breaks down when Σw approaches M: the last, partial round then favours
 *   whoever comes first in the sort order.) An upstream gets about M·w/Σw entries, so weights
 *   are honoured to within a turn or so per upstream: keep M·wmin/Σw well above 1.
 *
 * With equal weights every upstream owns ⌊M/N⌋ or ⌈M/N⌉ entries. When an upstream leaves,
 * its entries go to the others and only few other entries change owner (Maglev's "minimal
 * disruption": measured with M = 65537, 1.00/N of entries move for N = 3, 1.02/N for N = 10,
 * 1.55/N for N = 100; of the staying upstreams' entries at most 0.6% move).
 *
 * Building costs O(M log M) probes and allocates the M-entry table (4·M bytes): about 1 ms
 * for 3 upstreams, 3 ms for 100 or 1000, with M = 65537 and a warm JIT. `lookup` is O(1) and
 * allocation-free.
 */
export class MaglevTable {
  /** Number of entries M. */
  readonly size: number;
  /** The upstreams in table order (sorted by URL, then id). */
  readonly upstreams: readonly Upstream[];
  #entries: Int32Array;
  #weights: Float64Array;
  #indexOf: Map<Upstream, number>;

  /**
   * Builds the table.
   * @param upstreams distinct upstreams, in any order; their `weight` is read now.
   * @param options table size.
   * @throws {RangeError} when `options.size` is not a prime below 2^24.
   */
  constructor(upstreams: readonly Upstream[], options: MaglevTableOptions = {}) {
    const size = options.size ?? DEFAULT_MAGLEV_TABLE_SIZE;
    assertMaglevTableSize(size);
    this.size = size;
    const sorted = [...upstreams].sort(compareUpstreams);
    this.upstreams = sorted;
    const n = sorted.length;
    this.#indexOf = new Map(sorted.map((u, i) => [u, i]));
    this.#weights = new Float64Array(n);
    for (let i = 0; i < n; i++) this.#weights[i] = sorted[i]?.weight ?? 1;
    this.#entries = n === 0 ? new Int32Array(0) : populate(sorted, this.#weights, size);
  }

  /**
   * The upstream owning a key's hash.
   * @param hash unsigned 32-bit hash of the key.
   * @returns the owner, or `undefined` when the table has no upstreams.
   */
  lookup(hash: number): Upstream | undefined {
    const entries = this.#entries;
    if (entries.length === 0) return undefined;
    return this.upstreams[entries[hash % entries.length] as number];
  }

  /**
   * Whether this table was built for exactly these upstreams with their current weights, so
   * it can serve a new snapshot with the same membership (an upstream that went down and came
   * back) without a rebuild. O(N).
   * @param upstreams distinct upstreams, in any order.
   */
  matches(upstreams: readonly Upstream[]): boolean {
    if (upstreams.length !== this.upstreams.length) return false;
    for (const upstream of upstreams) {
      const index = this.#indexOf.get(upstream);
      if (index === undefined || this.#weights[index] !== upstream.weight) return false;
    }
    return true;
  }

  /**
   * Number of table entries an upstream owns (its share of keys is that over `size`). O(M).
   * @param upstream one of the table's upstreams.
   * @returns the count, 0 for an upstream not in the table.
   */
  entriesOf(upstream: Upstream): number {
    const index = this.#indexOf.get(upstream);
    let count = 0;
    for (const entry of this.#entries) if (entry === index) count++;
    return count;
  }
}

function compareUpstreams(a: Upstream, b: Upstream): number {
  if (a.url !== b.url) return a.url < b.url ? -1 : 1;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/**
 * Maglev's population loop (§3.4, Pseudocode 1) with weighted turns: an upstream's k-th turn
 * (k = 0, 1, …) comes in round ⌈(k + ½)·wmax/w⌉, so the heaviest upstream takes a turn every
 * round and one of weight w every wmax/w rounds, and by round r it has had round(r·w/wmax)
 * turns: rounding to nearest, so light upstreams get no head start over heavy ones (as in
 * Envoy's weighted Maglev, whose credit starts at zero, i.e. rounds up). With
 * unequal weights, turns are queued per round (a bucket queue) rather than checking every
 * upstream every round, so a build costs O(M log M) table probes plus O(M + N) bookkeeping
 * even for skewed weights (1000:1 would otherwise mean ~M rounds of N checks). Within a round,
 * upstreams take their turns in the order they were queued: table order in round 1, then the
 * order of their previous turns; deterministic, hence the same on every replica. Equal weights
 * take the plain loop, which is the same order.
 */
function populate(
  upstreams: readonly Upstream[],
  weights: Float64Array,
  size: number,
): Int32Array {
  const n = upstreams.length;
  const next = new Int32Array(n); // next entry of each upstream's preference list
  const skip = new Int32Array(n);
  const weight = new Float64Array(n); // treating a nonsensical weight as 1
  let maxWeight = 0;
  let minWeight = Infinity;
  let totalWeight = 0;
  for (let i = 0; i < n; i++) {
    const url = (upstreams[i] as Upstream).url;
    next[i] = murmurHash3(url, OFFSET_SEED) % size;
    skip[i] = (murmurHash3(url, SKIP_SEED) % (size - 1)) + 1;
    const w = weights[i] as number;
    const sane = w > 0 && Number.isFinite(w) ? w : 1;
    weight[i] = sane;
    maxWeight = Math.max(maxWeight, sane);
    minWeight = Math.min(minWeight, sane);
    totalWeight += sane;
  }
  const entries = new Int32Array(size).fill(EMPTY);

  if (minWeight === maxWeight) {
    for (let filled = 0;;) {
      for (let i = 0; i < n; i++) {
        claim(entries, next, skip, i);
        if (++filled === size) return entries;
      }
    }
  }

  // By round r, upstream i has had round(r·wᵢ/wmax) turns, so at least r·Σw/wmax − N/2 in
  // all: the table is full by round ⌈(M + N/2)·wmax/Σw⌉. Turns due after that are dropped.
  const lastRound = Math.ceil(((size + n / 2) * maxWeight) / totalWeight) + 1;
  const head = new Int32Array(lastRound + 1).fill(-1);
  const tail = new Int32Array(lastRound + 1);
  const link = new Int32Array(n).fill(-1);
  const taken = new Float64Array(n);
  const enqueue = (i: number, due: number): void => {
    if (due > lastRound) return;
    link[i] = -1;
    if (head[due] === -1) head[due] = i;
    else link[tail[due] as number] = i;
    tail[due] = i;
  };
  for (let i = 0; i < n; i++) enqueue(i, Math.ceil((0.5 * maxWeight) / (weight[i] as number)));
  let filled = 0;
  for (let round = 1; round <= lastRound; round++) {
    for (let i = head[round] as number; i !== -1;) {
      const following = link[i] as number;
      claim(entries, next, skip, i);
      if (++filled === size) return entries;
      const k = (taken[i] as number) + 1;
      taken[i] = k;
      const due = Math.ceil(((k + 0.5) * maxWeight) / (weight[i] as number));
      enqueue(i, Math.max(round + 1, due));
      i = following;
    }
  }
  return entries;
}

/** Gives upstream `i` the next free entry of its preference list. */
function claim(entries: Int32Array, next: Int32Array, skip: Int32Array, i: number): void {
  const size = entries.length;
  const step = skip[i] as number;
  let c = next[i] as number;
  while (entries[c] !== EMPTY) {
    c += step;
    if (c >= size) c -= size;
  }
  entries[c] = i;
  c += step;
  next[i] = c >= size ? c - size : c;
}
