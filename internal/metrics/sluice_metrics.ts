/**
 * Sluice's Prometheus metrics: the definitions, their recording on the request path, and the
 * series computed from the pool when scraped.
 *
 * @module
 */

import { Counter, Gauge, Histogram, Registry } from "prom-client";
import { fieldValue } from "../net/mod.ts";
import type { CheckResult, Pool, Upstream } from "../pool/mod.ts";
import { registerProcessMetrics } from "./process_metrics.ts";
import type { Traffic } from "./traffic.ts";

/**
 * Values of the `method` label: the methods of RFC 9110 §9 and PATCH (RFC 5789); any other
 * method, including a differently cased one (methods are case-sensitive), is `"OTHER"`, so
 * clients cannot create series at will.
 */
export const METHOD_LABELS = [
  "GET",
  "HEAD",
  "POST",
  "PUT",
  "DELETE",
  "PATCH",
  "OPTIONS",
  "CONNECT",
  "TRACE",
  "OTHER",
] as const;

/** A value of the `method` label. */
export type MethodLabel = typeof METHOD_LABELS[number];

/** Values of the `code_class` label. */
export const CODE_CLASSES = ["1xx", "2xx", "3xx", "4xx", "5xx"] as const;

/** A value of the `code_class` label. */
export type CodeClass = typeof CODE_CLASSES[number];

/**
 * Value of the `upstream` label of requests that reached no upstream (none available, or
 * refused before one was chosen). Upstream names are never empty, and `{upstream=""}` selects
 * these series in PromQL.
 */
export const NO_UPSTREAM = "";

/** The `route` label of a request no route matched (404) or that was refused before routing. */
export const NO_ROUTE = "";

/** The `pool` label of a request that went to no pool. */
export const NO_POOL = "";

/** The `pool` label of the pool given as `SluiceMetricsOptions.pool`. */
const DEFAULT_POOL_LABEL = "default";

/**
 * Bucket upper bounds of `sluice_request_duration_seconds`, seconds: 1 ms (a cached answer on
 * loopback) to 30 s (a slow upload or a long poll); slower requests land in `+Inf`.
 */
export const REQUEST_DURATION_BUCKETS: readonly number[] = Object.freeze([
  0.001,
  0.0025,
  0.005,
  0.01,
  0.025,
  0.05,
  0.1,
  0.25,
  0.5,
  1,
  2.5,
  5,
  10,
  30,
]);

/** Bucket upper bounds of `sluice_health_check_duration_seconds`, seconds: 1 ms to 10 s. */
export const HEALTH_CHECK_DURATION_BUCKETS: readonly number[] = Object.freeze([
  0.001,
  0.0025,
  0.005,
  0.01,
  0.025,
  0.05,
  0.1,
  0.25,
  0.5,
  1,
  2.5,
  5,
  10,
]);

const METHOD_COUNT = METHOD_LABELS.length;
const CLASS_COUNT = CODE_CLASSES.length;
const HEALTH_STATES = ["unknown", "up", "down"] as const;
const ADMIN_STATES = ["ready", "draining", "maintenance"] as const;

function methodIndex(method: string): number {
  switch (method) {
    case "GET":
      return 0;
    case "HEAD":
      return 1;
    case "POST":
      return 2;
    case "PUT":
      return 3;
    case "DELETE":
      return 4;
    case "PATCH":
      return 5;
    case "OPTIONS":
      return 6;
    case "CONNECT":
      return 7;
    case "TRACE":
      return 8;
    default:
      return 9;
  }
}

function classIndex(status: number): number {
  if (status < 200) return 0;
  if (status < 300) return 1;
  if (status < 400) return 2;
  if (status < 500) return 3;
  return 4;
}

/**
 * The `method` label of a request method.
 * @param method the method as received, e.g. `"GET"`.
 * @returns the method when it is a standard one (exact case), else `"OTHER"`.
 */
export function methodLabel(method: string): MethodLabel {
  return METHOD_LABELS[methodIndex(method)]!;
}

/**
 * The `code_class` label of a status.
 * @param status an HTTP status code (499 for a client that left).
 * @returns `"1xx"` … `"5xx"`; below 200 counts as `"1xx"`, 500 and above as `"5xx"`.
 */
export function codeClass(status: number): CodeClass {
  return CODE_CLASSES[classIndex(status)]!;
}

/**
 * What {@linkcode SluiceMetrics.recordRequest} reads of a finished request. The middleware's
 * `RequestContext` has this shape.
 */
