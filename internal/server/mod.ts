/**
 * Client listeners: the {@linkcode Listener} boundary, {@linkcode ServeListener} on
 * `Deno.serve`.
 *
 * @module
 */
export type { Listener, ListenerStats } from "./listener.ts";
export { isUpgradeRequest, ServeListener, type ServeListenerOptions } from "./serve_listener.ts";
export {
  type ResilientServeOptions,
  type ResilientServer,
  serveResiliently,
} from "./resilient_server.ts";
