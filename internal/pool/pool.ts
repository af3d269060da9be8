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
  | { type: "weight"; upstream: Upstream; from: number; to: number }
  | { type: "ejection"; upstream: Upstream; ejected: boolean };

/** Listener for {@linkcode PoolEvent}s; called synchronously, must not throw. */
export type PoolListener = (event: PoolEvent) => void;

/** Options of {@linkcode Pool}. */
export interface PoolOptions {
  /**
   * Slow start window, ms: an upstream that becomes available (back up, back from an ejection,
   * back to `ready`, or added) ramps from 10% to 100% of its weight over it. 0 turns it off.
   * Upstreams present at construction start at full weight.
   * @default 0
   */
  slowStartMs?: number;
  /** Monotonic clock of slow starts, ms. @default performance.now */
  now?: () => number;
}

/** Longest and shortest time between two steps of a slow start ramp, ms. */
const RAMP_STEP_MAX_MS = 1000;
const RAMP_STEP_MIN_MS = 10;
/** Steps of a ramp over its window (1% each, while within the bounds above). */
const RAMP_STEPS = 100;

/**
 * Upstream membership and state. Reads on the request path are `available()`, which returns a
 * frozen array that is replaced (never mutated) only when membership, health, admin state,
 * ejection or weight change, so selecting an upstream allocates nothing.
 *
 * Slow start (Envoy `slow_start_config`, nginx `slow_start`): when an upstream joins the
 * available set after construction, and `slowStartMs` is on, its
 * {@linkcode Upstream.effectiveWeight} ramps linearly from 10% to 100% of its weight over the
 * window. A timer moves the ramps in 1% steps (at most one step per 10 ms, at least one per
 * second) while any is in progress, so strategies read a plain number and no clock. Only
 * weighted strategies (weighted round robin, least connections, power of two choices, least
 * time) read it, as in Envoy; round robin, random and hashing do not. A slow start is relative:
 * when every upstream ramps at once, as all do after an outage, shares do not change.
 */
export class Pool {
  #upstreams: Upstream[] = [];
  #byId = new Map<string, Upstream>();
  #available: readonly Upstream[] = Object.freeze([]);
  #listeners = new Set<PoolListener>();
  #slowStartMs = 0;
  readonly #now: () => number;
  #rampTimer: ReturnType<typeof setTimeout> | undefined;

  /**
   * @param specs upstreams present at start-up.
   * @param options slow start window and clock.
   * @throws {RangeError} when two specs share an id, or `slowStartMs` is negative.
   */
  constructor(specs: Iterable<UpstreamSpec> = [], options: PoolOptions = {}) {
    this.#now = options.now ?? (() => performance.now());
    for (const spec of specs) this.#insert(new Upstream(spec));
    this.#rebuild();
    this.setSlowStart(options.slowStartMs ?? 0);
  }

  /** Slow start window, ms; 0 when off. */
  get slowStartMs(): number {
    return this.#slowStartMs;
  }

  /**
   * Sets the slow start window for upstreams that become available from now on; ramps in
   * progress keep theirs, except that 0 ends them all at full weight.
   * @param ms window, ms; 0 turns slow start off.
   * @throws {RangeError} when `ms` is negative or not finite.
   */
  setSlowStart(ms: number): void {
    if (!(ms >= 0) || !Number.isFinite(ms)) {
      throw new RangeError(`slowStartMs must be 0 or more: current value is ${ms}`);
    }
    this.#slowStartMs = ms;
    if (ms === 0) this.#endSlowStarts();
  }

  /**
   * Ends slow starts in progress (at full weight) and stops their timer; call at shutdown.
   * Slow start stays configured for upstreams that become available later.
   */
  close(): void {
    this.#endSlowStarts();
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
   * The upstreams a strategy may choose from, in pool order: health not `down`, admin state
   * `ready`, not ejected. The same frozen array is returned until something changes.
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
   * Ejects an upstream (passive health checks, outlier detection) or brings it back. Only
   * the ejected flag changes availability; a new `until` for an upstream that stays ejected just
   * replaces the time shown. Counts ejections in `upstream.ejectionsTotal`.
   * @param id upstream id; unknown ids are ignored.
   * @param until when the ejection ends, ms since the epoch (for display: the caller ends it);
   *   `null` brings the upstream back.
   * @returns false when the id is unknown.
   */
  setEjected(id: string, until: number | null): boolean {
    const upstream = this.#byId.get(id);
    if (!upstream) return false;
    const wasEjected = upstream.ejectedUntil !== null;
    upstream.ejectedUntil = until;
    if (wasEjected === (until !== null)) return true;
    if (until !== null) upstream.ejectionsTotal++;
    this.#rebuild();
    this.#emit({ type: "ejection", upstream, ejected: until !== null });
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
    const previous = this.#available;
    this.#available = Object.freeze(this.#upstreams.filter((u) => u.available));
    if (this.#slowStartMs > 0) this.#startSlowStarts(previous);
  }

  /** Starts a slow start for each upstream available now that was not in `previous`. */
  #startSlowStarts(previous: readonly Upstream[]): void {
    let before: Set<Upstream> | undefined;
    const now = this.#now();
    for (const upstream of this.#available) {
      before ??= new Set(previous);
      if (before.has(upstream)) continue;
      upstream.startSlowStart(now, this.#slowStartMs);
      this.#rampTimer ??= setTimeout(() => this.#advanceSlowStarts(), this.#rampStepMs());
    }
  }

  #advanceSlowStarts(): void {
    this.#rampTimer = undefined;
    const now = this.#now();
    let ramping = false;
    for (const upstream of this.#upstreams) {
      if (upstream.slowStarting && upstream.advanceSlowStart(now)) ramping = true;
    }
    if (ramping) this.#rampTimer = setTimeout(() => this.#advanceSlowStarts(), this.#rampStepMs());
  }

  #rampStepMs(): number {
    const step = this.#slowStartMs / RAMP_STEPS;
    return step < RAMP_STEP_MIN_MS
      ? RAMP_STEP_MIN_MS
      : step > RAMP_STEP_MAX_MS
      ? RAMP_STEP_MAX_MS
      : Math.round(step);
  }

  #endSlowStarts(): void {
    clearTimeout(this.#rampTimer);
    this.#rampTimer = undefined;
    for (const upstream of this.#upstreams) {
      if (upstream.slowStarting) upstream.advanceSlowStart(Infinity);
    }
  }

  #emit(event: PoolEvent): void {
    for (const listener of this.#listeners) listener(event);
  }
}
