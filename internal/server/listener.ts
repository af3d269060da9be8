/**
 * The proxy's HTTP listener on `Deno.serve`.
 *
 * @module
 */

import { getLogger } from "@logtape/logtape";
import { createContext, type Handler } from "../middleware/mod.ts";

const logger = getLogger(["sluice", "server"]);

/** Options of {@linkcode listen}. */
export interface ListenOptions {
  /** Address to bind, e.g. `"0.0.0.0"` or `"127.0.0.1"`. */
  hostname: string;
  /** TCP port, 0 for any free one. */
  port: number;
}

/**
 * Starts an HTTP/1.1 listener that builds a {@linkcode RequestContext} per request and hands
 * it to `handler`. A handler that throws despite the `recover` middleware gets a plain 500.
 * Stop it with `server.shutdown()` (graceful) — see `App`.
 * @param handler the composed middleware chain.
 * @param options address and port.
 * @returns the running server; its `addr` has the bound port.
 * @throws {Deno.errors.AddrInUse} when the port is taken.
 * @throws {Deno.errors.NotCapable} when `--allow-net` does not cover the address.
 */
export function listen(handler: Handler, options: ListenOptions): Deno.HttpServer<Deno.NetAddr> {
  let fallbackAuthority: string | undefined;
  const server: Deno.HttpServer<Deno.NetAddr> = Deno.serve({
    hostname: options.hostname,
    port: options.port,
    onListen() {},
    onError(error) {
      logger.error("Unhandled error in the request handler: {error}", { error });
      return new Response("500 Internal Server Error\n", {
        status: 500,
        headers: { "content-type": "text/plain; charset=utf-8" },
      });
    },
  }, (request, info) =>
    handler(
      createContext(request, info.remoteAddr.hostname, {
        completed: info.completed,
        // What Deno.serve puts in Request.url when a request has no Host header.
        fallbackAuthority: fallbackAuthority ??= `localhost:${server.addr.port}`,
      }),
    ));
  return server;
}
