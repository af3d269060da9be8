/**
 * The proxy's listener on `Deno.serve` (hyper): HTTP/1.1, or with TLS HTTP/2 and HTTP/1.1 by
 * ALPN. It has no
 * client header, body or idle timeout and no connection cap (denoland/deno#3515): see
 * `Http1Listener` for those.
 *
 * @module
 */

import { getLogger } from "@logtape/logtape";
import { createContext, type Handler } from "../middleware/mod.ts";
import { isUpgradeRequest, realResponse } from "../proxy/mod.ts";
import type { Listener, ListenerStats } from "./listener.ts";
import { type ResilientServer, serveResiliently } from "./resilient_server.ts";

const logger = getLogger(["sluice", "server"]);

/** Options of {@linkcode ServeListener}. */
export interface ServeListenerOptions {
  /** Address to bind, e.g. `"0.0.0.0"` or `"127.0.0.1"`. */
  hostname: string;
  /** TCP port, 0 for any free one. */
  port: number;
  /**
   * Called each time accepting a connection failed (EMFILE…); the listener accepts again after
   * a back-off (see `serveResiliently`). Must not throw.
   */
  onAcceptError?: (error: unknown) => void;
  /** Certificate chain and key (PEM): HTTPS with HTTP/2 and HTTP/1.1. @default plain HTTP */
  tls?: { cert: string; key: string } | undefined;
}

const UPGRADE_REFUSED =
  "501 Not Implemented: protocol upgrades (WebSocket) need the HTTP/1.1 listener " +
  "(--listener http1, SLUICE_LISTENER=http1 or listener: http1)\n";

/**
 * A {@linkcode Listener} on `Deno.serve`. A handler that throws despite the `recover`
 * middleware gets a plain 500. Requests asking for a protocol upgrade (`Upgrade` in
 * `Connection`) get 501 naming the `--listener http1` option: tunnelling them needs the raw
 * client socket, which this listener does not expose.
 *
 * Never exits on EMFILE: `Deno.serve`'s accept loop ends at the first failure to accept and
 * would crash the process with an unhandled rejection; `serveResiliently` logs it, counts it
 * (`stats().acceptErrors`, `onAcceptError`) and listens again, the open connections still
 * served.
 */
export class ServeListener implements Listener {
  readonly #server: ResilientServer;
  #acceptErrors = 0;
  #fallbackAuthority: string | undefined;

  /**
   * Binds and starts serving.
   * @param handler the composed middleware chain.
   * @param options address and port.
   * @throws {Deno.errors.AddrInUse} when the port is taken.
   * @throws {Deno.errors.NotCapable} when `--allow-net` does not cover the address.
   */
  constructor(handler: Handler, options: ServeListenerOptions) {
    const onAcceptError = options.onAcceptError;
    const protocol = options.tls ? "https" : "http";
    this.#server = serveResiliently({
      hostname: options.hostname,
      port: options.port,
      name: "proxy",
      ...(options.tls ? { tls: options.tls } : {}),
      onAcceptError: (error) => {
        this.#acceptErrors++;
        onAcceptError?.(error);
      },
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
      // Deno.serve takes only a WHATWG Response: a transport's FieldResponse makes its own.
      return handler(
        createContext(request, info.remoteAddr.hostname, {
          completed: info.completed,
          protocol,
          // What Deno.serve puts in Request.url when a request has no Host header.
          fallbackAuthority: this.#fallbackAuthority ??= `localhost:${this.#server.addr.port}`,
        }),
      ).then(realResponse);
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
  replaceCertificate(tls: { cert: string; key: string }): void {
    this.#server.replaceCertificate(tls);
  }

  /** @inheritdoc */
  stats(): ListenerStats {
    return { connections: 0, refused: 0, acceptErrors: this.#acceptErrors, tunnels: 0 };
  }
}
