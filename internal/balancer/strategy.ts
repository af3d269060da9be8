/**
 * The interface every load-balancing algorithm implements.
 *
 * @module
 */

import type { FieldLines } from "../net/mod.ts";
import type { Upstream } from "../pool/mod.ts";

/** What a strategy may look at besides the upstreams: the request and who sent it. */
export interface SelectContext {
  /** The client's request; a strategy must not read its body. */
  readonly request: Request;
  /**
   * The request's header field lines as the listener parsed them, when it has them
   * (`RequestContext.headerFields`): read instead of `request.headers`, which the http1
   * listener's request makes only when read.
   */
  readonly headerFields?: FieldLines | undefined;
  /**
   * The client's IP address: the socket's peer, or the address a trusted proxy reported in
   * X-Forwarded-For (see `--trusted-proxies`).
   */
  readonly clientIp: string;
}

/**
 * Chooses one upstream for a request (Caddy `Selector`, Envoy `chooseHost`).
 *
 * Selection is separate from availability: `upstreams` holds only available upstreams, in pool
 * order, and may be empty. `select` returns `undefined` when none fits and never throws for
 * that; the caller turns `undefined` into a 503.
 */
export interface Strategy {
  /** Config name of the algorithm, e.g. `"round_robin"`. */
  readonly name: string;
  /**
   * @param upstreams available upstreams (a frozen snapshot; do not keep or mutate it).
   * @param ctx the request being balanced.
   * @returns the chosen upstream, or `undefined` when `upstreams` is empty.
   */
  select(upstreams: readonly Upstream[], ctx: SelectContext): Upstream | undefined;
}
