import assert from "node:assert/strict";
import { ConfigError, type ConfigProblem } from "./errors.ts";
import { redactConfig } from "./redact.ts";
import { resolveRouting } from "./routing.ts";
import { validateConfig } from "./schema.ts";

function problemsOf(input: unknown): readonly ConfigProblem[] {
  try {
    validateConfig(input);
  } catch (error) {
    assert.ok(error instanceof ConfigError, `expected a ConfigError, got ${String(error)}`);
    return error.problems;
  }
  assert.fail("expected validateConfig() to throw");
}

const ISSUE_EXAMPLE = {
  health: { interval: "5s" },
  pools: {
    api: {
      strategy: "least_connections",
      health: { path: "/health" },
      backends: ["http://10.0.0.5:8000", "http://10.0.0.6:8000"],
    },
    web: { backends: [{ url: "http://10.0.0.7:8000", weight: 3 }, "http://10.0.0.8:8000"] },
  },
  routes: [
    { name: "api", match: { host: "api.example.com" }, pool: "api" },
    {
      name: "static",
      match: { path_prefix: "/static/" },
      strip_prefix: true,
      pool: "web",
      request_headers: { set: { "X-Env": "prod" }, remove: ["Cookie"] },
      response_headers: { set: { "Cache-Control": "public, max-age=3600" }, remove: ["Server"] },
    },
    {
      name: "old-blog",
      match: { path_prefix: "/blog" },
      redirect: { to: "https://blog.example.com{path}", status: 301 },
    },
    {
      name: "maintenance",
      match: { path_prefix: "/billing" },
      respond: { status: 503, body: "billing is down for maintenance\n" },
    },
    { pool: "web" },
  ],
};

Deno.test("validateConfig() reads the issue's pools and routes, pools inheriting top-level settings", () => {
  const config = validateConfig(ISSUE_EXAMPLE);
  const [api, web] = config.pools;
  assert.equal(api?.name, "api");
  assert.equal(api?.strategy, "least_connections");
  assert.equal(api?.health.path, "/health");
  assert.equal(api?.health.intervalMs, 5_000, "inherited key by key");
  assert.equal(web?.strategy, "round_robin");
  assert.equal(web?.health.intervalMs, 5_000);
  assert.deepEqual(web?.backends.map((b) => b.weight), [3, 1]);
  assert.deepEqual(config.routes.map((r) => r.name), [
    "api",
    "static",
    "old-blog",
    "maintenance",
    "route5",
  ]);
  const staticRoute = config.routes[1]!;
  assert.equal(staticRoute.match.pathPrefix, "/static");
  assert.equal(staticRoute.stripPrefix, true);
  assert.deepEqual(staticRoute.requestHeaders, { set: [["x-env", "prod"]], remove: ["cookie"] });
  assert.deepEqual(config.routes[2]!.redirect, {
    to: "https://blog.example.com{path}",
    status: 301,
  });
  assert.deepEqual(config.routes[3]!.respond, {
    status: 503,
    body: "billing is down for maintenance\n",
  });
  // No top-level backends and no route to default: no pool default.
  assert.deepEqual(resolveRouting(config).pools.map((p) => p.name), ["api", "web"]);
});

Deno.test("validateConfig() lists every routing problem at once", () => {
  const problems = problemsOf({
    backends: ["http://a:1"],
    pools: {
      default: { backends: ["http://b:1"] },
      "bad name": {},
      api: { health: { interval: "zz" }, limits: { rate_limit: 3 } },
    },
    routes: [
      { name: "a", pool: "apj" },
      { name: "a", match: { path_prefix: "/x" } },
      { pool: "api", redirect: { to: "/{nope}" } },
      { pool: "api", request_headers: { set: { "Bad Name": "1", "X-Ok": "a\r\nInjected: 1" } } },
      { pool: "api", response_headers: { set: { "Content-Length": "1" } } },
      { pool: "api", strip_prefix: true },
      { match: { host: "http://x.example", methods: [] }, respond: { status: 99 } },
    ],
  });
  const paths = problems.map((p) => p.path);
  for (
    const expected of [
      "pools.default",
      'pools["bad name"]',
      "pools.api.health.interval",
      "pools.api.limits.rate_limit",
      "routes[0].pool",
      "routes[1].name",
      "routes[1]",
      "routes[2].redirect",
      "routes[2].redirect.to",
      'routes[3].request_headers.set["Bad Name"]',
      "routes[3].request_headers.set.X-Ok",
      "routes[4].response_headers.set.Content-Length",
      "routes[5].strip_prefix",
      "routes[6].match.host",
      "routes[6].match.methods",
      "routes[6].respond.status",
    ]
  ) assert.ok(paths.includes(expected), `${expected} missing from ${paths.join(", ")}`);
  const unknown = problems.find((p) => p.path === "routes[0].pool")!;
  assert.match(unknown.message, /"apj" is not a pool .*did you mean "api"/);
  assert.match(problems.find((p) => p.path === "routes[1]")!.message, /has no target/);
});

Deno.test("validateConfig() reports a bad top-level value once, not again in each pool", () => {
  const problems = problemsOf({ health: { interval: "zz" }, pools: { a: {}, b: {} } });
  assert.deepEqual(problems.map((p) => p.path), ["health.interval"]);
});

Deno.test("resolveRouting(): top-level backends are the pool default with a catch-all route", () => {
  const config = validateConfig({ backends: ["http://a:1"], strategy: "random" });
  const { pools, routes } = resolveRouting(config);
  assert.deepEqual(pools.map((p) => [p.name, p.strategy, p.backends.length]), [
    ["default", "random", 1],
  ]);
  assert.deepEqual(routes.map((r) => [r.name, r.pool, r.match.pathPrefix]), [
    ["default", "default", undefined],
  ]);
});

Deno.test("redactConfig() shows pools and routes that read back as the same configuration", () => {
  const config = validateConfig({
    ...ISSUE_EXAMPLE,
    pools: {
      ...ISSUE_EXAMPLE.pools,
      s: { sticky: { cookie: "s", secret: "pool-secret-0123456789" } },
    },
  });
  const shown = redactConfig(config);
  assert.ok(!JSON.stringify(shown).includes("pool-secret-0123456789"));
  assert.deepEqual((shown.pools as Record<string, { sticky: unknown }>).s?.sticky, {
    cookie: "s",
    secret: "[redacted]",
  });
  const again = validateConfig({ routes: shown.routes, pools: { api: {}, web: {} } });
  assert.deepEqual(again.routes, config.routes);
});
