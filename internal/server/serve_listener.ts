/**
 * The proxy's listener on `Deno.serve` (hyper): HTTP/1.1 today, TLS with HTTP/2 later. It has no
 * client header, body or idle timeout and no connection cap (denoland/deno#3515): see
 * `Http1Listener` for those.
 *
 * @module
 */

import { getLogger } from "@logtape/logtape";
import { createContext, type Handler } from "../middleware/mod.ts";
import type { Listener, ListenerStats } from "./listener.ts";

const logger = getLogger(["sluice", "server"]);

/** Options of {@linkcode ServeListener}. */
export interface ServeListenerOptions {
  /** Address to bind, e.g. `"0.0.0.0"` or `"127.0.0.1"`. */
  hostname: string;
  /** TCP port, 0 for any free one. */
  port: number;
}

const UPGRADE_REFUSED =
  "501 Not Implemented: protocol upgrades (WebSocket) need the HTTP/1.1 listener " +
  "(--listener http1, SLUICE_LISTENER=http1 or listener: http1)\n";

/**
 * A {@linkcode Listener} on `Deno.serve`. A handler that throws despite the `recover`
 * middleware gets a plain 500. Requests asking for a protocol upgrade (`Upgrade` in
 * `Connection`) get 501 naming the `--listener http1` option: tunnelling them needs the raw
 * client socket, which this listener does not expose.
 */
export class ServeListener implements Listener {
  readonly #server: Deno.HttpServer<Deno.NetAddr>;
  #fallbackAuthority: string | undefined;

  /**
   * Binds and starts serving.
   * @param handler the composed middleware chain.
   * @param options address and port.
   * @throws {Deno.errors.AddrInUse} when the port is taken.
   * @throws {Deno.errors.NotCapable} when `--allow-net` does not cover the address.
   */
  constructor(handler: Handler, options: ServeListenerOptions) {
    this.#server = Deno.serve({
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
    }, (request, info) => {
      if (request.headers.has("upgrade") && isUpgradeRequest(request.headers)) {
        return new Response(UPGRADE_REFUSED, {
          status: 501,
          headers: { "content-type": "text/plain; charset=utf-8" },
        });
      }
      return handler(
        createContext(request, info.remoteAddr.hostname, {
          completed: info.completed,
          // What Deno.serve puts in Request.url when a request has no Host header.
          fallbackAuthority: this.#fallbackAuthority ??= `localhost:${this.#server.addr.port}`,
        }),
      );
    });
  }

  /** @inheritdoc */
  get addr(): Deno.NetAddr {
    return this.#server.addr;
  }

  /** @inheritdoc */
  get finished(): Promise<void> {
    return this.#server.finished;
  }

  /** @inheritdoc */
  shutdown(): Promise<void> {
    return this.#server.shutdown();
  }

  /** @inheritdoc */
  stats(): ListenerStats {
    return { connections: 0, refused: 0, acceptErrors: 0, tunnels: 0 };
  }
}

/**
 * Whether `Connection` lists the `upgrade` option (RFC 9110 §7.8: an `Upgrade` header only
 * counts when `Connection` names it).
 * @param headers the request's headers.
 * @returns true for an upgrade request.
 */
export function isUpgradeRequest(headers: Headers): boolean {
  const connection = headers.get("connection");
  if (connection === null || !headers.has("upgrade")) return false;
  for (const option of connection.split(",")) {
    if (option.trim().toLowerCase() === "upgrade") return true;
  }
  return false;
}
