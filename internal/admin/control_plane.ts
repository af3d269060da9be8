/**
 * What the admin server needs from the running application.
 *
 * @module
 */

import type { Pool, Upstream } from "../pool/mod.ts";
import type { RouteView, StatusView } from "./views.ts";

/** A running pool as the admin server sees it. */
export interface PoolHandle {
  /** The pool's name. */
  readonly name: string;
  /** Its upstreams. */
  readonly pool: Pool;
  /** Its strategy (the name is shown). */
  readonly strategy: { readonly name: string };
}

/** An upstream to add at run time (`POST /api/upstreams`). */
export interface NewUpstream {
  /** An http(s) origin. */
  url: string;
  /** Display name; defaults to the URL's host. */
  name?: string;
  /** Integer >= 1. @default 1 */
  weight?: number;
}

/** What a configuration reload changed. */
export interface ReloadOutcome {
  /** The file that was read. */
  file: string;
  /** One line per change applied, e.g. `"added upstream 127.0.0.1:9004"`. */
  applied: string[];
  /** Settings that changed in the file but need a restart, e.g. `"port"`. */
  restartRequired: string[];
}

/**
 * The running application as the admin server sees it. `App` implements it; tests may fake it.
 */
export interface ControlPlane {
  /** The pool `default` (read by `/api/upstreams`, changed through the methods below). */
  readonly pool: Pool;
  /** Every running pool by name, in configuration order (`/api/pools`). */
  readonly pools: ReadonlyMap<string, PoolHandle>;
  /** The routes in force, first match first, with their hit counts (`/api/routes`). */
  routeViews(): RouteView[];
  /** Readiness: at least one available upstream and not shutting down. */
  ready(): boolean;
  /** Version, uptime, strategy and totals. */
  status(): StatusView;
  /** The running configuration in the file's shape, secrets redacted. */
  redactedConfig(): Record<string, unknown>;
  /**
   * Adds an upstream that takes traffic after its first passing health check.
   * @throws {TypeError} when the URL is not an http(s) origin or the weight is invalid.
   * @throws {RangeError} when an upstream with this URL exists.
   */
  addUpstream(input: NewUpstream): Upstream;
  /**
   * Starts draining an upstream; it is removed once its in-flight requests have finished.
   * @returns false when the id is unknown.
   */
  removeUpstream(id: string): boolean;
  /**
   * Adds an upstream to a pool (see `addUpstream`).
   * @throws {TypeError} when the URL is not an http(s) origin or the weight is invalid.
   * @throws {RangeError} when the pool does not exist or has an upstream with this URL.
   */
  addUpstreamTo(pool: string, input: NewUpstream): Upstream;
  /**
   * Drains and removes an upstream of a pool.
   * @returns false when the pool or the id is unknown.
   */
  removeUpstreamFrom(pool: string, id: string): boolean;
  /**
   * Re-reads the configuration file and applies it without dropping in-flight requests.
   * @throws {ConfigError} listing every problem; nothing is changed then.
   * @throws {Error} when Sluice was started without a config file.
   */
  reload(): Promise<ReloadOutcome>;
  /** The Prometheus exposition of every metric. */
  metrics(): Promise<{ contentType: string; body: string }>;
}
