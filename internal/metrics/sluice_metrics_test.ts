import assert from "node:assert/strict";
import { Histogram, register as globalRegistry, Registry } from "prom-client";
import { Pool, type Upstream } from "../pool/mod.ts";
import { type Exposition, parseExposition } from "./parse_exposition.ts";
import {
  codeClass,
  createMetrics,
  methodLabel,
  type RecordedRequest,
  REQUEST_DURATION_BUCKETS,
  type SluiceMetrics,
} from "./sluice_metrics.ts";
import { Traffic } from "./traffic.ts";

function twoUpstreams(): Pool {
  return new Pool([
    { id: "u1", name: "a", url: "http://127.0.0.1:9001" },
    { id: "u2", name: "b", url: "http://127.0.0.1:9002" },
  ]);
}

function request(
  upstream: Upstream | undefined,
  options: { method?: string; attempts?: number; contentLength?: number } = {},
): RecordedRequest {
  const headers = new Headers();
  if (options.contentLength !== undefined) {
    headers.set("content-length", String(options.contentLength));
  }
  return {
    request: { method: options.method ?? "GET", headers },
    upstream,
    attempts: options.attempts ?? (upstream ? 1 : 0),
  };
}

async function scrape(metrics: SluiceMetrics): Promise<Exposition> {
  return parseExposition(await metrics.render());
}

Deno.test("metrics: every family is declared with its type, in Sluice's own registry", async () => {
  const metrics = createMetrics({ pool: twoUpstreams(), traffic: new Traffic() });
  const { types } = await scrape(metrics);
  const expected: Record<string, string> = {
    sluice_requests_total: "counter",
    sluice_request_duration_seconds: "histogram",
    sluice_retries_total: "counter",
    sluice_bytes_received_total: "counter",
    sluice_bytes_sent_total: "counter",
    sluice_health_checks_total: "counter",
    sluice_health_check_duration_seconds: "histogram",
    sluice_upstream_up: "gauge",
    sluice_upstream_in_flight: "gauge",
    sluice_upstream_health: "gauge",
    sluice_upstream_admin_state: "gauge",
    sluice_upstream_attempts_total: "counter",
    sluice_upstream_failures_total: "counter",
    sluice_upstream_info: "gauge",
    sluice_requests_in_flight: "gauge",
    process_cpu_seconds_total: "counter",
    process_resident_memory_bytes: "gauge",
    process_heap_bytes: "gauge",
    process_start_time_seconds: "gauge",
    deno_version_info: "gauge",
  };
  for (const [name, type] of Object.entries(expected)) {
    assert.equal(types.get(name), type, name);
  }
  assert.equal(metrics.contentType, "text/plain; version=0.0.4; charset=utf-8");
  assert.doesNotMatch(await globalRegistry.metrics(), /sluice_|process_/);
});

Deno.test("metrics: requests by upstream, method and code class", async () => {
  const pool = twoUpstreams();
  const a = pool.get("u1")!;
  const b = pool.get("u2")!;
  const metrics = createMetrics({ pool });
  metrics.recordRequest(request(a), 200, 10, 0);
  metrics.recordRequest(request(a), 204, 10, 0);
  metrics.recordRequest(request(a, { method: "POST" }), 201, 10, 0);
  metrics.recordRequest(request(b), 301, 10, 0);
  metrics.recordRequest(request(b), 404, 10, 0);
  metrics.recordRequest(request(b), 499, 10, 0);
  metrics.recordRequest(request(b), 502, 10, 0);
  metrics.recordRequest(request(b), 101, 10, 0);
  metrics.recordRequest(request(undefined), 503, 1, 0);
  const m = await scrape(metrics);
  const count = (upstream: string, method: string, code_class: string) =>
    m.value("sluice_requests_total", { route: "", pool: "", upstream, method, code_class });
  assert.equal(count("a", "GET", "2xx"), 2);
  assert.equal(count("a", "POST", "2xx"), 1);
  assert.equal(count("b", "GET", "1xx"), 1);
  assert.equal(count("b", "GET", "3xx"), 1);
  assert.equal(count("b", "GET", "4xx"), 2, "404 and 499");
  assert.equal(count("b", "GET", "5xx"), 1);
  assert.equal(count("", "GET", "5xx"), 1, "no upstream: empty label");
  assert.equal(count("a", "GET", "5xx"), undefined, "no series before the first request");
  assert.equal(m.series("sluice_requests_total").length, 7);
});

