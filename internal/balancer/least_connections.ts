/**
 * Least connections: the upstream with the fewest in-flight requests for its weight.
 *
 * @module
 */

import type { Upstream } from "../pool/mod.ts";
import type { SelectContext, Strategy } from "./strategy.ts";
import { CurrentWeights } from "./weighted_round_robin.ts";

/**
 * Weighted least connections as nginx's `least_conn` does it
 * (`ngx_http_upstream_get_least_conn_peer` in
 * `src/http/modules/ngx_http_upstream_least_conn_module.c`): the upstream with the smallest
 * `inFlight / weight` wins, compared by cross-multiplication (`a.inFlight * b.weight <
 * b.inFlight * a.weight`) so the comparison is exact. An upstream of weight 2 with 2 requests in
 * flight is as loaded as one of weight 1 with 1.
 *
 * Ties go to smooth weighted round robin among the tied upstreams only (nginx does the same),
 * not to the first in pool order: at low concurrency every upstream is idle on most picks, and
 * "first" would send all of that traffic to one upstream, while a plain rotation would ignore
 * the weights. With all upstreams idle the picks follow the weights exactly, as
 * {@linkcode WeightedRoundRobinStrategy} would (equal weights: an exact rotation).
 *
 * `inFlight` counts a request until its response body has finished, so long downloads and
 * slow upstreams count as load. Unlike HAProxy's `leastconn` and Envoy's least request, the
 * comparison does not count the request about to be sent (`inFlight + 1`), which would tilt
 * towards heavier upstreams a little more; with equal weights both orderings agree.
 *
 * Weights are `upstream.effectiveWeight`: the weight, scaled down while the upstream is in slow
 * start.
 *
 * O(n) per pick (two passes when there is a tie), allocation-free.
 *
 * @example
 * ```ts
 * const strategy = new LeastConnectionsStrategy();
 * const upstream = strategy.select(pool.available(), ctx);
 * ```
 */
export class LeastConnectionsStrategy implements Strategy {
  /** @inheritdoc */
  readonly name = "least_connections";
  readonly #state = new CurrentWeights();

  /** @inheritdoc */
  select(snapshot: readonly Upstream[], _ctx?: SelectContext): Upstream | undefined {
    const n = snapshot.length;
    if (n === 0) return undefined;
    // An unfrozen copy of the snapshot: V8 indexes frozen arrays slowly (see CurrentWeights).
    const state = this.#state.sync(snapshot);
    const upstreams = state.upstreams;
    let best = upstreams[0]!;
    let bestWeight = best.effectiveWeight;
    let first = 0;
    let ties = 1;
    for (let i = 1; i < n; i++) {
      const upstream = upstreams[i]!;
      const upstreamWeight = upstream.effectiveWeight;
      const load = upstream.inFlight * bestWeight;
      const bestLoad = best.inFlight * upstreamWeight;
      if (load < bestLoad) {
        best = upstream;
        bestWeight = upstreamWeight;
        first = i;
        ties = 1;
      } else if (load === bestLoad) {
        ties++;
      }
    }
    if (ties === 1) return best;

    // Smooth weighted round robin over the tied upstreams, which all sit at or after `first`.
    const current = state.values;
    const inFlight = best.inFlight;
    const weight = bestWeight;
    let pick = first;
    let pickWeight = -Infinity;
    let total = 0;
    for (let i = first; i < n; i++) {
      const upstream = upstreams[i]!;
      const upstreamWeight = upstream.effectiveWeight;
      if (upstream.inFlight * weight !== inFlight * upstreamWeight) continue;
      const value = current[i]! + upstreamWeight;
      current[i] = value;
      total += upstreamWeight;
      if (value > pickWeight) {
        pick = i;
        pickWeight = value;
      }
    }
    current[pick] = pickWeight - total;
    return upstreams[pick];
  }
}
