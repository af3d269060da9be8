/**
 * Idle keep-alive connections per upstream (nginx `keepalive`, `keepalive_timeout`,
 * `keepalive_requests`).
 *
 * @module
 */

import type { Http1Connection } from "./connection.ts";

/** Options of {@linkcode ConnectionPool}. */
export interface ConnectionPoolOptions {
  /**
   * Idle connections kept per upstream (nginx `keepalive`, which has no default; HAProxy keeps
   * any number). Below the concurrency a pool churns connections. @default 256
   */
  maxIdlePerUpstream?: number;
  /**
   * Longest idle time, ms, before a pooled connection is closed (nginx upstream
   * `keepalive_timeout`). Shorter than the upstream's own keep-alive timeout, so Sluice closes
   * first: the default is under Node.js's 5 s, the shortest common upstream default.
   * @default 4000
   */
  idleTimeoutMs?: number;
}

/**
 * Idle connections by upstream origin, most recently used first out (so the rest age out),
 * closed when idle past the timeout (one sweep timer for all, every quarter of the timeout),
 * when the upstream closes them or sends anything unasked (a pending read watches each), or when
 * the pool is closed.
 */
export class ConnectionPool {
  readonly #maxIdle: number;
  readonly #idleTimeoutMs: number;
  readonly #idle = new Map<string, Http1Connection[]>();
  #count = 0;
  #timer: ReturnType<typeof setInterval> | undefined;
  #closed = false;
  /** Every pooled connection's idle event: one function, not a closure per put. */
  readonly #onIdleEvent = (conn: Http1Connection) => this.#evict(conn);

  /** @param options limits. */
  constructor(options: ConnectionPoolOptions = {}) {
    this.#maxIdle = options.maxIdlePerUpstream ?? 256;
    this.#idleTimeoutMs = options.idleTimeoutMs ?? 4000;
  }

  /**
   * Whether a connection can ever be pooled: false with `maxIdlePerUpstream` 0 or an idle
   * timeout of 0 (every connection then carries one request: the transport says
   * `Connection: close`, RFC 9112 §9.6).
   */
  get keeps(): boolean {
    return this.#maxIdle > 0 && this.#idleTimeoutMs > 0;
  }

  /** Idle connections held, all upstreams. */
  get idle(): number {
    return this.#count;
  }

  /**
   * Takes the most recently pooled idle connection to `key`.
   * @param key the upstream's origin.
   * @returns a connection, or `undefined` when none is idle.
   */
  take(key: string): Http1Connection | undefined {
    const list = this.#idle.get(key);
    if (list === undefined) return undefined;
    const conn = list.pop();
    if (conn !== undefined) this.#count--;
    return conn;
  }

  /**
   * Pools a connection whose exchange ended cleanly (empty buffer, keep-alive), or closes it
   * when the upstream's list is full, the idle timeout is 0 or the pool is closed.
   * @param conn the connection.
   */
  put(conn: Http1Connection): void {
    if (conn.closed) return;
    let list = this.#idle.get(conn.key);
    if (list === undefined) this.#idle.set(conn.key, list = []);
    if (this.#closed || list.length >= this.#maxIdle || this.#idleTimeoutMs <= 0) {
      conn.close();
      return;
    }
    conn.idleSince = performance.now();
    list.push(conn);
    this.#count++;
    conn.watch(this.#onIdleEvent);
    if (this.#timer === undefined) {
      const every = Math.max(10, Math.floor(this.#idleTimeoutMs / 4));
      const timer = setInterval(() => this.#sweep(), every);
      Deno.unrefTimer(timer);
      this.#timer = timer;
    }
  }

  /** Closes every idle connection and stops the sweep; later `put`s close at once. */
  close(): void {
    this.#closed = true;
    for (const list of this.#idle.values()) for (const conn of list) conn.close();
    this.#idle.clear();
    this.#count = 0;
    this.#stopTimer();
  }

  /** The upstream closed an idle connection, or sent something unasked. */
  #evict(conn: Http1Connection): void {
    const list = this.#idle.get(conn.key);
    const index = list?.indexOf(conn) ?? -1;
    if (index >= 0) {
      list!.splice(index, 1);
      this.#count--;
    }
    conn.close();
  }

  #sweep(): void {
    const oldest = performance.now() - this.#idleTimeoutMs;
    for (const [key, list] of this.#idle) {
      let expired = 0;
      while (expired < list.length && list[expired]!.idleSince <= oldest) {
        list[expired]!.close();
        expired++;
      }
      if (expired > 0) {
        list.splice(0, expired);
        this.#count -= expired;
      }
      if (list.length === 0) this.#idle.delete(key);
    }
    if (this.#count === 0) this.#stopTimer();
  }

  #stopTimer(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
  }
}