Deno.test("metrics: methods outside the standard set are OTHER", async () => {
  for (const method of ["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "CONNECT"]) {
    assert.equal(methodLabel(method), method);
  }
  assert.equal(methodLabel("TRACE"), "TRACE");
  assert.equal(methodLabel("PROPFIND"), "OTHER");
  assert.equal(methodLabel("patch"), "OTHER", "methods are case-sensitive (RFC 9110 §9.1)");
  assert.equal(methodLabel(""), "OTHER");

  const pool = twoUpstreams();
  const metrics = createMetrics({ pool, processMetrics: false });
  for (const method of ["PROPFIND", "MKCOL", "BREW", "patch"]) {
    metrics.recordRequest(request(pool.get("u1"), { method }), 200, 1, 0);
  }
  const m = await scrape(metrics);
  assert.deepEqual(m.series("sluice_requests_total").map((s) => [s.labels.method, s.value]), [
    ["OTHER", 4],
  ]);
});

Deno.test("metrics: code classes", () => {
  assert.deepEqual(
    [100, 101, 200, 299, 300, 304, 400, 499, 500, 504, 599].map(codeClass),
    ["1xx", "1xx", "2xx", "2xx", "3xx", "3xx", "4xx", "4xx", "5xx", "5xx", "5xx"],
  );
});

Deno.test("metrics: request duration histogram in seconds, per upstream", async () => {
  const pool = twoUpstreams();
  const a = pool.get("u1")!;
  const metrics = createMetrics({ pool, processMetrics: false });
  for (const ms of [0.5, 3, 40, 40, 2000, 45_000]) metrics.recordRequest(request(a), 200, ms, 0);
  const m = await scrape(metrics);
  const bucket = (le: string) =>
    m.value("sluice_request_duration_seconds_bucket", { route: "", pool: "", upstream: "a", le });
  assert.equal(bucket("0.001"), 1);
  assert.equal(bucket("0.005"), 2);
  assert.equal(bucket("0.025"), 2);
  assert.equal(bucket("0.05"), 4);
  assert.equal(bucket("2.5"), 5);
  assert.equal(bucket("30"), 5);
  assert.equal(bucket("+Inf"), 6);
  assert.equal(
    m.value("sluice_request_duration_seconds_count", { route: "", pool: "", upstream: "a" }),
    6,
  );
  const sum = m.value("sluice_request_duration_seconds_sum", {
    route: "",
    pool: "",
    upstream: "a",
  })!;
  assert.ok(Math.abs(sum - 47.0835) < 1e-9, `sum ${sum}`);
  assert.deepEqual(
    m.series("sluice_request_duration_seconds_bucket").map((s) => s.labels.le),
    [...REQUEST_DURATION_BUCKETS.map(String), "+Inf"],
  );
});

Deno.test("metrics: retries by the upstream of the last attempt, bytes in and out", async () => {
  const pool = twoUpstreams();
  const a = pool.get("u1")!;
  const b = pool.get("u2")!;
  const metrics = createMetrics({ pool, processMetrics: false });
  metrics.recordRequest(request(a, { attempts: 1, contentLength: 1000 }), 200, 1, 5000);
  metrics.recordRequest(request(b, { attempts: 3, contentLength: 24 }), 200, 1, 10);
  metrics.recordRequest(request(b, { attempts: 2 }), 502, 1, 0);
  metrics.recordRequest(request(b, { method: "POST" }), 200, 1, 0); // chunked: no length
  metrics.recordRequest(request(undefined, { contentLength: 7 }), 503, 1, 120);
  const m = await scrape(metrics);
  assert.equal(m.value("sluice_retries_total", { route: "", pool: "", upstream: "a" }), 0);
  assert.equal(m.value("sluice_retries_total", { route: "", pool: "", upstream: "b" }), 3);
  assert.equal(m.value("sluice_retries_total", { route: "", pool: "", upstream: "" }), 0);
  assert.equal(
    m.value("sluice_bytes_received_total", { route: "", pool: "", upstream: "a" }),
    1000,
  );
  assert.equal(m.value("sluice_bytes_received_total", { route: "", pool: "", upstream: "b" }), 24);
  assert.equal(m.value("sluice_bytes_received_total", { route: "", pool: "", upstream: "" }), 7);
  assert.equal(m.value("sluice_bytes_sent_total", { route: "", pool: "", upstream: "a" }), 5000);
  assert.equal(m.value("sluice_bytes_sent_total", { route: "", pool: "", upstream: "b" }), 10);
  assert.equal(m.value("sluice_bytes_sent_total", { route: "", pool: "", upstream: "" }), 120);
});

Deno.test("metrics: upstream up and in-flight are read from the pool at scrape time", async () => {
  const pool = twoUpstreams();
  const metrics = createMetrics({ pool, processMetrics: false });
  const a = pool.get("u1")!;
  a.acquire();
  a.acquire();
  let m = await scrape(metrics);
  assert.equal(m.value("sluice_upstream_up", { pool: "default", upstream: "a" }), 1);
  assert.equal(m.value("sluice_upstream_up", { pool: "default", upstream: "b" }), 1);
  assert.equal(m.value("sluice_upstream_in_flight", { pool: "default", upstream: "a" }), 2);
  assert.equal(m.value("sluice_upstream_in_flight", { pool: "default", upstream: "b" }), 0);
  assert.equal(m.value("sluice_upstream_attempts_total", { pool: "default", upstream: "a" }), 2);
  assert.equal(
    m.value("sluice_upstream_health", { pool: "default", upstream: "a", state: "unknown" }),
    1,
  );
  assert.equal(
    m.value("sluice_upstream_health", { pool: "default", upstream: "a", state: "up" }),
    0,
  );

  a.release();
  a.failuresTotal++;
  pool.setHealth("u1", true);
  pool.setHealth("u2", false);
  pool.setAdminState("u1", "draining");
  m = await scrape(metrics);
  assert.equal(m.value("sluice_upstream_in_flight", { pool: "default", upstream: "a" }), 1);
  assert.equal(m.value("sluice_upstream_up", { pool: "default", upstream: "a" }), 0, "draining");
  assert.equal(m.value("sluice_upstream_up", { pool: "default", upstream: "b" }), 0, "down");
  assert.equal(m.value("sluice_upstream_failures_total", { pool: "default", upstream: "a" }), 1);
  assert.deepEqual(
    m.series("sluice_upstream_health").filter((s) => s.value === 1).map((s) => s.labels),
    [{ pool: "default", upstream: "a", state: "up" }, {
      pool: "default",
      upstream: "b",
      state: "down",
    }],
  );
  assert.deepEqual(
    m.series("sluice_upstream_admin_state").filter((s) => s.value === 1).map((s) => s.labels),
    [{ pool: "default", upstream: "a", state: "draining" }, {
      pool: "default",
      upstream: "b",
      state: "ready",
    }],
  );
  assert.deepEqual(m.series("sluice_upstream_info").map((s) => s.labels), [
    { pool: "default", upstream_id: "u1", upstream: "a", url: "http://127.0.0.1:9001" },
    { pool: "default", upstream_id: "u2", upstream: "b", url: "http://127.0.0.1:9002" },
  ]);
});

Deno.test("metrics: a removed upstream leaves the pool series; its traffic counters stay", async () => {
  const pool = twoUpstreams();
  const metrics = createMetrics({ pool, processMetrics: false });
  metrics.recordRequest(request(pool.get("u2")), 200, 1, 0);
  metrics.observeHealthCheck(pool.get("u2")!, { ok: true, latencyMs: 1, at: 0, detail: "" });
  let m = await scrape(metrics);
  assert.equal(m.value("sluice_upstream_up", { pool: "default", upstream: "b" }), 1);
  pool.remove("u2");
  pool.add({ id: "u3", name: "c", url: "http://127.0.0.1:9003", servesBeforeCheck: false });
  m = await scrape(metrics);
  for (
    const name of [
      "sluice_upstream_up",
      "sluice_upstream_in_flight",
      "sluice_upstream_health",
      "sluice_upstream_admin_state",
      "sluice_upstream_attempts_total",
      "sluice_upstream_failures_total",
      "sluice_upstream_info",
    ]
  ) {
    assert.ok(m.series(name).length > 0, name);
    assert.ok(m.series(name).every((s) => s.labels.upstream !== "b"), `${name} still lists b`);
  }
  assert.equal(
    m.value("sluice_upstream_up", { pool: "default", upstream: "c" }),
    0,
    "waits for its first check",
  );
  assert.equal(
    m.value("sluice_requests_total", {
      route: "",
      pool: "",
      upstream: "b",
      method: "GET",
      code_class: "2xx",
    }),
    1,
  );
  assert.equal(
    m.value("sluice_health_checks_total", { pool: "default", upstream: "b", result: "success" }),
    1,
  );
});

Deno.test("metrics: upstreams sharing a name share their series, without duplicates", async () => {
  const pool = new Pool([
    { id: "u1", name: "api", url: "http://127.0.0.1:9001" },
    { id: "u2", name: "api", url: "http://127.0.0.1:9002" },
  ]);
  const metrics = createMetrics({ pool, processMetrics: false });
  pool.get("u1")!.acquire();
  pool.get("u2")!.acquire();
  pool.get("u2")!.acquire();
  pool.setHealth("u2", false);
  metrics.recordRequest(request(pool.get("u1")), 200, 1, 0);
  metrics.recordRequest(request(pool.get("u2")), 200, 1, 0);
  const m = await scrape(metrics); // parseExposition rejects duplicate series
  assert.equal(m.value("sluice_upstream_in_flight", { pool: "default", upstream: "api" }), 3);
  assert.equal(
    m.value("sluice_upstream_up", { pool: "default", upstream: "api" }),
    1,
    "one of two available",
  );
  assert.equal(
    m.value("sluice_upstream_health", { pool: "default", upstream: "api", state: "down" }),
    1,
  );
  assert.equal(
    m.value("sluice_upstream_health", { pool: "default", upstream: "api", state: "unknown" }),
    1,
  );
  assert.equal(
    m.value("sluice_requests_total", {
      route: "",
      pool: "",
      upstream: "api",
      method: "GET",
      code_class: "2xx",
    }),
    2,
  );
  assert.deepEqual(m.series("sluice_upstream_info").map((s) => s.labels.upstream_id), [
    "u1",
    "u2",
  ]);
});

Deno.test("metrics: label values are escaped", async () => {
  const name = 'we"ird\\name\nx';
  const pool = new Pool([{ id: "u1", name, url: "http://127.0.0.1:9001" }]);
  const metrics = createMetrics({ pool, processMetrics: false });
  metrics.recordRequest(request(pool.get("u1")), 200, 1, 0);
  const m = await scrape(metrics);
  assert.equal(m.value("sluice_upstream_up", { pool: "default", upstream: name }), 1);
  assert.equal(
    m.value("sluice_requests_total", {
      route: "",
      pool: "",
      upstream: name,
      method: "GET",
      code_class: "2xx",
    }),
    1,
  );
});

Deno.test("metrics: health checks by result, and their duration", async () => {
  const pool = twoUpstreams();
  const metrics = createMetrics({ pool, processMetrics: false });
  const onResult = metrics.observeHealthCheck; // detached, as the checker holds it
  const a = pool.get("u1")!;
  onResult(a, { ok: true, latencyMs: 2, at: Date.now(), detail: "HTTP 200" });
  onResult(a, { ok: true, latencyMs: 30, at: Date.now(), detail: "HTTP 200" });
  onResult(a, { ok: false, latencyMs: 2000, at: Date.now(), detail: "timed out after 2000ms" });
  onResult(pool.get("u2")!, { ok: false, latencyMs: 1, at: Date.now(), detail: "refused" });
  const m = await scrape(metrics);
  assert.equal(
    m.value("sluice_health_checks_total", { pool: "default", upstream: "a", result: "success" }),
    2,
  );
  assert.equal(
    m.value("sluice_health_checks_total", { pool: "default", upstream: "a", result: "failure" }),
    1,
  );
  assert.equal(
    m.value("sluice_health_checks_total", { pool: "default", upstream: "b", result: "failure" }),
    1,
  );
  assert.equal(
    m.value("sluice_health_check_duration_seconds_count", { pool: "default", upstream: "a" }),
    3,
  );
  assert.equal(
    m.value("sluice_health_check_duration_seconds_sum", { pool: "default", upstream: "a" }),
    2.032,
  );
  assert.equal(
    m.value("sluice_health_check_duration_seconds_bucket", {
      pool: "default",
      upstream: "a",
      le: "0.05",
    }),
    2,
  );
});

Deno.test("metrics: requests in flight come from the traffic totals", async () => {
  const traffic = new Traffic();
  const metrics = createMetrics({ pool: twoUpstreams(), traffic, processMetrics: false });
  traffic.begin();
  traffic.begin();
  traffic.end(200, 1, 1);
  assert.equal((await scrape(metrics)).value("sluice_requests_in_flight"), 1);
  assert.equal(
    (await scrape(createMetrics({ pool: twoUpstreams(), processMetrics: false })))
      .types.has("sluice_requests_in_flight"),
    false,
  );
});

Deno.test("metrics: process metrics are present and plausible, and can be left out", async () => {
  const m = await scrape(createMetrics({ pool: twoUpstreams() }));
  const rss = m.value("process_resident_memory_bytes")!;
  assert.ok(rss > 1024 * 1024, `rss ${rss}`);
  assert.ok(m.value("process_heap_bytes")! > 0);
  assert.ok(m.value("deno_heap_total_bytes")! >= m.value("process_heap_bytes")!);
  assert.ok(m.value("deno_external_memory_bytes")! > 0);
  assert.ok(m.value("process_cpu_seconds_total")! > 0);
  assert.ok(m.value("process_cpu_user_seconds_total")! > 0);
  assert.ok(m.value("process_cpu_system_seconds_total")! >= 0);
  const start = m.value("process_start_time_seconds")!;
  assert.ok(start <= Date.now() / 1000 && start > Date.now() / 1000 - 3600, `start ${start}`);
  assert.equal(
    m.value("deno_version_info", {
      version: Deno.version.deno,
      v8: Deno.version.v8,
      typescript: Deno.version.typescript,
    }),
    1,
  );

  const bare = await scrape(createMetrics({ pool: twoUpstreams(), processMetrics: false }));
  assert.ok(![...bare.types.keys()].some((name) => !name.startsWith("sluice_")));
});

Deno.test("metrics: a given registry is used, and a second set in it is refused", async () => {
  const registry = new Registry();
  const metrics = createMetrics({ pool: twoUpstreams(), registry });
  assert.equal(metrics.registry, registry);
  assert.match(await registry.metrics(), /^# TYPE sluice_requests_total counter$/m);
  assert.throws(() => createMetrics({ pool: twoUpstreams(), registry }), /already been registered/);
});

Deno.test({
  name: "metrics: render works without any permission",
  permissions: "none",
  async fn() {
    const pool = twoUpstreams();
    const metrics = createMetrics({ pool, traffic: new Traffic() });
    metrics.recordRequest(request(pool.get("u1")), 200, 1, 10);
    metrics.observeHealthCheck(pool.get("u1")!, { ok: true, latencyMs: 1, at: 0, detail: "" });
    const m = await scrape(metrics);
    assert.ok(m.value("process_resident_memory_bytes")! > 0);
    assert.ok(m.value("process_cpu_seconds_total")! > 0);
    assert.equal(m.value("sluice_upstream_up", { pool: "default", upstream: "a" }), 1);
  },
});

/** Runs testdata/render_metrics.ts with no permission, auditing every permission check. */
async function renderInSubprocess(...args: string[]): Promise<{ audit: string[]; out: string }> {
  const root = new URL("../../", import.meta.url);
  const script = new URL("./testdata/render_metrics.ts", import.meta.url);
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--quiet", "--no-prompt", script.pathname, ...args],
    cwd: root,
    env: { DENO_AUDIT_PERMISSIONS: "/dev/stderr", NO_COLOR: "1" },
    stdin: "null",
  }).output();
  const err = new TextDecoder().decode(stderr);
  assert.equal(code, 0, err);
  return {
    audit: err.split("\n").filter((line) => line.includes('"permission"')),
    out: new TextDecoder().decode(stdout),
  };
}

