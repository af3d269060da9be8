/**
 * The boundary between client sockets and the middleware chain: a `Listener` accepts client
 * connections, turns each request into a {@linkcode RequestContext} for the handler, writes the
 * handler's response back, and drains on shutdown.
 *
 * @module
 */

/** Counters a listener keeps about its client connections. */
export interface ListenerStats {
  /** Client connections open now (for `ServeListener`, not known: 0). */
  connections: number;
  /** Connections refused at accept because `max_client_connections` was reached. */
  refused: number;
  /** Accept calls that failed with EMFILE/ENFILE (out of file descriptors) and were retried. */
  acceptErrors: number;
  /** Upgrade tunnels (WebSocket) open now. */
  tunnels: number;
}

/**
 * A running client listener. Both implementations feed the same `Handler` (the middleware chain)
 * with a `RequestContext` holding a WHATWG `Request`, and send its `Response`.
 */
export interface Listener {
  /** The bound address (its `port` is the real one when 0 was asked for). */
  readonly addr: Deno.NetAddr;
  /** Resolves when every connection is closed after `shutdown()` (never rejects). */
  readonly finished: Promise<void>;
  /**
   * Graceful stop: no new connections, idle keep-alive connections are closed, requests in
   * flight finish and their connections close after their response.
   * @returns resolves when every connection is closed.
   */
  shutdown(): Promise<void>;
  /** The connection counters. */
  stats(): ListenerStats;
  /**
   * Closes every client connection now, whatever it is doing (after the shutdown grace period).
   * Absent where the hard stop of the requests in flight ends their connections by itself.
   */
  closeAll?(): void;
  /**
   * Serves new TLS connections with another certificate, connections open keep theirs.
   * Present on listeners that terminate TLS.
   * @param tls certificate chain and key, PEM.
   * @throws when the new listener cannot start; the old certificate is then kept.
   */
  replaceCertificate?(tls: { cert: string; key: string }): void;
}
