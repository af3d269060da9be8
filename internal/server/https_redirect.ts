/**
 * The plain-HTTP listener of `tls.redirect_http_port`: every request gets 308 to the same URL
 * on HTTPS (Caddy's automatic HTTP→HTTPS redirect, nginx `return 308 https://$host$request_uri`).
 *
 * @module
 */

import { isValidHost, splitRequestUrl } from "../middleware/mod.ts";
import { type ResilientServer, serveResiliently } from "./resilient_server.ts";

/** Options of {@linkcode startHttpsRedirect}. */
export interface HttpsRedirectOptions {
  /** Address to bind. */
  hostname: string;
  /** Plain-HTTP port to listen on. */
  port: number;
  /** The HTTPS port redirected to; left out of the URL when 443. */
  httpsPort: number;
}

/**
 * Starts the redirect listener. The target is `https://<host><:httpsPort><path?query>`: the
 * host is the request's Host without its port; a request without a valid Host gets 400 (a
 * redirect cannot be built, and Sluice never makes one from a guess).
 * @param options address, port and the HTTPS port.
 * @returns the running server (shut it down with the proxy).
 * @throws {Deno.errors.AddrInUse} when the port is taken.
 */
export function startHttpsRedirect(options: HttpsRedirectOptions): ResilientServer {
  const suffix = options.httpsPort === 443 ? "" : `:${options.httpsPort}`;
  return serveResiliently({
    hostname: options.hostname,
    port: options.port,
    name: "HTTPS redirect",
  }, function redirectToHttps(request) {
    const host = request.headers.get("host");
    if (host === null || !isValidHost(host)) {
      return new Response("400 Bad Request: a Host header is required\n", {
        status: 400,
        headers: { "content-type": "text/plain; charset=utf-8" },
      });
    }
    const { target } = splitRequestUrl(request.url, request.method, host);
    const bracket = host.lastIndexOf("]");
    const colon = host.lastIndexOf(":");
    const name = colon > bracket ? host.slice(0, colon) : host;
    return new Response(null, {
      status: 308,
      headers: { location: `https://${name}${suffix}${target === "*" ? "/" : target}` },
    });
  });
}