Deno.test("metrics: scraping checks no permission at all (deno run --allow-net never prompts)", async () => {
  const { audit, out } = await renderInSubprocess();
  assert.deepEqual(audit, []);
  const m = parseExposition(out);
  assert.ok(m.value("process_resident_memory_bytes")! > 0);
  assert.equal(
    m.value("sluice_requests_total", {
      route: "",
      pool: "",
      upstream: "a",
      method: "GET",
      code_class: "2xx",
    }),
    1,
  );

  // prom-client's collectDefaultMetrics() reads /proc, which would prompt in a terminal.
  const defaults = await renderInSubprocess("--prom-client-defaults");
  assert.ok(
    defaults.audit.some((line) => line.includes('"read"') && line.includes("/proc/self")),
    defaults.audit.join("\n"),
  );
});

Deno.test("metrics: a pool label on upstream series, route and pool labels on request series", async () => {
  const web = new Pool([{ id: "u1", name: "a", url: "http://127.0.0.1:9001" }]);
  const api = new Pool([{ id: "api.u1", name: "a", url: "http://127.0.0.1:9001" }]);
  const metrics = createMetrics({
    pools: () => [{ name: "web", pool: web }, { name: "api", pool: api }],
    processMetrics: false,
  });
  metrics.recordRequest(
    { ...request(api.get("api.u1")), route: "api", pool: "api" },
    200,
    5,
    10,
  );
  metrics.recordRequest({ ...request(undefined), route: undefined, pool: undefined }, 404, 1, 0);
  metrics.observeHealthCheck(
    api.get("api.u1")!,
    { ok: true, latencyMs: 2, at: 0, detail: "" },
    "api",
  );
  const m = await scrape(metrics);
  assert.equal(
    m.value("sluice_requests_total", {
      route: "api",
      pool: "api",
      upstream: "a",
      method: "GET",
      code_class: "2xx",
    }),
    1,
  );
  assert.equal(
    m.value("sluice_requests_total", {
      route: "",
      pool: "",
      upstream: "",
      method: "GET",
      code_class: "4xx",
    }),
    1,
  );
  // One URL in two pools: two upstreams, one series each.
  assert.deepEqual(m.series("sluice_upstream_up").map((s) => s.labels.pool), ["web", "api"]);
  assert.equal(
    m.value("sluice_health_checks_total", { pool: "api", upstream: "a", result: "success" }),
    1,
  );
});

