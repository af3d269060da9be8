import assert from "node:assert/strict";
import { validateConfig } from "../config/mod.ts";
import { createMetrics } from "../metrics/mod.ts";
import type { Transport } from "../proxy/mod.ts";
import { PoolRuntime } from "./pool_runtime.ts";

/** A transport that is never called: these tests send no request. */
const NO_TRANSPORT: Transport = {
  send: () => Promise.reject(new Error("no request expected")),
  close: () => {},
};

function runtime(file: Record<string, unknown>) {
  const config = validateConfig(file);
  const pool = config.pools[0]!;
  return {
    config,
    runtime: new PoolRuntime(pool, config, {
      transport: NO_TRANSPORT,
      probeTransport: NO_TRANSPORT,
      upstreamTls: {},
      metrics: createMetrics({ processMetrics: false }),
      shutdownSignal: new AbortController().signal,
    }),
  };
}

Deno.test("PoolRuntime: ids are <pool>.u<n> outside the pool default", async () => {
  const { runtime: api } = runtime({ pools: { api: { backends: ["http://a:1", "http://b:1"] } } });
  try {
    assert.deepEqual(api.pool.list().map((u) => u.id), ["api.u1", "api.u2"]);
    assert.equal(api.addUpstream({ url: "http://c:1" }).id, "api.u3");
    assert.throws(() => api.addUpstream({ url: "http://c:1" }), RangeError);
  } finally {
    await api.close();
  }
});

Deno.test("PoolRuntime.reconfigure(): kept upstreams keep their state, others drain or join", async () => {
  const { runtime: api } = runtime({
    pools: { api: { strategy: "round_robin", backends: ["http://a:1", "http://b:1"] } },
  });
  try {
    const a = api.pool.list()[0]!;
    a.acquire(); // one request in flight
    api.pool.setHealth(a.id, true);
    const handlerBefore = api.handler;
    const next = validateConfig({
      pools: {
        api: {
          strategy: "least_connections",
          backends: [{ url: "http://a:1", weight: 3 }, "http://c:1"],
        },
      },
    });
    const changes = await api.reconfigure(next.pools[0]!, next);
    assert.equal(api.pool.get(a.id), a, "the same upstream object");
    assert.equal(a.inFlight, 1);
    assert.equal(a.health, "up");
    assert.equal(a.weight, 3);
    assert.equal(api.pool.list().find((u) => u.url === "http://b:1")?.admin, "draining");
    assert.ok(api.pool.list().some((u) => u.url === "http://c:1"));
    assert.equal(api.strategy.name, "least_connections");
    assert.notEqual(api.handler, handlerBefore, "new requests get the new strategy");
    assert.deepEqual(changes.restartRequired, []);
    for (
      const line of [
        "pool api: draining and removing upstream b:1",
        "pool api: added upstream c:1",
        "pool api: strategy round_robin -> least_connections",
      ]
    ) assert.ok(changes.applied.includes(line), `${line} in ${changes.applied.join("; ")}`);
    a.release();
  } finally {
    await api.close();
  }
});
