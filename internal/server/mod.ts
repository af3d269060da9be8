/**
 * Client listeners: the {@linkcode Listener} boundary, {@linkcode ServeListener} on
 * `Deno.serve`, {@linkcode Http1Listener} on `Deno.listen`.
 *
 * @module
 */
export type { Listener, ListenerStats } from "./listener.ts";
export { Http1Listener, type Http1ListenerOptions } from "./http1_listener.ts";
export { ServeListener, type ServeListenerOptions } from "./serve_listener.ts";
export {
  type ResilientServeOptions,
  type ResilientServer,
  serveResiliently,
} from "./resilient_server.ts";
export { type HttpsRedirectOptions, startHttpsRedirect } from "./https_redirect.ts";
