import assert from "node:assert/strict";
import { DeadlineSweep } from "./deadline_sweep.ts";

function handClock() {
  const clock = { now: 1_000 };
  return { clock, sweep: new DeadlineSweep({ tickMs: 25, now: () => clock.now }) };
}

Deno.test("deadline sweep: never fires early, fires in the first sweep at or past its time", () => {
  const { clock, sweep } = handClock();
  const fired: number[] = [];
  sweep.add(1_300, () => fired.push(300));
  sweep.add(1_310, () => fired.push(310));
  sweep.add(1_050, () => fired.push(50));
  for (
    const [now, expected] of [
      [1_049.9, []],
      [1_050, [50]],
      [1_299, [50]],
      [1_305, [50, 300]], // same 25 ms bucket as 310, which is not due yet
      [1_310, [50, 300, 310]],
    ] as const
  ) {
    clock.now = now;
    sweep.sweep();
    assert.deepEqual(fired, expected, `at ${now}`);
  }
  assert.equal(sweep.pending, 0);
});

Deno.test("deadline sweep: a cancelled deadline never fires; cancelling twice is harmless", () => {
  const { clock, sweep } = handClock();
  let fired = 0;
  const a = sweep.add(1_100, () => fired++);
  sweep.add(1_100, () => fired += 10);
  sweep.cancel(a);
  sweep.cancel(a);
  assert.equal(sweep.pending, 1);
  clock.now = 2_000;
  sweep.sweep();
  assert.equal(fired, 10);
  assert.equal(sweep.pending, 0);
});

Deno.test("deadline sweep: a callback may add and cancel deadlines", () => {
  const { clock, sweep } = handClock();
  const fired: string[] = [];
  const later = sweep.add(1_100, () => fired.push("later"));
  sweep.add(1_050, () => {
    fired.push("first");
    sweep.cancel(later);
    sweep.add(1_060, () => fired.push("added"));
  });
  clock.now = 1_200;
  sweep.sweep();
  clock.now = 1_201;
  sweep.sweep();
  assert.deepEqual(fired, ["first", "added"]);
  assert.equal(sweep.pending, 0);
});

Deno.test("deadline sweep: its own timer fires a deadline within a tick, then stops", async () => {
  const sweep = new DeadlineSweep({ tickMs: 10 });
  const start = performance.now();
  const fired = Promise.withResolvers<number>();
  sweep.add(start + 30, () => fired.resolve(performance.now()));
  // The sweep's timer is unref'd: this one keeps the test alive, and bounds the wait.
  const bound = setTimeout(() => fired.reject(new Error("never fired")), 2_000);
  try {
    const at = await fired.promise;
    assert.ok(at - start >= 30, `fired after ${at - start} ms`);
  } finally {
    clearTimeout(bound);
  }
  assert.equal(sweep.pending, 0); // and its interval is cleared: --trace-leaks checks it
});
