/**
 * The admin server: JSON API, Kubernetes probes, Prometheus metrics, the event stream and the
 * dashboard, on its own listener.
 *
 * @module
 */

import { getLogger } from "@logtape/logtape";
import { ConfigError } from "../config/mod.ts";
import { timingSafeEqual } from "../middleware/mod.ts";
import { type Access, isAuthorized, presentedToken } from "./auth.ts";
import { hostAllowed, isJsonContentType, originAllowed } from "./request_guard.ts";
import type { ControlPlane } from "./control_plane.ts";
import { EventHub } from "./events.ts";
import { jsonResponse, problemResponse } from "./problem.ts";
import {
  parseNewUpstream,
  parseUpstreamPatch,
  readJsonObject,
  type ReadResult,
} from "./request_body.ts";
import { poolView, upstreamView } from "./views.ts";
import { serveResiliently } from "../server/mod.ts";

const logger = getLogger(["sluice", "admin"]);

/** A static file of the dashboard. */
export interface StaticAsset {
  contentType: string;
  body: string;
}

/** Options of {@linkcode startAdminServer}. */
export interface AdminServerOptions {
  /** Address to bind. */
  hostname: string;
  /** Port, 0 for any free one. */
  port: number;
  /** Bearer token required for changes (and for reads from non-loopback clients). */
  token: string | undefined;
  /**
   * `Host` values accepted from requests without the token besides `localhost`, `127.0.0.1` and
   * `[::1]` with the admin port (`admin.allowed_hosts`): `name` or `name:port`. @default none
   */
  allowedHosts?: readonly string[];
  /** Dashboard files by path (`/`, `/dashboard.js`, …). @default none */
  assets?: ReadonlyMap<string, StaticAsset>;
  /** Interval of the `stats` event, ms. @default 1000 */
  tickMs?: number;
}

/** The running admin server. */
export interface AdminServer {
  /** Bound address. */
  readonly addr: Deno.NetAddr;
  /** Ends event streams, stops accepting and waits for open requests. */
  shutdown(): Promise<void>;
}

/** What the path of a request names: a pool (`default` for `/api/upstreams`) and an id. */
interface PathParams {
  pool: string;
  id: string | undefined;
}

interface Route {
  access: Access;
  handle: (request: Request, params: PathParams) => Promise<Response> | Response;
}

const DASHBOARD_HEADERS = {
  "content-security-policy":
    "default-src 'self'; img-src 'self' data:; base-uri 'none'; frame-ancestors 'none'; form-action 'self'",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "cache-control": "no-cache",
};

/**
 * Starts the admin server (HAProxy's runtime API + stats page, Traefik's API + dashboard):
 *
 * | route | what |
 * | --- | --- |
 * | `GET /healthz` | liveness: 200 while the process serves |
 * | `GET /readyz` | readiness: 200 with an available upstream and not shutting down, else 503 and why (shutting down, none configured, none available) |
 * | `GET /metrics` | Prometheus text format |
 * | `GET /api/status`, `GET /api/config` | version, uptime, totals; running config (redacted) |
 * | `GET /api/pools` | every pool: strategy, totals, upstreams |
 * | `GET /api/routes` | the routes in match order, with hit counts |
 * | `GET /api/pools/{pool}/upstreams`, `GET /api/pools/{pool}/upstreams/{id}` | upstream views |
 * | `POST /api/pools/{pool}/upstreams` | add `{url, name?, weight?}` |
 * | `PATCH /api/pools/{pool}/upstreams/{id}` | `{state?, weight?}` |
 * | `DELETE /api/pools/{pool}/upstreams/{id}` | drain, then remove (202) |
 * | `/api/upstreams`, `/api/upstreams/{id}` | the same, for the pool `default` |
 * | `POST /api/config/reload` | re-read the config file |
 * | `GET /api/events` | Server-Sent Events |
 * | `GET /` | the dashboard |
 *
 * Changes need `Authorization: Bearer <token>` when a token is set (compared in constant time);
 * reads are open to loopback clients and need the token from anywhere else, except the probes
 * `/healthz` and `/readyz`, open to all (Kubernetes probes carry no token). Against DNS
 * rebinding and cross-site requests (Caddy's admin endpoint checks Host and Origin too): a
 * request without a valid token needs a loopback `Host` with the admin port or one of
 * `allowedHosts` (else 403; probes excepted); every change (POST, PATCH, DELETE) needs
 * `Content-Type: application/json` (else 415) and no `Origin` or the server's own (else 403).
 * Errors are RFC 9457 `application/problem+json`.
 * @param control the running application.
 * @param options address, token, dashboard files.
 * @returns the running server.
 * @throws {Deno.errors.AddrInUse} when the port is taken.
 */
