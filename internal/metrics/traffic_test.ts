import assert from "node:assert/strict";
import { Traffic } from "./traffic.ts";

function clock(start = 1_000_000_000) {
  let now = start;
  return { now: () => now, advance: (ms: number) => now += ms };
}

Deno.test("traffic: begin counts a request in flight until end", () => {
  const traffic = new Traffic();
  traffic.begin();
  traffic.begin();
  assert.deepEqual(traffic.totals(), { requests: 2, errors: 0, inFlight: 2, retries: 0 });
  traffic.end(200, 5, 1);
  assert.equal(traffic.inFlight, 1);
  assert.equal(traffic.requests, 2);
  traffic.end(204, 5, 1);
  assert.deepEqual(traffic.totals(), { requests: 2, errors: 0, inFlight: 0, retries: 0 });
});

Deno.test("traffic: errors are statuses >= 500, Sluice's own included; 4xx and 499 are not", () => {
  const traffic = new Traffic();
  for (const status of [500, 502, 503, 504, 404, 499, 200]) {
    traffic.begin();
    traffic.end(status, 1, status === 503 ? 0 : 1);
  }
  assert.equal(traffic.errors, 4);
  assert.equal(traffic.requests, 7);
});

Deno.test("traffic: retries are attempts - 1, none for requests that reached no upstream", () => {
  const traffic = new Traffic();
  const attempts = [1, 3, 0, 2];
  for (const n of attempts) {
    traffic.begin();
    traffic.end(200, 1, n);
  }
  assert.equal(traffic.retries, 3);
});

Deno.test("traffic: stats see the whole request duration and the error rate", () => {
  const c = clock();
  const traffic = new Traffic({ now: c.now });
  for (let i = 1; i <= 100; i++) {
    traffic.begin();
    traffic.end(i <= 25 ? 503 : 200, i, 1); // 1..100 ms
  }
  const s = traffic.stats.snapshot();
  assert.equal(s.requests, 100);
  assert.equal(s.rps, 10);
  assert.equal(s.errorRate, 0.25);
  assert.ok(s.p99Ms! >= 99 && s.p99Ms! <= 99 * 1.25, `p99 ${s.p99Ms}`);
  c.advance(61_000);
  assert.equal(traffic.stats.snapshot().requests, 0, "the window has moved on");
  assert.equal(traffic.requests, 100, "totals stay");
});

Deno.test("traffic: windowSeconds sets the stats window", () => {
  const c = clock();
  const traffic = new Traffic({ now: c.now, windowSeconds: 10 });
  traffic.begin();
  traffic.end(200, 1, 1);
  c.advance(11_000);
  assert.equal(traffic.stats.snapshot().requests, 0);
});
