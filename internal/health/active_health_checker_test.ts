import assert from "node:assert/strict";
import FakeTimers from "@sinonjs/fake-timers";
import { Pool, type Upstream } from "../pool/mod.ts";
import { ActiveHealthChecker } from "./active_health_checker.ts";
import type { Probe } from "./probes.ts";

/** A probe whose answer per upstream is set by the test; records every call. */
function scriptedProbe(): { probe: Probe; up: Map<string, boolean>; calls: string[] } {
  const up = new Map<string, boolean>();
  const calls: string[] = [];
  const probe: Probe = (upstream: Upstream) => {
    calls.push(upstream.id);
    const ok = up.get(upstream.id) ?? true;
    return ok ? Promise.resolve({ ok, detail: "HTTP 200" }) : Promise.reject(new Error("refused"));
  };
  return { probe, up, calls };
}

function twoUpstreams(): Pool {
  return new Pool([
    { id: "a", name: "a", url: "http://127.0.0.1:9001" },
    { id: "b", name: "b", url: "http://127.0.0.1:9002" },
  ]);
}

Deno.test("health: first probe at start decides unknown health at once", async () => {
  const clock = FakeTimers.install({ toFake: ["setTimeout", "clearTimeout"] });
  const pool = twoUpstreams();
  const { probe, up } = scriptedProbe();
  up.set("b", false);
  const results: string[] = [];
  const checker = new ActiveHealthChecker(pool, {
    probe,
    intervalMs: 1000,
    timeoutMs: 500,
    onResult: (upstream, result) => results.push(`${upstream.id}:${result.ok}`),
  });
  try {
    checker.start();
    await clock.tickAsync(0);
    assert.equal(pool.get("a")?.health, "up");
    assert.equal(pool.get("b")?.health, "down");
    assert.deepEqual(results.toSorted(), ["a:true", "b:false"]);
    assert.equal(pool.get("b")?.lastCheck?.ok, false);
    assert.equal(pool.get("b")?.lastCheck?.detail, "refused");
  } finally {
    await checker.stop();
    clock.uninstall();
  }
});

Deno.test("health: fall after 3 failures, rise after 2 passes, interval jittered ±10%", async () => {
  const clock = FakeTimers.install({ toFake: ["setTimeout", "clearTimeout"] });
  const pool = twoUpstreams();
  const { probe, up, calls } = scriptedProbe();
  let r = 0;
  const random = () => [0, 0.999][r++ % 2]!; // delays alternate 900ms and ~1100ms
  const checker = new ActiveHealthChecker(pool, {
    probe,
    intervalMs: 1000,
    timeoutMs: 500,
    healthyThreshold: 2,
    unhealthyThreshold: 3,
    random,
  });
  try {
    checker.start();
    await clock.tickAsync(0);
    assert.equal(pool.get("a")?.health, "up");
    up.set("a", false);
    const probesOfA = () => calls.filter((id) => id === "a").length;
    const before = probesOfA();
    await clock.tickAsync(1100); // one more probe of a, within the jitter bound
    assert.equal(probesOfA(), before + 1);
    assert.equal(pool.get("a")?.health, "up", "1 failure < fall");
    await clock.tickAsync(1100);
    assert.equal(pool.get("a")?.health, "up", "2 failures < fall");
    await clock.tickAsync(1100);
    assert.equal(pool.get("a")?.health, "down", "3 failures = fall");
    assert.deepEqual(pool.available().map((u) => u.id), ["b"]);
    up.set("a", true);
    await clock.tickAsync(1100);
    assert.equal(pool.get("a")?.health, "down", "1 pass < rise");
    await clock.tickAsync(1100);
    assert.equal(pool.get("a")?.health, "up", "2 passes = rise");
  } finally {
    await checker.stop();
    clock.uninstall();
  }
});

Deno.test("health: a probe that hangs fails at the timeout", async () => {
  const clock = FakeTimers.install({ toFake: ["setTimeout", "clearTimeout"] });
  const pool = new Pool([{ id: "a", name: "a", url: "http://127.0.0.1:9001" }]);
  const probe: Probe = (_u, signal) =>
    new Promise((_, reject) => signal.addEventListener("abort", () => reject(signal.reason)));
  const checker = new ActiveHealthChecker(pool, { probe, intervalMs: 1000, timeoutMs: 300 });
  try {
    checker.start();
    await clock.tickAsync(299);
    assert.equal(pool.get("a")?.health, "unknown");
    await clock.tickAsync(1);
    assert.equal(pool.get("a")?.health, "down");
    assert.equal(pool.get("a")?.lastCheck?.detail, "timed out after 300ms");
  } finally {
    await checker.stop();
    clock.uninstall();
  }
});

Deno.test("health: follows upstreams added and removed at run time; stop ends all timers", async () => {
  const clock = FakeTimers.install({ toFake: ["setTimeout", "clearTimeout"] });
  const pool = twoUpstreams();
  const { probe, calls } = scriptedProbe();
  const checker = new ActiveHealthChecker(pool, { probe, intervalMs: 1000, timeoutMs: 500 });
  try {
    checker.start();
    await clock.tickAsync(0);
    pool.add({ id: "c", name: "c", url: "http://127.0.0.1:9003", servesBeforeCheck: false });
    assert.equal(pool.get("c")?.available, false, "a newcomer waits for its first check");
    await clock.tickAsync(0);
    assert.equal(pool.get("c")?.health, "up");
    assert.equal(pool.get("c")?.available, true);
    pool.remove("b");
    const seen = calls.length;
    await clock.tickAsync(5000);
    assert.ok(!calls.slice(seen).includes("b"), "removed upstream is not probed");
    await checker.stop();
    const afterStop = calls.length;
    await clock.tickAsync(5000);
    assert.equal(calls.length, afterStop);
    assert.equal(clock.countTimers(), 0);
  } finally {
    await checker.stop();
    clock.uninstall();
  }
});
