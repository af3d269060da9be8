/**
 * Server-Sent Events of the admin API: upstream changes as they happen and a stats tick.
 *
 * @module
 */

import type { Pool, PoolEvent } from "../pool/mod.ts";
import type { ControlPlane } from "./control_plane.ts";
import {
  type PoolView,
  poolView,
  type RouteView,
  type UpstreamEvent,
  upstreamView,
} from "./views.ts";

const encoder = new TextEncoder();

/** Options of {@linkcode EventHub}. */
export interface EventHubOptions {
  /** Time between `stats` events, ms. @default 1000 */
  tickMs?: number;
}

/**
 * Fans admin events out to every `GET /api/events` client (WHATWG Server-Sent Events): a
 * `snapshot` on connect, an `upstream` event per pool change, and a `stats` tick while at
 * least one client listens. Slow clients are not waited for: each stream buffers what it is
 * sent, and a client that stays behind by more than 256 events is disconnected.
 */
export class EventHub {
  readonly #control: ControlPlane;
  readonly #tickMs: number;
  readonly #clients = new Set<ReadableStreamDefaultController<Uint8Array>>();
  /** The pools listened to, with their names; kept in step with `control.pools`. */
  readonly #subscriptions = new Map<Pool, { name: string; off: () => void }>();
  #ticker: ReturnType<typeof setInterval> | undefined;
  #closed = false;

  /**
   * @param control the running application.
   * @param options tick interval.
   */
  constructor(control: ControlPlane, options: EventHubOptions = {}) {
    this.#control = control;
    this.#tickMs = options.tickMs ?? 1000;
    this.#syncSubscriptions();
  }

  /**
   * Listens to every pool of the control plane (a reload may add or drop pools: checked on
   * connect and at every tick), or to `control.pool` when it lists none.
   */
  #syncSubscriptions(): void {
    const current = new Map<Pool, string>();
    for (const handle of this.#control.pools.values()) current.set(handle.pool, handle.name);
    if (current.size === 0) current.set(this.#control.pool, "default");
    for (const [pool, subscription] of this.#subscriptions) {
      if (current.get(pool) === subscription.name) continue;
      subscription.off();
      this.#subscriptions.delete(pool);
    }
    for (const [pool, name] of current) {
      if (this.#subscriptions.has(pool)) continue;
      const off = pool.onChange((event) => this.#onPoolChange(name, event));
      this.#subscriptions.set(pool, { name, off });
    }
  }

  /** Number of connected clients. */
  get clients(): number {
    return this.#clients.size;
  }

  /**
   * Opens an event stream for one client.
   * @returns a `text/event-stream` response whose body never ends until the client leaves or
   *   {@linkcode close} is called.
   */
  subscribe(): Response {
    let client: ReadableStreamDefaultController<Uint8Array>;
    const body = new ReadableStream<Uint8Array>({
      start: (controller) => {
        client = controller;
        if (this.#closed) {
          controller.close();
          return;
        }
        this.#clients.add(controller);
        this.#syncSubscriptions();
        controller.enqueue(encoder.encode("retry: 2000\n\n"));
        controller.enqueue(this.#frame("snapshot", {
          status: this.#control.status(),
          upstreams: this.#control.pool.list().map(upstreamView),
          ...this.#routing(),
        }));
        this.#ticker ??= setInterval(() => this.#tick(), this.#tickMs);
      },
      cancel: () => this.#drop(client),
    }, { highWaterMark: 256 });
    return new Response(body, {
      headers: {
        "content-type": "text/event-stream",
        "cache-control": "no-store",
        "x-accel-buffering": "no",
      },
    });
  }

  /** Ends every stream and stops listening to the pool (at shutdown). */
  close(): void {
    this.#closed = true;
    for (const subscription of this.#subscriptions.values()) subscription.off();
    this.#subscriptions.clear();
    for (const client of [...this.#clients]) {
      this.#drop(client);
      try {
        client.close();
      } catch { /* already closed by the client */ }
    }
  }

  #onPoolChange(pool: string, event: PoolEvent): void {
    if (this.#clients.size === 0) return;
    const payload: UpstreamEvent = {
      type: event.type,
      at: new Date().toISOString(),
      pool,
      upstream: upstreamView(event.upstream),
    };
    if ("from" in event) {
      payload.from = event.from;
      payload.to = event.to;
    }
    this.#broadcast(this.#frame("upstream", payload));
  }

  #tick(): void {
    this.#syncSubscriptions();
    this.#broadcast(this.#frame("stats", {
      at: new Date().toISOString(),
      status: this.#control.status(),
      upstreams: this.#control.pool.list().map(upstreamView),
      ...this.#routing(),
    }));
  }

  /** Every pool with its totals and upstreams, and the routes with their hits. */
  #routing(): { pools: PoolView[]; routes: RouteView[] } {
    return {
      pools: [...this.#control.pools.values()].map((p) =>
        poolView(p.name, p.strategy.name, p.pool.list())
      ),
      routes: this.#control.routeViews(),
    };
  }

  #broadcast(frame: Uint8Array): void {
    for (const client of this.#clients) {
      if ((client.desiredSize ?? 0) <= 0) {
        this.#drop(client);
        try {
          client.error(new Error("event stream client too slow"));
        } catch { /* gone */ }
        continue;
      }
      client.enqueue(frame);
    }
  }

  #frame(event: string, data: unknown): Uint8Array {
    return encoder.encode(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  }

  #drop(client: ReadableStreamDefaultController<Uint8Array>): void {
    this.#clients.delete(client);
    if (this.#clients.size === 0 && this.#ticker !== undefined) {
      clearInterval(this.#ticker);
      this.#ticker = undefined;
    }
  }
}
