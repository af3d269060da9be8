/**
 * The pool of upstreams: membership, health and admin state, and the cached snapshot of
 * available upstreams that strategies select from.
 *
 * @module
 */

import { type AdminState, type HealthState, Upstream, type UpstreamSpec } from "./upstream.ts";

/** A change of the pool, delivered to {@linkcode Pool.onChange} listeners. */
export type PoolEvent =
  | { type: "added"; upstream: Upstream }
  | { type: "removed"; upstream: Upstream }
  | { type: "health"; upstream: Upstream; from: HealthState; to: HealthState }
  | { type: "admin"; upstream: Upstream; from: AdminState; to: AdminState }
  | { type: "weight"; upstream: Upstream; from: number; to: number };

/** Listener for {@linkcode PoolEvent}s; called synchronously, must not throw. */
export type PoolListener = (event: PoolEvent) => void;

/**
 * Upstream membership and state. Reads on the request path are `available()`, which returns a
 * frozen array that is replaced (never mutated) only when membership, health or admin state
 * change, so selecting an upstream allocates nothing.
 */
export class Pool {
  #upstreams: Upstream[] = [];
  #byId = new Map<string, Upstream>();
  #available: readonly Upstream[] = Object.freeze([]);
  #listeners = new Set<PoolListener>();

  /**
   * @param specs upstreams present at start-up.
   * @throws {RangeError} when two specs share an id.
   */
  constructor(specs: Iterable<UpstreamSpec> = []) {
    for (const spec of specs) this.#insert(new Upstream(spec));
    this.#rebuild();
  }

  /** Every upstream, in insertion order (a copy). */
  list(): Upstream[] {
    return [...this.#upstreams];
  }

  /** The upstream with this id, or `undefined`. */
  get(id: string): Upstream | undefined {
    return this.#byId.get(id);
  }

  /** Number of upstreams, available or not. */
  get size(): number {
    return this.#upstreams.length;
  }

  /**
   * The upstreams a strategy may choose from, in pool order: health not `down` and admin state
   * `ready`. The same frozen array is returned until something changes.
   */
  available(): readonly Upstream[] {
    return this.#available;
  }

  /**
   * Adds an upstream. With `spec.servesBeforeCheck: false` it takes traffic only after its
   * first passing health check.
   * @param spec id, name, URL, weight of the new upstream.
   * @returns the new upstream.
   * @throws {RangeError} when the id is taken.
   */
  add(spec: UpstreamSpec): Upstream {
    const upstream = new Upstream(spec);
    this.#insert(upstream);
    this.#rebuild();
    this.#emit({ type: "added", upstream });
    return upstream;
  }

  /**
   * Removes an upstream at once; requests already sent to it keep streaming.
   * @returns the removed upstream, or `undefined` when the id is unknown.
   */
  remove(id: string): Upstream | undefined {
    const upstream = this.#byId.get(id);
    if (!upstream) return undefined;
    this.#byId.delete(id);
    this.#upstreams = this.#upstreams.filter((u) => u !== upstream);
    this.#rebuild();
    this.#emit({ type: "removed", upstream });
    return upstream;
  }

  /**
   * Records the health decided by a health checker (Traefik `SetStatus`).
   * @param id upstream id; unknown ids are ignored (the upstream may have just been removed).
   * @param up true for healthy.
   */
  setHealth(id: string, up: boolean): void {
    const upstream = this.#byId.get(id);
    const to: HealthState = up ? "up" : "down";
    if (!upstream || upstream.health === to) return;
    const from = upstream.health;
    upstream.health = to;
    this.#rebuild();
    this.#emit({ type: "health", upstream, from, to });
  }

  /**
   * Sets the operator state of an upstream.
   * @returns false when the id is unknown.
   */
  setAdminState(id: string, state: AdminState): boolean {
    const upstream = this.#byId.get(id);
    if (!upstream) return false;
    if (upstream.admin === state) return true;
    const from = upstream.admin;
    upstream.admin = state;
    this.#rebuild();
    this.#emit({ type: "admin", upstream, from, to: state });
    return true;
  }

  /**
   * Changes the weight of an upstream (weighted strategies read it on their next pick).
   * @param weight integer >= 1.
   * @returns false when the id is unknown.
   * @throws {RangeError} when the weight is not an integer >= 1.
   */
  setWeight(id: string, weight: number): boolean {
    if (!Number.isInteger(weight) || weight < 1) {
      throw new RangeError(`weight must be an integer >= 1: current value is ${weight}`);
    }
    const upstream = this.#byId.get(id);
    if (!upstream) return false;
    if (upstream.weight === weight) return true;
    const from = upstream.weight;
    upstream.weight = weight;
    this.#rebuild();
    this.#emit({ type: "weight", upstream, from, to: weight });
    return true;
  }

  /**
   * Drains an upstream, then removes it: no new requests go to it at once, and it leaves the
   * pool when its in-flight requests have finished or `timeoutMs` has passed (requests still
   * streaming then are not cut; they just no longer count). Setting another admin state while
   * it drains cancels the removal.
   * @param id upstream id.
   * @param timeoutMs longest wait for in-flight requests, ms.
   * @returns resolves `true` once removed; `false` when the id is unknown or the removal was
   *   cancelled.
   */
  async drainAndRemove(id: string, timeoutMs: number): Promise<boolean> {
    const upstream = this.#byId.get(id);
    if (!upstream) return false;
    this.setAdminState(id, "draining");
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      upstream.idle(),
      new Promise<void>((resolve) => timer = setTimeout(resolve, timeoutMs)),
    ]);
    clearTimeout(timer);
    if (this.#byId.get(id) !== upstream || upstream.admin !== "draining") return false;
    this.remove(id);
    return true;
  }

  /**
   * Subscribes to pool changes.
   * @returns a function that unsubscribes.
   */
  onChange(listener: PoolListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  #insert(upstream: Upstream): void {
    if (this.#byId.has(upstream.id)) {
      throw new RangeError(`Upstream id "${upstream.id}" is already in the pool`);
    }
    this.#byId.set(upstream.id, upstream);
    this.#upstreams.push(upstream);
  }

  #rebuild(): void {
    this.#available = Object.freeze(this.#upstreams.filter((u) => u.available));
  }

  #emit(event: PoolEvent): void {
    for (const listener of this.#listeners) listener(event);
  }
}
