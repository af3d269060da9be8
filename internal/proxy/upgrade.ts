/**
 * Protocol upgrades (WebSocket, RFC 6455; RFC 9110 §7.8): the request is forwarded with its
 * `Connection: upgrade` and `Upgrade` headers through `Transport.upgrade`; on `101 Switching
 * Protocols` the upstream's raw socket is handed to the listener, which tunnels bytes both ways.
 *
 * @module
 */

import type { Strategy } from "../balancer/mod.ts";
import { describeNetworkError, isConnectFailure } from "../health/mod.ts";
import type { Handler, RequestContext, ResponseOutcome } from "../middleware/context.ts";
import type { Pool } from "../pool/mod.ts";
import {
  ClientClosedError,
  NotImplementedError,
  NoUpstreamError,
  UpstreamConnectError,
  UpstreamError,
  UpstreamTimeoutError,
} from "./errors.ts";
import { upstreamRequestHeaders } from "./headers.ts";
import type { Transport } from "./transport.ts";

/** The upstream end of an accepted upgrade, for the listener to tunnel to. */
export interface TunnelEnd {
  /** The raw upstream connection; the listener owns it and must close it. */
  readonly socket: Deno.Conn;
  /** Bytes the upstream sent after its 101 head, to relay to the client first. */
  readonly head: Uint8Array;
  /**
   * Call once when the tunnel has closed: releases the upstream's in-flight count and settles
   * `ctx.responseDone`.
   * @param outcome bytes relayed to the client, and whether the client left first.
   */
  end(outcome: ResponseOutcome): void;
}

const tunnels = new WeakMap<Response, TunnelEnd>();

/**
 * The tunnel of a 101 response from {@linkcode createUpgradeHandler}, taken once.
 * @param response a response the handler chain returned.
 * @returns the upstream end, or `undefined` for any other response.
 */
export function takeTunnel(response: Response): TunnelEnd | undefined {
  const tunnel = tunnels.get(response);
  tunnels.delete(response);
  return tunnel;
}

/**
 * Whether `Connection` lists the `upgrade` option and an `Upgrade` header is present (RFC 9110
 * §7.8: an `Upgrade` header only counts when `Connection` names it).
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

/** Options of {@linkcode createUpgradeHandler}. */
export interface UpgradeHandlerOptions {
  /** The upstreams. */
  pool: Pool;
  /** Picks an upstream, as for any request (a sticky pin first, when available). */
  strategy: Strategy;
  /** Sends the upgrade request; without `upgrade`, upgrades get 501. */
  transport: Transport;
  /** Longest wait for the upstream's answer to the upgrade request, ms. */
  timeoutMs: number;
  /** Keep the client's `Host`. */
  preserveHost: boolean;
  /** Aborted when shutdown's grace period ends. */
  shutdownSignal: AbortSignal;
}

/**
 * The innermost handler for upgrade requests (see {@linkcode isUpgradeRequest}): one attempt,
 * no retry (the upstream may have switched protocols). A 101 answer is returned with its
 * upstream socket registered for {@linkcode takeTunnel}; `ctx.responseDone` settles when the
 * tunnel closes, so a tunnel counts as a request in flight. Any other answer is returned as it
 * is (a refused handshake).
 * @param options pool, strategy, transport and timeouts.
 * @returns the handler.
 * @throws {NotImplementedError} (from the handler) when the transport cannot upgrade.
 * @throws {NoUpstreamError} when no upstream is available.
 * @throws {UpstreamConnectError}, {UpstreamTimeoutError}, {UpstreamError} as `forward` does.
 */
export function createUpgradeHandler(options: UpgradeHandlerOptions): Handler {
  const { pool, strategy, transport } = options;
  return async function upgradeHandler(ctx: RequestContext): Promise<Response> {
    if (transport.upgrade === undefined) {
      throw new NotImplementedError(
        "protocol upgrades (WebSocket) need the HTTP/1.1 transport (--transport http1)",
      );
    }
    const available = pool.available();
    const pinned = ctx.pinned;
    const upstream = pinned !== undefined && available.includes(pinned)
      ? pinned
      : strategy.select(available, ctx);
    if (upstream === undefined) throw new NoUpstreamError(pool.size);
    ctx.upstream = upstream;
    ctx.attempts = 1;
    const request = ctx.request;
    const headers = upstreamRequestHeaders(ctx.headerFields ?? request.headers, {
      clientAddress: ctx.clientAddress,
      clientIp: ctx.clientIp,
      protocol: ctx.protocol,
      requestId: ctx.requestId,
      preserveHost: options.preserveHost,
      authority: ctx.authority,
    });
    headers.push(["connection", "upgrade"], ["upgrade", request.headers.get("upgrade")!]);
    const controller = new AbortController();
    const onClientClosed = () => controller.abort(new ClientClosedError());
    request.signal.addEventListener("abort", onClientClosed, { once: true });
    const onShutdown = () => controller.abort(new UpstreamError(upstream.name, "shutting down"));
    options.shutdownSignal.addEventListener("abort", onShutdown, { once: true });
    const timer = setTimeout(
      () => controller.abort(new UpstreamTimeoutError(upstream.name, options.timeoutMs)),
      options.timeoutMs,
    );
    upstream.acquire();
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      upstream.release();
    };
    try {
      const result = await transport.upgrade({
        url: upstream.url + ctx.target,
        method: request.method,
        headers,
        body: null,
        signal: controller.signal,
      });
      if (result.socket === null) {
        // The upstream refused the upgrade: an ordinary answer.
        ctx.completed.then(release, release);
        return result.response;
      }
      const { promise, resolve } = Promise.withResolvers<ResponseOutcome>();
      ctx.responseDone = promise;
      tunnels.set(result.response, {
        socket: result.socket,
        head: result.head,
        end(outcome) {
          release();
          resolve(outcome);
        },
      });
      return result.response;
    } catch (error) {
      release();
      if (controller.signal.aborted && controller.signal.reason instanceof Error) {
        throw controller.signal.reason;
      }
      if (isConnectFailure(error)) {
        throw new UpstreamConnectError(upstream.name, describeNetworkError(error), {
          cause: error,
        });
      }
      throw new UpstreamError(upstream.name, describeNetworkError(error), { cause: error });
    } finally {
      clearTimeout(timer);
      request.signal.removeEventListener("abort", onClientClosed);
      options.shutdownSignal.removeEventListener("abort", onShutdown);
    }
  };
}
