/**
 * Routes compiled once per configuration: exact hosts in a map, then ordered rules; first
 * match wins, in file order (HAProxy `use_backend` in order, Traefik's router priority by
 * order, nginx `server_name` exact names first).
 *
 * @module
 */

import type { HeaderRules, RouteConfig } from "../config/mod.ts";
import { type FieldLines, fieldValue } from "../net/mod.ts";

/** A compiled route: its configuration, conditions prepared for matching, and a hit counter. */
export interface CompiledRoute {
  /** The route's name. */
  readonly name: string;
  /** Its configuration. */
  readonly config: RouteConfig;
  /** The pool it sends requests to, `undefined` for a redirect or a fixed response. */
  readonly pool: string | undefined;
  /** The header rules to apply upstream, `undefined` when there are none. */
  readonly requestHeaders: HeaderRules | undefined;
  /** The header rules to apply to the response, `undefined` when there are none. */
  readonly responseHeaders: HeaderRules | undefined;
  /** Requests this route matched since it was compiled (carried over by name on reload). */
  hits: number;
  /** `*.example.com` as `.example.com`; `undefined` when the host is exact or not matched. */
  readonly hostSuffix: string | undefined;
  /** Exact host, `undefined` when none or a wildcard. */
  readonly exactHost: string | undefined;
  readonly pathPrefix: string | undefined;
  readonly path: string | undefined;
  readonly methods: ReadonlySet<string> | undefined;
  readonly headers: readonly [name: string, value: string][];
  /**
   * The first path segment the route needs (`/api/v1` → `api`), `undefined` when it has no
   * path condition or its prefix is `/`.
   */
  readonly segment: string | undefined;
}

/** The parts of a request a route looks at. */
export interface RouteInput {
  /** Host without port, lower case (`""` when the request had none). */
  host: string;
  /** Path as sent, without the query (`""` for `*` and CONNECT targets). */
  path: string;
  /** The request method. */
  method: string;
  /**
   * The request headers, or the field lines the listener parsed (`RequestContext.headerFields`:
   * read with `fieldValue`, which joins repeated lines as `Headers.get` does).
   */
  headers: Headers | FieldLines;
}

/** What {@linkcode compileRoutes} returns. */
export interface CompiledRoutes {
  /** The table to match requests with. */
  table: RouteTable;
  /** Configuration mistakes that do not stop start-up, e.g. a route after a catch-all. */
  warnings: string[];
}

/**
 * Routes of one host bucket indexed by the first path segment they need: a request only tries,
 * in file order, the routes whose path or path prefix starts with its first segment and the
 * routes without a path condition.
 */
class SegmentIndex {
  readonly #bySegment: ReadonlyMap<string, readonly Candidate[]>;
  readonly #rest: readonly Candidate[];

  constructor(routes: readonly CompiledRoute[]) {
    const bySegment = new Map<string, Candidate[]>();
    for (const route of routes) {
      const segment = route.segment;
      if (segment === undefined || bySegment.has(segment)) continue;
      bySegment.set(
        segment,
        foldHeaderRuns(routes.filter((r) => r.segment === segment || r.segment === undefined)),
      );
    }
    this.#bySegment = bySegment;
    this.#rest = foldHeaderRuns(routes.filter((route) => route.segment === undefined));
  }

  candidates(path: string): readonly Candidate[] {
    if (this.#bySegment.size === 0 || path.charCodeAt(0) !== 0x2f) return this.#rest;
    const end = path.indexOf("/", 1);
    return this.#bySegment.get(end < 0 ? path.slice(1) : path.slice(1, end)) ?? this.#rest;
  }
}

/**
 * The compiled, immutable route list. `match()` looks the request's host up in a map of exact
 * hosts, whose entry holds, in file order, the routes for that host and the routes without an
 * exact host (wildcards, none); other hosts go through the routes without an exact host only.
 * Within that, routes are indexed by the first path segment they need (see `SegmentIndex`), so
 * a request tries only the routes that can match its path; order is kept throughout.
 */
export class RouteTable {
  /** Every route, in file order. */
  readonly routes: readonly CompiledRoute[];
  /**
   * Whether some route looks at the path (`path`, or a `path_prefix` other than `/`): the router
   * then refuses paths with dot segments, which would reach an upstream that resolves them
   * under another route than the one that matched.
   */
  readonly matchesPaths: boolean;
  readonly #byHost: ReadonlyMap<string, SegmentIndex>;
  readonly #anyHost: SegmentIndex;