export interface RecordedRequest {
  /** The client's request: its method, and its Content-Length for the bytes received. */
  readonly request: { readonly method: string; readonly headers: Headers };
  /** The request's header fields as the listener parsed them, read instead of `headers`. */
  readonly headerFields?: readonly (readonly [string, string])[] | undefined;
  /** The upstream of the last attempt, `undefined` when none was chosen. */
  readonly upstream: Upstream | undefined;
  /** Upstream attempts made (0 when none was available). */
  readonly attempts: number;
  /** The route that matched, `undefined` when none did. */
  readonly route?: string | undefined;
  /** The pool the route sent it to, `undefined` when none. */
  readonly pool?: string | undefined;
}

/** The request's Content-Length as `Headers.get` gives it (repeated values joined). */
function contentLength(request: RecordedRequest): string | null {
  const fields = request.headerFields;
  return fields === undefined
    ? request.request.headers.get("content-length")
    : fieldValue(fields, "content-length");
}

/** A pool whose upstreams the scrape-time series report, with its name (the `pool` label). */
export interface NamedPool {
  readonly name: string;
  readonly pool: Pool;
}

/** Options of {@linkcode createMetrics}. */
export interface SluiceMetricsOptions {
  /**
   * The upstreams whose state the scrape-time series report, or a function returning them at
   * each scrape (a reload may replace the pool).
   */
  pool?: Pool | (() => Pool);
  /**
   * Every pool, read at each scrape (a reload may add or drop pools); replaces `pool`, which is
   * the pool `default`.
   */
  pools?: () => Iterable<NamedPool>;
  /**
   * Where the metrics are registered. Give one to expose other metrics beside Sluice's.
   * @default a new Registry (never prom-client's global one)
   */
  registry?: Registry;
  /** Register the process metrics of `registerProcessMetrics`. @default true */
  processMetrics?: boolean;
  /** When given, its in-flight count is exported as `sluice_requests_in_flight`. */
  traffic?: Traffic;
  /**
   * When given, the client listener's connection counts, read at scrape time:
   * `sluice_client_connections`, `sluice_client_connections_refused_total`,
   * `sluice_tunnels`. `undefined` before the listener started.
   */
  clientConnections?: () =>
    | { connections: number; refused: number; tunnels: number }
    | undefined;
}

/** Per route, pool and upstream name accumulators of the request path, read at scrape time. */
interface Series {
  readonly labels: { readonly route: string; readonly pool: string; readonly upstream: string };
  /** Requests by `methodIndex * CLASS_COUNT + classIndex`. */
  readonly requests: Float64Array;
  retries: number;
  bytesReceived: number;
  bytesSent: number;
  /** Requests by the first bucket of `REQUEST_DURATION_BUCKETS` they fit, not cumulative. */
  readonly durationBuckets: Float64Array;
  /** Sum of the durations, seconds. */
  durationSum: number;
  /** Durations observed (those above the last bound included). */
  durationCount: number;
}

const DURATION_NAME = "sluice_request_duration_seconds";
const DURATION_HELP =
  "Time from the arrival of a request to the end of its response body, seconds.";

/** `REQUEST_DURATION_BUCKETS` as a typed array for the per-request bucket search. */
const DURATION_BOUNDS = Float64Array.from(REQUEST_DURATION_BUCKETS);

/**
 * `sluice_request_duration_seconds`: a prom-client histogram whose values are the series' plain
 * bucket counts, read at scrape time. Observing through prom-client (even a child from
 * `labels()`) hashes the label set and builds objects per request; the exposition is
 * prom-client's, from the same values its own histogram would hold: per series in order of
 * first request, each bucket (cumulative), `+Inf`, `_sum` and `_count`.
 */
class SeriesDurationHistogram extends Histogram<"route" | "pool" | "upstream"> {
  readonly #series: ReadonlyMap<string, Series>;

  constructor(series: ReadonlyMap<string, Series>, registers: Registry[]) {
    super({
      name: DURATION_NAME,
      help: DURATION_HELP,
      labelNames: ["route", "pool", "upstream"] as const,
      buckets: [...REQUEST_DURATION_BUCKETS],
      registers,
    });
    this.#series = series;
  }

