/**
 * End-to-end tests of W3C trace context: exactly one valid `traceparent` reaches the upstream,
 * with both transports, without OpenTelemetry (in process) and with Deno's built-in one
 * (`OTEL_DENO=true`, main.ts as a subprocess exporting to a tiny OTLP/HTTP receiver here); the
 * access log carries the trace id.
 */

import assert from "node:assert/strict";
import { parseTraceparent } from "../internal/middleware/mod.ts";
import { get, startSluice, startUpstream, within } from "./_fixtures.ts";
import { proxyTest, TRANSPORTS } from "./_matrix.ts";
import { spawnMain } from "./_process.ts";

const CLIENT_TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";
const CLIENT_PARENT = "00f067aa0ba902b7";
const CLIENT_TRACEPARENT = `00-${CLIENT_TRACE}-${CLIENT_PARENT}-01`;

/** The one traceparent the upstream saw on request `i`, checked to be a single valid value. */
function onlyTraceparent(headers: Headers): string {
  const value = headers.get("traceparent");
  assert.ok(value !== null, "no traceparent reached the upstream");
  assert.ok(!value.includes(","), `more than one traceparent: ${value}`);
  assert.ok(parseTraceparent(value) !== undefined, `invalid traceparent: ${value}`);
  return value;
}

proxyTest("trace context: the client's traceparent and tracestate pass unchanged", async (v) => {
  await using upstream = startUpstream("one");
  await using sluice = await startSluice(v, ["--backends", upstream.url]);
  await get(sluice.url + "/", {
    headers: { traceparent: CLIENT_TRACEPARENT, tracestate: "vendor=abc" },
  });
  const seen = upstream.seen[0]!.headers;
  assert.equal(onlyTraceparent(seen), CLIENT_TRACEPARENT);
  assert.equal(seen.get("tracestate"), "vendor=abc");
});

proxyTest(
  "trace context: none, an invalid or a repeated one is replaced by one new trace",
  async (v) => {
    await using upstream = startUpstream("one");
    await using sluice = await startSluice(v, ["--backends", upstream.url]);
    const cases: HeadersInit[] = [
      {},
      { traceparent: "00-zz-not-valid", tracestate: "vendor=abc" },
      { traceparent: `00-${"0".repeat(32)}-${CLIENT_PARENT}-01` },
      [["traceparent", CLIENT_TRACEPARENT], [
        "traceparent",
        `00-${"1".repeat(32)}-${CLIENT_PARENT}-01`,
      ]],
    ];
    for (const headers of cases) await get(sluice.url + "/", { headers });
    const ids = new Set<string>();
    for (const { headers } of upstream.seen) {
      const value = onlyTraceparent(headers);
      assert.notEqual(parseTraceparent(value), CLIENT_TRACE);
      assert.match(value, /-01$/, "sampled, as a root would be");
      assert.equal(headers.get("tracestate"), null, "a tracestate without its parent is dropped");
      ids.add(parseTraceparent(value)!);
    }
    assert.equal(ids.size, cases.length, "one new trace per request");
  },
);

/** A tiny OTLP/HTTP receiver: answers 200 to every export and counts them. */
function startOtlpReceiver(): AsyncDisposable & { url: string; exports: string[] } {
  const exports: string[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (request) => {
    exports.push(new URL(request.url).pathname);
    await request.body?.cancel();
    return new Response(null, { status: 200 });
  });
  return {
    url: `http://127.0.0.1:${server.addr.port}`,
    exports,
    [Symbol.asyncDispose]: () => server.shutdown(),
  };
}

for (const transport of TRANSPORTS) {
  Deno.test(`trace context with OTEL_DENO=true: one traceparent, a child of the client's [${transport}]`, async () => {
    await using receiver = startOtlpReceiver();
    await using upstream = startUpstream("one");
    await using proc = spawnMain(["--allow-net"], [
      "--host",
      "127.0.0.1",
      "--port",
      "0",
      "--backends",
      upstream.url,
      "--transport",
      transport,
      "--log-format",
      "json",
    ], {
      env: {
        OTEL_DENO: "true",
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
        OTEL_EXPORTER_OTLP_PROTOCOL: "http/json",
        OTEL_SERVICE_NAME: "sluice-test",
      },
    });
    const start = await proc.line((e) => e.logger === "sluice.app" && typeof e.port === "number");
    const base = `http://127.0.0.1:${start.port}`;
    await get(base + "/with", { headers: { traceparent: CLIENT_TRACEPARENT } });
    await get(base + "/without");
    const [withClient, without] = upstream.seen;
    const value = onlyTraceparent(withClient!.headers);
    assert.equal(parseTraceparent(value), CLIENT_TRACE, "same trace as the client's");
    assert.ok(!value.includes(CLIENT_PARENT), "a span of Sluice's is the parent, not the client");
    onlyTraceparent(without!.headers);
    const logged = await proc.line((e) => e.logger === "sluice.access" && e.path === "/with");
    assert.equal(logged.trace_id, CLIENT_TRACE);
    proc.child.kill("SIGTERM");
    await within(proc.child.status, 10_000, "main.ts exiting");
  });
}

Deno.test("trace context: the access log carries the trace id (no OpenTelemetry)", async () => {
  await using upstream = startUpstream("one");
  await using proc = spawnMain(["--allow-net"], [
    "--host",
    "127.0.0.1",
    "--port",
    "0",
    "--backends",
    upstream.url,
    "--log-format",
    "json",
  ]);
  const start = await proc.line((e) => e.logger === "sluice.app" && typeof e.port === "number");
  await get(`http://127.0.0.1:${start.port}/traced`, {
    headers: { traceparent: CLIENT_TRACEPARENT },
  });
  await get(`http://127.0.0.1:${start.port}/fresh`);
  const traced = await proc.line((e) => e.logger === "sluice.access" && e.path === "/traced");
  assert.equal(traced.trace_id, CLIENT_TRACE);
  const fresh = await proc.line((e) => e.logger === "sluice.access" && e.path === "/fresh");
  assert.equal(fresh.trace_id, parseTraceparent(upstream.seen[1]!.headers.get("traceparent")!));
  proc.child.kill("SIGTERM");
  await within(proc.child.status, 10_000, "main.ts exiting");
});
