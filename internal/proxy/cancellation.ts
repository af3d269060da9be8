/**
 * A one-shot cancellation for one upstream request: what `forward` hands the transport instead
 * of an `AbortController`'s signal.
 *
 * @module
 */

/**
 * A client request that tells when its client leaves without an `AbortSignal` (the http1
 * listener's request, whose `signal` and its `AbortController` are made only when read):
 * `forward` asks it instead of adding a listener to `request.signal`.
 */
export interface ClientGoneWatch {
  /** Whether the client has left (what `request.signal.aborted` would say). */
  readonly clientHasGone: boolean;
  /**
   * Cancels `target` with `reason` when the client leaves (at once when it has); never when
   * the client stays.
   * @param target what to cancel.
   * @param reason the reason to cancel it with.
   */
  cancelWhenGone(target: { cancel(reason: unknown): void }, reason: unknown): void;
}

/**
 * The request's {@linkcode ClientGoneWatch}, when it has one.
 * @param request a client's request.
 * @returns the request as a watch, or `undefined` (then read `request.signal`).
 */
export function clientGoneWatch(request: Request): ClientGoneWatch | undefined {
  return typeof (request as Partial<ClientGoneWatch>).cancelWhenGone === "function"
    ? request as unknown as ClientGoneWatch
    : undefined;
}

/** What a {@linkcode Cancellation} closes when it is cancelled: a connection, or an adapter. */
export interface Closable {
  /** Closes (aborts) it; must not throw. */
  close(): void;
}

/**
 * A cancellation with one slot for the resource it closes, and none of `AbortSignal`'s event
 * machinery. `forward` makes one per attempt and cancels it when the client leaves, at shutdown
 * or at the header timeout; the transport puts the connection it sends on into the slot for the
 * exchange and takes it out when the exchange ends.
 *
 * Why not an `AbortController`: with one per request, linked to the client's and the shutdown
 * signal by listeners and watched by the transport with another, the `addEventListener` /
 * `removeEventListener` pairs on `AbortSignal`s (Deno's `EventTarget`, in JavaScript) cost
 * about 5% of the proxy's CPU per request (Deno 2.9.6, profile of the defaults); the slot costs
 * two field writes.
 */
export class Cancellation {
  #aborted = false;
  #reason: unknown = undefined;
  #target: Closable | undefined = undefined;

  /** Whether {@linkcode cancel} was called. */
  get aborted(): boolean {
    return this.#aborted;
  }

  /** The reason given to {@linkcode cancel}; `undefined` before. */
  get reason(): unknown {
    return this.#reason;
  }

  /**
   * Cancels: records `reason` and closes the resource in the slot, if any. Later calls do
   * nothing (the first reason stays).
   * @param reason why: thrown by the transport as the request's failure.
   */
  cancel(reason: unknown): void {
    if (this.#aborted) return;
    this.#aborted = true;
    this.#reason = reason;
    const target = this.#target;
    this.#target = undefined;
    target?.close();
  }

  /**
   * Puts `target` in the slot: a later {@linkcode cancel} closes it. Replaces what was there; a
   * cancellation that already happened does not close it (check {@linkcode aborted} first, as
   * with an `AbortSignal` listener added late).
   * @param target what to close, or `undefined` to empty the slot.
   */
  closeOnCancel(target: Closable | undefined): void {
    this.#target = target;
  }

  /**
   * A cancellation that follows `signal` (one listener, left on it): for callers that hold an
   * `AbortSignal`.
   * @param signal the signal to follow.
   * @returns a cancellation cancelled with `signal.reason` when `signal` aborts (at once when it
   *   already has).
   */
  static following(signal: AbortSignal): Cancellation {
    const cancellation = new Cancellation();
    if (signal.aborted) cancellation.cancel(signal.reason);
    else signal.addEventListener("abort", () => cancellation.cancel(signal.reason), { once: true });
    return cancellation;
  }

  /**
   * An `AbortSignal` that aborts with this cancellation's reason, for an API that takes one
   * (fetch). Takes the slot for good.
   * @returns the signal (already aborted when this is).
   */
  toSignal(): AbortSignal {
    const controller = new AbortController();
    if (this.#aborted) controller.abort(this.#reason);
    else this.closeOnCancel({ close: () => controller.abort(this.#reason) });
    return controller.signal;
  }
}
