import assert from "node:assert/strict";
import { createContext, requestDurationMs, wallClockMs } from "./context.ts";

Deno.test("context: the request's duration is read from the clock once, by its first reader", () => {
  const ctx = createContext(new Request("http://shop.example/"), "10.0.0.1");
  assert.equal(ctx.endTime, undefined);
  const first = requestDurationMs(ctx);
  assert.ok(first >= 0);
  const end = ctx.endTime;
  assert.equal(typeof end, "number");
  // The clock moves on (a bounded spin: performance.now() advances within microseconds).
  for (let i = 0; i < 1e7 && performance.now() === end; i++) { /* spin */ }
  assert.ok(performance.now() > end!);
  assert.equal(requestDurationMs(ctx), first);
  assert.equal(ctx.endTime, end);
});

Deno.test("context: receivedAt is the arrival on the wall clock, whole ms, as Date.now() says", () => {
  for (let i = 0; i < 1000; i++) {
    const before = Date.now();
    const ctx = createContext(new Request("http://shop.example/"), "10.0.0.1");
    const after = Date.now();
    assert.ok(Number.isInteger(ctx.receivedAt));
    // Derived from the monotonic clock: at most 1 ms under what Date.now() read then.
    assert.ok(
      ctx.receivedAt >= before - 1 && ctx.receivedAt <= after,
      `${before} ${ctx.receivedAt} ${after}`,
    );
    assert.equal(wallClockMs(ctx.startTime), ctx.receivedAt);
  }
});
