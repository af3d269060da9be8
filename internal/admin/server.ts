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
import type { ControlPlane } from "./control_plane.ts";
import { EventHub } from "./events.ts";
import { jsonResponse, problemResponse } from "./problem.ts";
import {
  parseNewUpstream,
  parseUpstreamPatch,
  readJsonObject,
  type ReadResult,
} from "./request_body.ts";
import { upstreamView } from "./views.ts";
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

interface Route {
  access: Access;
  handle: (request: Request, id: string | undefined) => Promise<Response> | Response;
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
 * | `GET /api/upstreams`, `GET /api/upstreams/{id}` | upstream views |
 * | `POST /api/upstreams` | add `{url, name?, weight?}` |
 * | `PATCH /api/upstreams/{id}` | `{state?, weight?}` |
 * | `DELETE /api/upstreams/{id}` | drain, then remove (202) |
 * | `POST /api/config/reload` | re-read the config file |
 * | `GET /api/events` | Server-Sent Events |
 * | `GET /` | the dashboard |
 *
 * Changes need `Authorization: Bearer <token>` when a token is set (compared in constant time);
 * reads are open to loopback clients and need the token from anywhere else, except the probes
 * `/healthz` and `/readyz`, open to all (Kubernetes probes carry no token). Errors are RFC 9457
 * `application/problem+json`.
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
    ["GET /api/upstreams", {
      access: "read",
      handle: () => jsonResponse(control.pool.list().map(upstreamView)),
    }],
    ["GET /api/upstreams/{id}", {
      access: "read",
      handle: (_request, id) => {
        const upstream = control.pool.get(id!);
        return upstream ? jsonResponse(upstreamView(upstream)) : upstreamNotFound(id!);
      },
    }],
    ["POST /api/upstreams", {
      access: "write",
      handle: async (request) => {
        const body = await readJsonObject(request);
        if (!body.ok) return refused(body);
        const input = parseNewUpstream(body.value);
        if (!input.ok) return refused(input);
        try {
          const upstream = control.addUpstream(input.value);
          logger.info("Upstream {upstream} added through the admin API", {
            upstream: upstream.name,
            url: upstream.url,
          });
          const response = jsonResponse(upstreamView(upstream), 201);
          response.headers.set("location", `/api/upstreams/${encodeURIComponent(upstream.id)}`);
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
    ["PATCH /api/upstreams/{id}", {
      access: "write",
      handle: async (request, id) => {
        if (!control.pool.get(id!)) return upstreamNotFound(id!);
        const body = await readJsonObject(request);
        if (!body.ok) return refused(body);
        const patch = parseUpstreamPatch(body.value);
        if (!patch.ok) return refused(patch);
        const upstream = control.pool.get(id!);
        if (!upstream) return upstreamNotFound(id!);
        if (patch.value.weight !== undefined) control.pool.setWeight(id!, patch.value.weight);
        if (patch.value.state !== undefined) control.pool.setAdminState(id!, patch.value.state);
        logger.info("Upstream {upstream} changed through the admin API: {change}", {
          upstream: upstream.name,
          change: JSON.stringify(patch.value),
        });
        return jsonResponse(upstreamView(upstream));
      },
    }],
    ["DELETE /api/upstreams/{id}", {
      access: "write",
      handle: (_request, id) => {
        const upstream = control.pool.get(id!);
        if (!upstream || !control.removeUpstream(id!)) return upstreamNotFound(id!);
        logger.info("Upstream {upstream} draining for removal through the admin API", {
          upstream: upstream.name,
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

  const authorize = (request: Request, url: URL, access: Access, client: string) =>
    isAuthorized(
      access,
      client,
      presentedToken(request, url, access === "read"),
      token,
      timingSafeEqual,
    );

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
    const { key, id } = routeKey(request.method === "HEAD" ? "GET" : request.method, url.pathname);
    const route = routes.get(key);
    if (!route) return notFoundOrNotAllowed(routes, url.pathname);
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
    try {
      return await route.handle(request, id);
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

function routeKey(method: string, path: string): { key: string; id: string | undefined } {
  const prefix = "/api/upstreams/";
  if (
    path.startsWith(prefix) && path.length > prefix.length && !path.includes("/", prefix.length)
  ) {
    const raw = path.slice(prefix.length);
    let id = raw;
    try {
      id = decodeURIComponent(raw);
    } catch { /* malformed escapes: look the raw text up, which finds nothing */ }
    return { key: `${method} /api/upstreams/{id}`, id };
  }
  return { key: `${method} ${path}`, id: undefined };
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
      detail: `${pattern} accepts ${allowed.join(", ")}`,
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
