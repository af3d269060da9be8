/**
 * Least time: power of two choices over a peak-EWMA latency × load cost (Finagle's and
 * Linkerd's default balancer).
 *
 * @module
 */

import type { Upstream } from "../pool/mod.ts";
import type { SelectContext, Strategy } from "./strategy.ts";

/** Options of {@linkcode LeastTimeStrategy}. */
export interface LeastTimeOptions {
  /** Source of randomness in [0, 1), for the two candidates. @default Math.random */
  random?: () => number;
  /** Clock in ms, the one `upstream.latency` is fed with. @default performance.now */
  now?: () => number;
  /**
   * At most one probe of a stale upstream per this many selections, so probes stay a small
   * share of traffic when it is light (see {@linkcode LeastTimeStrategy}).
   * @default 20
   */
  probeEvery?: number;
}

/**
 * Cost of an upstream that has never answered but has a request in flight: more than any
 * estimate, so it gets one request at a time until the first answer (Finagle's `Penalty`).
 */
const PENALTY = 2 ** 40;

/**
 * Picks two distinct available upstreams at random and sends the request to the cheaper one
 * (Mitzenmacher's power of two choices), where cost = latency estimate × (requests in flight
 * + 1) / weight: the time a new request is expected to wait behind those already there
 * (Finagle `P2CPeakEwma`, Linkerd2-proxy / tower `p2c` + `PeakEwma`: `rtt × (pending + 1)`;
 * dividing by the weight as tower's `Weighted` does; the weight is `upstream.effectiveWeight`,
 * scaled down while the upstream is in slow start). The latency is `upstream.latency`, a
 * {@linkcode PeakEwma} fed by the proxy with every attempt's time to response headers, a
 * failed attempt counting as the whole per-try timeout.
 *
 * - An upstream with no observation yet costs 0, so it is tried at once; while that first
 *   request is in flight it costs a penalty, so it is not flooded before it has answered.
 * - Probes: an upstream that lost every comparison gets no traffic, so nothing would tell
 *   the balancer that it is fast again before its estimate decays (τ·ln(slow/fast), tens of
 *   seconds). When its estimate is stale (no observation reached it for `staleAfterMs`) and it
 *   has nothing in flight, it wins its comparison once, at most once per `probeEvery`
 *   selections; the answer replaces the stale estimate. A still-slow upstream thus costs about
 *   one request per `staleAfterMs` (2 s), or one in `probeEvery` (5%) when traffic is lighter.
 *
 * O(1) and allocation-free per selection: two random numbers, two `Math.exp`.
 */
export class LeastTimeStrategy implements Strategy {
  /** @inheritdoc */
  readonly name = "least_time";
  readonly #random: () => number;
  readonly #now: () => number;
  readonly #probeEvery: number;
  #untilProbe: number;

  /**
   * @param options randomness, clock and probe budget.
   * @throws {RangeError} when `probeEvery` is not a positive integer.
   */
  constructor(options: LeastTimeOptions = {}) {
    this.#random = options.random ?? Math.random;
    this.#now = options.now ?? (() => performance.now());
    this.#probeEvery = options.probeEvery ?? 20;
    if (!Number.isInteger(this.#probeEvery) || this.#probeEvery < 1) {
      throw new RangeError(
        `probeEvery must be a positive integer: current value is ${this.#probeEvery}`,
      );
    }
    this.#untilProbe = this.#probeEvery;
  }

  /** @inheritdoc */
  select(upstreams: readonly Upstream[], _ctx?: SelectContext): Upstream | undefined {
    const n = upstreams.length;
    if (n <= 1) return upstreams[0];
    const i = Math.floor(this.#random() * n);
    let j = Math.floor(this.#random() * (n - 1));
    if (j >= i) j++;
    const a = upstreams[i]!;
    const b = upstreams[j]!;
    const now = this.#now();
    if (--this.#untilProbe <= 0) {
      if (a.inFlight === 0 && a.latency.isStale(now)) {
        this.#untilProbe = this.#probeEvery;
        return a;
      }
      if (b.inFlight === 0 && b.latency.isStale(now)) {
        this.#untilProbe = this.#probeEvery;
        return b;
      }
    }
    return cost(b, now) < cost(a, now) ? b : a;
  }
}

function cost(upstream: Upstream, now: number): number {
  const estimate = upstream.latency.estimate(now);
  const pending = upstream.inFlight;
  const weight = upstream.effectiveWeight;
  if (estimate === 0 && pending > 0) return (PENALTY + pending) / weight;
  return estimate * (pending + 1) / weight;
}