  /** @param routes compiled routes in file order (see {@linkcode compileRoutes}). */
  constructor(routes: readonly CompiledRoute[]) {
    this.routes = routes;
    this.matchesPaths = routes.some((route) => route.segment !== undefined);
    const byHost = new Map<string, SegmentIndex>();
    for (const route of routes) {
      const host = route.exactHost;
      if (host === undefined || byHost.has(host)) continue;
      byHost.set(
        host,
        new SegmentIndex(
          routes.filter((r) => r.exactHost === host || r.exactHost === undefined),
        ),
      );
    }
    this.#byHost = byHost;
    this.#anyHost = new SegmentIndex(routes.filter((route) => route.exactHost === undefined));
  }

  /**
   * The first route whose every condition holds.
   * @param input host, raw path, method and headers of the request.
   * @returns the route, or `undefined` when none matches (the caller answers 404).
   */
  match(input: RouteInput): CompiledRoute | undefined {
    const candidates = (this.#byHost.get(input.host) ?? this.#anyHost).candidates(input.path);
    lookedUp = undefined;
    for (let i = 0; i < candidates.length; i++) {
      const candidate = candidates[i]!;
      if (candidate instanceof HeaderSwitch) {
        if (!matchesShape(candidate.first, input)) continue;
        const value = headerValue(input.headers, candidate.header);
        const route = value === null ? undefined : candidate.byValue.get(value);
        if (route !== undefined) return route;
      } else if (matches(candidate, input)) {
        return candidate;
      }
    }
    return undefined;
  }
}

/**
 * A run of consecutive routes with the same conditions but for the value of one header (e.g.
 * 40 tenants by `X-Tenant`), tried with one header read and a map lookup instead of one route
 * after the other. At most one of them can match a request, so their order within the run
 * does not matter (a value given twice keeps its first route).
 */
class HeaderSwitch {
  /** The header's name, lower case. */
  readonly header: string;
  /** The route for each value of the header. */
  readonly byValue: ReadonlyMap<string, CompiledRoute>;
  /** The run's first route, whose other conditions every route of the run shares. */
  readonly first: CompiledRoute;