  /** What prom-client's registry formats (and `get()` reshapes): see the class. */
  getForPromString(): Promise<{
    name: string;
    help: string;
    type: "histogram";
    values: Array<{
      labels: Record<string, string | number>;
      sharedLabels: Record<string, string>;
      value: number;
      metricName: string;
      exemplar?: null;
    }>;
    aggregator: string;
  }> {
    const bucketName = `${DURATION_NAME}_bucket`;
    const values = [];
    for (const s of this.#series.values()) {
      if (s.durationCount === 0) continue;
      let cumulative = 0;
      for (let i = 0; i < DURATION_BOUNDS.length; i++) {
        cumulative += s.durationBuckets[i]!;
        values.push({
          labels: { le: REQUEST_DURATION_BUCKETS[i]! },
          sharedLabels: s.labels,
          value: cumulative,
          metricName: bucketName,
          exemplar: null,
        });
      }
      values.push(
        {
          labels: { le: "+Inf" },
          sharedLabels: s.labels,
          value: s.durationCount,
          metricName: bucketName,
          exemplar: null,
        },
        {
          labels: {},
          sharedLabels: s.labels,
          value: s.durationSum,
          metricName: `${DURATION_NAME}_sum`,
        },
        {
          labels: {},
          sharedLabels: s.labels,
          value: s.durationCount,
          metricName: `${DURATION_NAME}_count`,
        },
      );
    }
    return Promise.resolve({
      name: DURATION_NAME,
      help: DURATION_HELP,
      type: "histogram",
      values,
      // prom-client's histograms sum across workers (AggregatorRegistry).
      aggregator: "sum",
    });
  }
}

/**
 * Creates Sluice's metrics in their own registry. See {@linkcode SluiceMetrics} for the list.
 * @param options the pool to report on, and optionally a registry, the traffic totals, and
 *   whether to add process metrics.
 * @returns the metrics; record with {@linkcode SluiceMetrics.recordRequest} (the `metrics()`
 *   middleware does) and {@linkcode SluiceMetrics.observeHealthCheck}, expose with
 *   {@linkcode SluiceMetrics.render}.
 * @throws {Error} when `options.registry` already holds a metric of the same name.
 *
 * @example
 * ```ts
 * const metrics = createMetrics({ pool });
 * const checker = new ActiveHealthChecker(pool, { probe, intervalMs, timeoutMs,
 *   onResult: metrics.observeHealthCheck });
 * // GET /metrics:
 * new Response(await metrics.render(), { headers: { "content-type": metrics.contentType } });
 * ```
 */
export function createMetrics(options: SluiceMetricsOptions): SluiceMetrics {
  return new SluiceMetrics(options);
}

/**
 * Sluice's Prometheus metrics (text format 0.0.4). Upstreams are labelled by pool and name
 * (`pool="default",upstream="10.0.0.5:8080"`), request series also by route (`route="api"`,
 * `""` when none matched or the request was refused first; names only, so the label sets are
 * bounded by the configuration); two upstreams with the same name share their series (counters
 * add up, the pool gauges count both), and `sluice_upstream_info` maps ids to names.
 *
 * Recorded per request, after its response body finished (see the `metrics()` middleware):
 * - `sluice_requests_total{upstream, method, code_class}` counter; `upstream` is the upstream of
 *   the last attempt or `""` ({@linkcode NO_UPSTREAM}), `method` one of
 *   {@linkcode METHOD_LABELS}, `code_class` `"1xx"`…`"5xx"` (a client that left mid-response
 *   counts as 499, `"4xx"`);
 * - `sluice_request_duration_seconds{upstream}` histogram, from arrival to the end of the
 *   response body, buckets {@linkcode REQUEST_DURATION_BUCKETS};
 * - `sluice_retries_total{upstream}` counter: `attempts - 1`, labelled by the upstream of the
 *   *last* attempt (the one that answered); which upstream failed shows in
 *   `sluice_upstream_failures_total`;
 * - `sluice_bytes_received_total{upstream}` counter: request body bytes by Content-Length
 *   (bodies sent chunked, without Content-Length, are not counted);
 * - `sluice_bytes_sent_total{upstream}` counter: response body bytes delivered to the client
 *   (for responses that do not stream through the proxy, such as Sluice's own error pages,
 *   their Content-Length, 0 when absent).
 *
 * Per health check ({@linkcode SluiceMetrics.observeHealthCheck}):
 * - `sluice_health_checks_total{upstream, result="success"|"failure"}` counter;
 * - `sluice_health_check_duration_seconds{upstream}` histogram, buckets
 *   {@linkcode HEALTH_CHECK_DURATION_BUCKETS}.
 *
 * Per failure to accept a connection ({@linkcode SluiceMetrics.observeAcceptError}):
 * `sluice_accept_errors_total` counter.
 *
 * Traffic and check series of an upstream that left the pool stay (a name that comes back
 * continues them). The series computed from the pool at each scrape list only its current
 * members:
 * - `sluice_upstream_up{upstream}` gauge: 1 when available to take traffic (health up or not yet
 *   checked, admin state ready, not ejected), else 0;
 * - `sluice_upstream_ejected{upstream}` gauge: 1 while passive health checks (outlier
 *   detection) keep it ejected, else 0;
 * - `sluice_upstream_in_flight{upstream}` gauge: requests whose response body has not finished;
 * - `sluice_upstream_health{upstream, state="unknown"|"up"|"down"}` and
 *   `sluice_upstream_admin_state{upstream, state="ready"|"draining"|"maintenance"}` gauges, 1 for
 *   the current state and 0 for the others;
 * - `sluice_upstream_attempts_total{upstream}` and `sluice_upstream_failures_total{upstream}`
 *   counters: attempts sent, and attempts that failed (connect error, timeout, reset);
 * - `sluice_upstream_ejections_total{upstream}` counter: ejections by passive health checks
 *   while it is in the pool;
 * - `sluice_upstream_info{upstream_id, upstream, url}` gauge, 1.
 *
 * Also `sluice_requests_in_flight` (with the `traffic` option) and the process metrics of
 * `registerProcessMetrics` (unless `processMetrics: false`).
 */