Deno.test("metrics: the duration histogram's text is prom-client's own histogram's, byte for byte", async () => {
  const pool = twoUpstreams();
  const [a, b] = [pool.get("u1")!, pool.get("u2")!];
  const metrics = createMetrics({ pool, processMetrics: false });
  const reference = new Histogram({
    name: "sluice_request_duration_seconds",
    help: "Time from the arrival of a request to the end of its response body, seconds.",
    labelNames: ["route", "pool", "upstream"] as const,
    buckets: [...REQUEST_DURATION_BUCKETS],
    registers: [],
  });
  // Every bound exactly, either side of it, beyond the last, and a spread of random durations,
  // over series created in an order (b before a, route-less before routed) the text must keep.
  const durations = [
    0,
    45_000,
    ...REQUEST_DURATION_BUCKETS.flatMap((s) => [s, s - 1e-9, s + 1e-9])
      .map((s) => s * 1000),
  ];
  for (let i = 0; i < 500; i++) durations.push(Math.random() * 10 ** (Math.random() * 5));
  const series = [
    { upstream: b, route: undefined, pool: undefined },
    { upstream: a, route: "api", pool: "default" },
    { upstream: undefined, route: undefined, pool: undefined },
  ];
  durations.forEach((ms, i) => {
    const s = series[i % series.length]!;
    metrics.recordRequest({ ...request(s.upstream), route: s.route, pool: s.pool }, 200, ms, 0);
    reference.observe({
      route: s.route ?? "",
      pool: s.pool ?? "",
      upstream: s.upstream?.name ?? "",
    }, ms / 1000);
  });
  const section = (text: string) =>
    text.split("\n\n").find((part) => part.includes("# TYPE sluice_request_duration_seconds "));
  const ours = section(await metrics.render());
  const registry = new Registry();
  registry.registerMetric(reference);
  assert.ok(ours !== undefined);
  assert.equal(ours + "\n", await registry.metrics());
});