  constructor(routes: readonly CompiledRoute[]) {
    this.first = routes[0]!;
    this.header = this.first.headers[0]![0];
    const byValue = new Map<string, CompiledRoute>();
    for (const route of routes) {
      const value = route.headers[0]![1];
      if (!byValue.has(value)) byValue.set(value, route);
    }
    this.byValue = byValue;
  }
}

/** A route, or a run of routes that differ only by one header's value. */
type Candidate = CompiledRoute | HeaderSwitch;

/** Shortest run of routes worth a {@linkcode HeaderSwitch}. */
const MIN_SWITCH_RUN = 3;

/** The conditions other than the header value, as one string; `undefined` when not foldable. */
function foldKey(route: CompiledRoute): string | undefined {
  if (route.headers.length !== 1) return undefined;
  const methods = route.methods ? [...route.methods].sort().join(" ") : "*";
  return [
    route.exactHost ?? "",
    route.hostSuffix ?? "",
    route.path ?? "",
    route.pathPrefix ?? "",
    methods,
    route.headers[0]![0],
  ].join("\n");
}

/** `routes` with each run of at least {@linkcode MIN_SWITCH_RUN} foldable routes folded. */
function foldHeaderRuns(routes: readonly CompiledRoute[]): Candidate[] {
  const out: Candidate[] = [];
  for (let i = 0; i < routes.length;) {
    const key = foldKey(routes[i]!);
    let end = i + 1;
    if (key !== undefined) {
      while (end < routes.length && foldKey(routes[end]!) === key) end++;
    }
    if (end - i >= MIN_SWITCH_RUN) out.push(new HeaderSwitch(routes.slice(i, end)));
    else out.push(...routes.slice(i, end));
    i = end;
  }
  return out;
}

function headerValue(headers: Headers | FieldLines, name: string): string | null {
  if (lookedUp !== name) {
    lookedUp = name;
    lookedUpValue = headers instanceof Headers ? headers.get(name) : fieldValue(headers, name);
  }
  return lookedUpValue;
}

/**
 * The last header read during one `match()` (matching is synchronous): rules on the same
 * header (`X-Tenant: t1`, `X-Tenant: t2`…) read it once.
 */
let lookedUp: string | undefined;
let lookedUpValue: string | null = null;

function matches(route: CompiledRoute, input: RouteInput): boolean {
  if (!matchesShape(route, input)) return false;
  const headers = route.headers;
  for (let i = 0; i < headers.length; i++) {
    const header = headers[i]!;
    if (headerValue(input.headers, header[0]) !== header[1]) return false;
  }
  return true;
}

/** Every condition of a route but its headers. */
function matchesShape(route: CompiledRoute, input: RouteInput): boolean {
  const suffix = route.hostSuffix;
  if (suffix !== undefined) {
    // nginx `*.example.com`: any subdomain, at any depth, never the bare domain.
    const host = input.host;
    if (host.length <= suffix.length || !host.endsWith(suffix)) return false;
  }
  if (route.path !== undefined && input.path !== route.path) return false;
  const prefix = route.pathPrefix;
  if (prefix !== undefined && !hasPathPrefix(input.path, prefix)) return false;
  if (route.methods !== undefined && !route.methods.has(input.method)) return false;
  return true;
}

/**
 * Whether `path` starts with `prefix` on whole segments: `/api` matches `/api` and `/api/x`,
 * not `/apix`; `/` matches every path.
 * @param path a request path as sent.
 * @param prefix a prefix without a trailing slash (or `/`).
 */
export function hasPathPrefix(path: string, prefix: string): boolean {
  if (prefix === "/") return path.startsWith("/");
  return path.startsWith(prefix) &&
    (path.length === prefix.length || path.charCodeAt(prefix.length) === 0x2f);
}

/**
 * Whether a raw path has a dot segment, `.` or `..`, also percent-encoded (`%2e`, `%2E`):
 * `/a/../b`, `/a/.`, `/%2e%2e/b` (RFC 3986 §5.2.4 removes them, and upstreams do).
 * @param path a request path as sent.
 */
export function hasDotSegment(path: string): boolean {
  if (!path.includes(".") && !path.includes("%2")) return false;
  for (const segment of path.split("/")) {
    const plain = segment.replaceAll(/%2e/gi, ".");
    if (plain === "." || plain === "..") return true;
  }
  return false;
}

function firstSegment(path: string | undefined): string | undefined {
  if (path === undefined || path === "/") return undefined;
  const end = path.indexOf("/", 1);
  return end < 0 ? path.slice(1) : path.slice(1, end);
}

function isCatchAll(route: RouteConfig): boolean {
  const m = route.match;
  return m.host === undefined && m.path === undefined && m.methods === undefined &&
    m.headers.length === 0 && (m.pathPrefix === undefined || m.pathPrefix === "/");
}

function rulesOrUndefined(rules: HeaderRules): HeaderRules | undefined {
  return rules.set.length === 0 && rules.remove.length === 0 ? undefined : rules;
}

/**
 * Compiles routes for matching.
 * @param routes validated routes, first match wins.
 * @param options `previous`: the table being replaced, whose hit counts carry over to the
 *   routes of the same name; `pools`: the pools that exist, to warn of pools no route uses.
 * @returns the table and warnings (routes after a catch-all never match; unused pools).
 */
export function compileRoutes(
  routes: readonly RouteConfig[],
  options: { previous?: RouteTable; pools?: readonly string[] } = {},
): CompiledRoutes {
  const hitsBefore = new Map(options.previous?.routes.map((r) => [r.name, r.hits]) ?? []);
  const warnings: string[] = [];
  let catchAll: string | undefined;
  const compiled = routes.map((route): CompiledRoute => {
    if (catchAll !== undefined) {
      warnings.push(
        `route ${route.name} is never used: the route ${catchAll} before it matches every request`,
      );
    } else if (isCatchAll(route)) {
      catchAll = route.name;
    }
    const host = route.match.host;
    const wildcard = host?.startsWith("*.") ?? false;
    return {
      name: route.name,
      config: route,
      pool: route.pool,
      requestHeaders: rulesOrUndefined(route.requestHeaders),
      responseHeaders: rulesOrUndefined(route.responseHeaders),
      hits: hitsBefore.get(route.name) ?? 0,
      hostSuffix: wildcard ? host!.slice(1) : undefined,
      exactHost: wildcard ? undefined : host,
      pathPrefix: route.match.pathPrefix,
      path: route.match.path,
      methods: route.match.methods ? new Set(route.match.methods) : undefined,
      headers: route.match.headers,
      segment: firstSegment(route.match.path ?? route.match.pathPrefix),
    };
  });
  for (const pool of options.pools ?? []) {
    if (!routes.some((route) => route.pool === pool)) {
      warnings.push(`pool ${pool} is not used by any route`);
    }
  }
  return { table: new RouteTable(compiled), warnings };
}