export function startAdminServer(control: ControlPlane, options: AdminServerOptions): AdminServer {
  const hub = new EventHub(control, options.tickMs === undefined ? {} : { tickMs: options.tickMs });
  const assets = options.assets ?? new Map<string, StaticAsset>();
  const token = options.token;

  const upstreamNotFound = (id: string) =>
    problemResponse({
      title: "Upstream not found",
      status: 404,
      detail: `no upstream has the id "${id}"`,
    });
  const poolNotFound = (pool: string) =>
    problemResponse({
      title: "Pool not found",
      status: 404,
      detail: `there is no pool "${pool}"`,
    });
  /** The pool a path names; the pool `default` of `/api/upstreams` is `control.pool`. */
  const poolNamed = (name: string) => control.pools.get(name)?.pool;
  const refused = (result: Extract<ReadResult<unknown>, { ok: false }>) =>
    problemResponse({
      title: result.status === 400 ? "Invalid request body" : "Request body refused",
      status: result.status,
      detail: result.detail,
      ...(result.problems ? { "invalid-params": result.problems } : {}),
    });

  const routes = new Map<string, Route>([
    ["GET /healthz", { access: "probe", handle: () => text(200, "ok\n") }],
    ["GET /readyz", {
      access: "probe",
      handle: () => {
        const status = control.status();
        if (status.ready) return text(200, "ready\n");
        const why = status.shuttingDown
          ? "shutting down"
          : status.upstreams.total === 0
          ? "no upstream is configured (start with --backends URL[,URL...] or add one with POST /api/upstreams)"
          : "no upstream is available";
        return text(503, `not ready: ${why}\n`);
      },
    }],
    ["GET /metrics", {
      access: "read",
      handle: async () => {
        const { contentType, body } = await control.metrics();
        return new Response(body, { headers: { "content-type": contentType } });
      },
    }],
    ["GET /api/status", { access: "read", handle: () => jsonResponse(control.status()) }],
    ["GET /api/config", { access: "read", handle: () => jsonResponse(control.redactedConfig()) }],
    ["GET /api/events", { access: "read", handle: () => hub.subscribe() }],
    ["GET /api/pools", {
      access: "read",
      handle: () =>
        jsonResponse(
          [...control.pools.values()].map((p) => poolView(p.name, p.strategy.name, p.pool.list())),
        ),
    }],
    ["GET /api/routes", { access: "read", handle: () => jsonResponse(control.routeViews()) }],
    ["GET {pool}/upstreams", {
      access: "read",
      handle: (_request, { pool: name }) => {
        const pool = poolNamed(name);
        return pool ? jsonResponse(pool.list().map(upstreamView)) : poolNotFound(name);
      },
    }],
    ["GET {pool}/upstreams/{id}", {
      access: "read",
      handle: (_request, { pool: name, id }) => {
        const pool = poolNamed(name);
        if (!pool) return poolNotFound(name);
        const upstream = pool.get(id!);
        return upstream ? jsonResponse(upstreamView(upstream)) : upstreamNotFound(id!);
      },
    }],
    ["POST {pool}/upstreams", {
      access: "write",
      handle: async (request, { pool: name }) => {
        if (!poolNamed(name)) return poolNotFound(name);
        const body = await readJsonObject(request);
        if (!body.ok) return refused(body);
        const input = parseNewUpstream(body.value);
        if (!input.ok) return refused(input);
        try {
          const upstream = control.addUpstreamTo(name, input.value);
          logger.info("Upstream {upstream} added to the pool {pool} through the admin API", {
            upstream: upstream.name,
            pool: name,
            url: upstream.url,
          });
          const response = jsonResponse(upstreamView(upstream), 201);
          response.headers.set("location", upstreamPath(request, name, upstream.id));
          return response;
        } catch (error) {
          const status = error instanceof RangeError ? 409 : 400;
          return problemResponse({
            title: status === 409 ? "Upstream exists" : "Invalid upstream",
            status,
            detail: (error as Error).message,
          });
        }
      },
    }],
    ["PATCH {pool}/upstreams/{id}", {
      access: "write",
      handle: async (request, { pool: name, id }) => {
        const pool = poolNamed(name);
        if (!pool) return poolNotFound(name);
        if (!pool.get(id!)) return upstreamNotFound(id!);
        const body = await readJsonObject(request);
        if (!body.ok) return refused(body);
        const patch = parseUpstreamPatch(body.value);
        if (!patch.ok) return refused(patch);
        const upstream = pool.get(id!);
        if (!upstream) return upstreamNotFound(id!);
        if (patch.value.weight !== undefined) pool.setWeight(id!, patch.value.weight);
        if (patch.value.state !== undefined) pool.setAdminState(id!, patch.value.state);
        logger.info("Upstream {upstream} changed through the admin API: {change}", {
          upstream: upstream.name,
          pool: name,
          change: JSON.stringify(patch.value),
        });
        return jsonResponse(upstreamView(upstream));
      },
    }],
    ["DELETE {pool}/upstreams/{id}", {
      access: "write",
      handle: (_request, { pool: name, id }) => {
        const pool = poolNamed(name);
        if (!pool) return poolNotFound(name);
        const upstream = pool.get(id!);
        if (!upstream || !control.removeUpstreamFrom(name, id!)) return upstreamNotFound(id!);
        logger.info("Upstream {upstream} draining for removal through the admin API", {
          upstream: upstream.name,
          pool: name,
        });
        return jsonResponse(upstreamView(upstream), 202);
      },
    }],
    ["POST /api/config/reload", {
      access: "write",
      handle: async () => {
        try {
          return jsonResponse(await control.reload());
        } catch (error) {
          if (error instanceof ConfigError) {
            return problemResponse({
              title: "Invalid configuration",
              status: 422,
              detail: "the configuration file has problems; the running configuration is unchanged",
              problems: error.problems,
            });
          }
          return problemResponse({
            title: "Reload not possible",
            status: 409,
            detail: (error as Error).message,
          });
        }
      },
    }],
  ]);

  const presentsToken = (request: Request, url: URL, access: Access) => {
    if (token === undefined) return false;
    const presented = presentedToken(request, url, access === "read");
    return presented !== undefined && timingSafeEqual(presented, token);
  };
  const authorize = (request: Request, url: URL, access: Access, client: string) =>
    isAuthorized(
      access,
      client,
      presentedToken(request, url, access === "read"),
      token,
      timingSafeEqual,
    );
  const allowedHosts = (options.allowedHosts ?? []).map((host) => host.toLowerCase());
  /** A request without the token whose `Host` is not the admin server's own: 403. */
  const hostRefusal = (request: Request, url: URL, access: Access) => {
    const host = request.headers.get("host");
    if (access === "probe" || presentsToken(request, url, access)) return undefined;
    if (hostAllowed(host, { port: server.addr.port, allowedHosts })) return undefined;
    return problemResponse({
      title: "Host not allowed",
      status: 403,
      detail: `Host ${JSON.stringify(host ?? "")} is not allowed: without the admin token ` +
        `this server answers only localhost, 127.0.0.1 and [::1] on port ` +
        `${server.addr.port}, and the hosts in admin.allowed_hosts (--admin-allowed-hosts)`,
    });
  };
  /** A change from another origin (403) or not declared as JSON (415), as CSRF sends them. */
  const changeRefusal = (request: Request) => {
    const origin = request.headers.get("origin");
    if (!originAllowed(origin, request.headers.get("host"))) {
      return problemResponse({
        title: "Cross-origin request refused",
        status: 403,
        detail: "changes are accepted only from this server's own pages or without an Origin, " +
          `not from ${JSON.stringify(origin)}`,
      });
    }
    const type = request.headers.get("content-type");
    if (isJsonContentType(type)) return undefined;
    return problemResponse({
      title: "Unsupported media type",
      status: 415,
      detail: `changes need Content-Type: application/json, not ${JSON.stringify(type ?? "")}`,
    });
  };
  const logRefusal = (
    request: Request,
    url: URL,
    client: string,
    reason: string,
    response: Response,
  ) => {
    logger.warn("Admin API refused {method} {path} from {client}: {reason}", {
      method: request.method,
      path: url.pathname,
      client,
      reason,
      status: response.status,
      host: request.headers.get("host"),
      origin: request.headers.get("origin"),
      contentType: request.headers.get("content-type"),
    });
    return response;
  };

  const handler = async (request: Request, info: Deno.ServeHandlerInfo<Deno.NetAddr>) => {
    const url = new URL(request.url);
    const asset = request.method === "GET" || request.method === "HEAD"
      ? assets.get(url.pathname)
      : undefined;
    if (asset) {
      return new Response(asset.body, {
        headers: { "content-type": asset.contentType, ...DASHBOARD_HEADERS },
      });
    }
    const { key, params } = routeKey(
      request.method === "HEAD" ? "GET" : request.method,
      url.pathname,
    );
    const route = routes.get(key);
    if (!route) return notFoundOrNotAllowed(routes, url.pathname);
    const badHost = hostRefusal(request, url, route.access);
    const client = info.remoteAddr.hostname;
    if (badHost !== undefined) return logRefusal(request, url, client, "Host not allowed", badHost);
    if (!authorize(request, url, route.access, info.remoteAddr.hostname)) {
      logger.warn("Admin API refused {method} {path} from {client}: missing or wrong token", {
        method: request.method,
        path: url.pathname,
        client: info.remoteAddr.hostname,
      });
      return problemResponse({
        title: "Unauthorized",
        status: 401,
        detail: "send the admin token as Authorization: Bearer <token>",
      }, { "www-authenticate": 'Bearer realm="sluice-admin"' });
    }
    const badChange = route.access === "write" ? changeRefusal(request) : undefined;
    if (badChange !== undefined) {
      return logRefusal(request, url, client, "cross-origin or not JSON", badChange);
    }
    try {
      return await route.handle(request, params);
    } catch (error) {
      logger.error("Admin API error on {method} {path}: {error}", {
        method: request.method,
        path: url.pathname,
        error,
      });
      return problemResponse({ title: "Internal error", status: 500, detail: "see the logs" });
    }
  };

  // Survives EMFILE like the proxy listener: a scrape while out of descriptors must not exit.
  const server = serveResiliently({
    hostname: options.hostname,
    port: options.port,
    name: "admin",
  }, handler);
  logger.info("Admin API and dashboard on http://{address}:{port}/", {
    address: server.addr.hostname,
    port: server.addr.port,
    token: token === undefined ? "none" : "required",
  });
  return {
    addr: server.addr,
    async shutdown() {
      hub.close();
      await server.shutdown();
    },
  };
}

