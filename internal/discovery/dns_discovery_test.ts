import assert from "node:assert/strict";
import FakeTimers from "@sinonjs/fake-timers";
import { DnsDiscovery, type Resolved } from "./dns_discovery.ts";

const SOURCE = { kind: "a", name: "svc.test", port: 80, url: "dns://svc.test:80" } as const;

Deno.test("DnsDiscovery: TTL clamped to the bounds, failures keep the set and back off", async () => {
  const clock = FakeTimers.install({ toFake: ["setTimeout", "clearTimeout"] });
  try {
    const answers: (Resolved | Error)[] = [
      { urls: ["http://10.0.0.1:80"], ttlSeconds: 1 }, // below min: next in 5 s
      { urls: ["http://10.0.0.1:80", "http://10.0.0.2:80"], ttlSeconds: 3600 }, // above max: 60 s
      new Error("SERVFAIL"), // kept; retried after 5 s
      new Error("SERVFAIL"), // then 10 s
      { urls: ["http://10.0.0.2:80"], ttlSeconds: 30 },
    ];
    const asked: number[] = [];
    const changes: string[][] = [];
    const discovery = new DnsDiscovery(SOURCE, {
      minIntervalMs: 5_000,
      maxIntervalMs: 60_000,
      onChange: (urls) => changes.push([...urls]),
      lookup: () => {
        asked.push(clock.now);
        const answer = answers.shift()!;
        return answer instanceof Error ? Promise.reject(answer) : Promise.resolve(answer);
      },
    });
    await discovery.start();
    for (const step of [5_000, 60_000, 5_000, 10_000]) await clock.tickAsync(step);
    assert.deepEqual(asked, [0, 5_000, 65_000, 70_000, 80_000]);
    assert.deepEqual(changes, [
      ["http://10.0.0.1:80"],
      ["http://10.0.0.1:80", "http://10.0.0.2:80"],
      ["http://10.0.0.2:80"],
    ]);
    assert.deepEqual(discovery.current, ["http://10.0.0.2:80"]);
    await discovery.stop();
  } finally {
    clock.uninstall();
  }
});