export class SluiceMetrics {
  /** The registry holding every metric; {@linkcode render} exposes it. */
  readonly registry: Registry;
  readonly #series = new Map<string, Series>();
  /**
   * The same series by upstream name, then route, then pool: found from the request's own
   * strings (their hashes cached), with no key built per request.
   */
  readonly #seriesIndex = new Map<string, Map<string, Map<string, Series>>>();
  readonly #healthChecks: Counter<"pool" | "upstream" | "result">;
  readonly #healthCheckDuration: Histogram<"pool" | "upstream">;
  readonly #acceptErrors: Counter;

  /** @param options see {@linkcode createMetrics}. */
  constructor(options: SluiceMetricsOptions) {
    const registry = options.registry ?? new Registry();
    const registers = [registry];
    const poolOption = options.pool;
    const pools: () => Iterable<NamedPool> = options.pools ??
      (poolOption === undefined
        ? () => []
        : typeof poolOption === "function"
        ? () => [{ name: DEFAULT_POOL_LABEL, pool: poolOption() }]
        : () => [{ name: DEFAULT_POOL_LABEL, pool: poolOption }]);
    /** Every upstream of every pool, with its pool's name. */
    function* upstreams(): Generator<[string, Upstream]> {
      for (const { name, pool } of pools()) for (const u of pool.list()) yield [name, u];
    }
    const series = this.#series;
    this.registry = registry;

    new Counter({
      name: "sluice_requests_total",
      help:
        "Requests answered, by route, pool, upstream of the last attempt, method and status class.",
      labelNames: ["route", "pool", "upstream", "method", "code_class"] as const,
      registers,
      collect() {
        this.reset();
        for (const s of series.values()) {
          for (let i = 0; i < s.requests.length; i++) {
            const count = s.requests[i]!;
            if (count === 0) continue;
            this.inc({
              route: s.labels.route,
              pool: s.labels.pool,
              upstream: s.labels.upstream,
              method: METHOD_LABELS[Math.floor(i / CLASS_COUNT)]!,
              code_class: CODE_CLASSES[i % CLASS_COUNT]!,
            }, count);
          }
        }
      },
    });
    new SeriesDurationHistogram(series, registers);
    const seriesCounter = (name: string, help: string, read: (s: Series) => number) =>
      new Counter({
        name,
        help,
        labelNames: ["route", "pool", "upstream"] as const,
        registers,
        collect() {
          this.reset();
          for (const s of series.values()) this.inc(s.labels, read(s));
        },
      });
    seriesCounter(
      "sluice_retries_total",
      "Extra upstream attempts, by upstream of the last attempt.",
      (s) => s.retries,
    );
    seriesCounter(
      "sluice_bytes_received_total",
      "Request body bytes received from clients, by Content-Length (chunked bodies not counted).",
      (s) => s.bytesReceived,
    );
    seriesCounter(
      "sluice_bytes_sent_total",
      "Response body bytes sent to clients.",
      (s) => s.bytesSent,
    );

    this.#healthChecks = new Counter({
      name: "sluice_health_checks_total",
      help: "Active health checks, by pool, upstream and result.",
      labelNames: ["pool", "upstream", "result"] as const,
      registers,
    });
    this.#healthCheckDuration = new Histogram({
      name: "sluice_health_check_duration_seconds",
      help: "Duration of active health checks, seconds.",
      labelNames: ["pool", "upstream"] as const,
      buckets: [...HEALTH_CHECK_DURATION_BUCKETS],
      registers,
    });

    this.#acceptErrors = new Counter({
      name: "sluice_accept_errors_total",
      help: "Failures to accept a client connection (e.g. EMFILE: too many open files).",
      registers,
    });

    const poolGauge = (name: string, help: string, read: (u: Upstream) => number) =>
      new Gauge({
        name,
        help,
        labelNames: ["pool", "upstream"] as const,
        registers,
        collect() {
          this.reset();
          for (const [pool, u] of upstreams()) this.inc({ pool, upstream: u.name }, read(u));
        },
      });
    poolGauge(
      "sluice_upstream_up",
      "1 when the upstream is available to take traffic (healthy, ready, not ejected), else 0.",
      (u) => u.available ? 1 : 0,
    );
    poolGauge(
      "sluice_upstream_ejected",
      "1 while passive health checks (outlier detection) keep the upstream ejected, else 0.",
      (u) => u.ejected ? 1 : 0,
    );
    poolGauge(
      "sluice_upstream_in_flight",
      "Requests to the upstream whose response body has not finished.",
      (u) => u.inFlight,
    );
    const stateGauge = (
      name: string,
      help: string,
      states: readonly string[],
      read: (u: Upstream) => string,
    ) =>
      new Gauge({
        name,
        help,
        labelNames: ["pool", "upstream", "state"] as const,
        registers,
        collect() {
          this.reset();
          for (const [pool, u] of upstreams()) {
            const current = read(u);
            for (const state of states) {
              this.inc({ pool, upstream: u.name, state }, state === current ? 1 : 0);
            }
          }
        },
      });
    stateGauge(
      "sluice_upstream_health",
      "Health from active checks: 1 for the current state.",
      HEALTH_STATES,
      (u) => u.health,
    );
    stateGauge(
      "sluice_upstream_admin_state",
      "Operator state: 1 for the current state.",
      ADMIN_STATES,
      (u) => u.admin,
    );
    const poolCounter = (name: string, help: string, read: (u: Upstream) => number) =>
      new Counter({
        name,
        help,
        labelNames: ["pool", "upstream"] as const,
        registers,
        collect() {
          this.reset();
          for (const [pool, u] of upstreams()) this.inc({ pool, upstream: u.name }, read(u));
        },
      });
    poolCounter(
      "sluice_upstream_attempts_total",
      "Attempts sent to the upstream, retries included, while it is in the pool.",
      (u) => u.requestsTotal,
    );
    poolCounter(
      "sluice_upstream_failures_total",
      "Attempts to the upstream that failed (connect error, timeout, reset).",
      (u) => u.failuresTotal,
    );
    poolCounter(
      "sluice_upstream_ejections_total",
      "Ejections of the upstream by passive health checks (outlier detection).",
      (u) => u.ejectionsTotal,
    );
    new Gauge({
      name: "sluice_upstream_info",
      help: "Upstreams in the pool: id, name and URL; the value is 1.",
      labelNames: ["pool", "upstream_id", "upstream", "url"] as const,
      registers,
      collect() {
        this.reset();
        for (const [pool, u] of upstreams()) {
          this.set({ pool, upstream_id: u.id, upstream: u.name, url: u.url }, 1);
        }
      },
    });

    const clientConnections = options.clientConnections;
    if (clientConnections !== undefined) {
      new Gauge({
        name: "sluice_client_connections",
        help: "Client connections open now (listener http1; 0 with listener serve).",
        registers,
        collect() {
          this.set(clientConnections()?.connections ?? 0);
        },
      });
      new Counter({
        name: "sluice_client_connections_refused_total",
        help: "Client connections closed at accept: limits.max_client_connections was reached.",
        registers,
        collect() {
          this.reset();
          this.inc(clientConnections()?.refused ?? 0);
        },
      });
      new Gauge({
        name: "sluice_tunnels",
        help: "Upgraded connections (WebSocket) tunnelled to an upstream now.",
        registers,
        collect() {
          this.set(clientConnections()?.tunnels ?? 0);
        },
      });
    }

    const traffic = options.traffic;
    if (traffic !== undefined) {
      new Gauge({
        name: "sluice_requests_in_flight",
        help: "Requests received whose response has not finished.",
        registers,
        collect() {
          this.set(traffic.inFlight);
        },
      });
    }
    if (options.processMetrics ?? true) registerProcessMetrics(registry);
  }

  /** Content-Type of {@linkcode render}'s output: `text/plain; version=0.0.4; charset=utf-8`. */
  get contentType(): string {
    return this.registry.contentType;
  }

  /**
   * The exposition of every metric in the registry; series from the pool are computed now.
   * @returns the text for `GET /metrics`.
   */
  render(): Promise<string> {
    return this.registry.metrics();
  }

  /**
   * Records one finished request. Called on the request path: the counters and the duration
   * histogram's buckets are plain numbers, handed to prom-client at scrape time.
   * Arguments are positional so that no object is built per request.
   * @param request its method, headers (Content-Length), last upstream and attempts; a
   *   `RequestContext` fits.
   * @param status the status sent; 499 when the client left before the body was complete.
   * @param durationMs from arrival to the end of the response body, ms.
   * @param bytesSent response body bytes delivered to the client.
   */
  recordRequest(
    request: RecordedRequest,
    status: number,
    durationMs: number,
    bytesSent: number,
  ): void {
    const name = request.upstream === undefined ? NO_UPSTREAM : request.upstream.name;
    const route = request.route ?? NO_ROUTE;
    const pool = request.pool ?? NO_POOL;
    const series = this.#seriesIndex.get(name)?.get(route)?.get(pool) ??
      this.#createSeries(route, pool, name);
    series.requests[methodIndex(request.request.method) * CLASS_COUNT + classIndex(status)]!++;
    const attempts = request.attempts;
    if (attempts > 1) series.retries += attempts - 1;
    const length = contentLength(request);
    if (length !== null) {
      const bytes = Number(length);
      if (bytes > 0 && bytes <= Number.MAX_SAFE_INTEGER) series.bytesReceived += bytes;
    }
    series.bytesSent += bytesSent;
    const seconds = durationMs / 1000;
    // prom-client refuses what is not finite (a TypeError); nothing is recorded for it here.
    if (!Number.isFinite(seconds)) return;
    let bucket = 0;
    while (bucket < DURATION_BOUNDS.length && seconds > DURATION_BOUNDS[bucket]!) bucket++;
    if (bucket < DURATION_BOUNDS.length) series.durationBuckets[bucket]!++;
    series.durationSum += seconds;
    series.durationCount++;
  }

  /**
   * Records one active health check; pass it as the checker's `onResult` (it is bound).
   * @param upstream the upstream probed.
   * @param result the probe's outcome; `result.latencyMs` in ms.
   * @param pool the name of the upstream's pool. @default "default"
   */
  readonly observeHealthCheck = (
    upstream: Upstream,
    result: CheckResult,
    pool: string = DEFAULT_POOL_LABEL,
  ): void => {
    this.#healthChecks.inc({
      pool,
      upstream: upstream.name,
      result: result.ok ? "success" : "failure",
    });
    this.#healthCheckDuration.observe({ pool, upstream: upstream.name }, result.latencyMs / 1000);
  };

  /**
   * Records a failure to accept a client connection (EMFILE, ENFILE, ENOBUFS…), after which the
   * listener accepts again (see `listen`).
   */
  readonly observeAcceptError = (): void => {
    this.#acceptErrors.inc();
  };

  #createSeries(route: string, pool: string, name: string): Series {
    // One string key per (route, pool, upstream) for the scrape's list; the NUL cannot occur in
    // a name.
    const key = route + "\0" + pool + "\0" + name;
    const labels = { route, pool, upstream: name };
    const series: Series = {
      labels,
      requests: new Float64Array(METHOD_COUNT * CLASS_COUNT),
      retries: 0,
      bytesReceived: 0,
      bytesSent: 0,
      durationBuckets: new Float64Array(DURATION_BOUNDS.length),
      durationSum: 0,
      durationCount: 0,
    };
    this.#series.set(key, series);
    let byRoute = this.#seriesIndex.get(name);
    if (byRoute === undefined) this.#seriesIndex.set(name, byRoute = new Map());
    let byPool = byRoute.get(route);
    if (byPool === undefined) byRoute.set(route, byPool = new Map());
    byPool.set(pool, series);
    return series;
  }
}