/**
 * The route key of a request and the pool and id its path names: `/api/upstreams[/{id}]` (the
 * pool `default`) and `/api/pools/{pool}/upstreams[/{id}]` share the keys `{pool}/upstreams`
 * and `{pool}/upstreams/{id}`; other paths are their own key.
 */
function routeKey(method: string, path: string): { key: string; params: PathParams } {
  const segments = path.split("/");
  // ["", "api", "upstreams", id?] or ["", "api", "pools", pool, "upstreams", id?]
  let pool: string | undefined;
  let rest: string[] | undefined;
  if (segments[1] === "api" && segments[2] === "upstreams") {
    pool = "default";
    rest = segments.slice(3);
  } else if (
    segments[1] === "api" && segments[2] === "pools" && segments.length >= 5 &&
    segments[4] === "upstreams" && segments[3] !== ""
  ) {
    pool = decoded(segments[3]!);
    rest = segments.slice(5);
  }
  if (pool !== undefined && rest !== undefined) {
    if (rest.length === 0) {
      return { key: `${method} {pool}/upstreams`, params: { pool, id: undefined } };
    }
    if (rest.length === 1 && rest[0] !== "") {
      return { key: `${method} {pool}/upstreams/{id}`, params: { pool, id: decoded(rest[0]!) } };
    }
  }
  return { key: `${method} ${path}`, params: { pool: "default", id: undefined } };
}

/** A path segment decoded; malformed escapes stay raw (and then name nothing). */
function decoded(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/** Where a new upstream is read: under the path the request used. */
function upstreamPath(request: Request, pool: string, id: string): string {
  return new URL(request.url).pathname.startsWith("/api/upstreams")
    ? `/api/upstreams/${encodeURIComponent(id)}`
    : `/api/pools/${encodeURIComponent(pool)}/upstreams/${encodeURIComponent(id)}`;
}

function notFoundOrNotAllowed(routes: ReadonlyMap<string, Route>, path: string): Response {
  const pattern = routeKey("X", path).key.slice(2);
  const allowed = [...routes.keys()].filter((key) => key.endsWith(` ${pattern}`)).map((key) =>
    key.split(" ")[0]!
  );
  if (allowed.length > 0) {
    return problemResponse({
      title: "Method not allowed",
      status: 405,
      detail: `${path} accepts ${allowed.join(", ")}`,
    }, { allow: allowed.join(", ") });
  }
  return problemResponse({ title: "Not found", status: 404, detail: `no route for ${path}` });
}

function text(status: number, body: string): Response {
  return new Response(body, {
    status,
    headers: { "content-type": "text/plain; charset=utf-8", "cache-control": "no-store" },
  });
}
