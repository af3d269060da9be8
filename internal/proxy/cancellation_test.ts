import assert from "node:assert/strict";
import { Cancellation } from "./cancellation.ts";

Deno.test("cancellation: cancel closes what is in the slot once, the first reason stays", () => {
  const cancellation = new Cancellation();
  let closed = 0;
  cancellation.closeOnCancel({ close: () => closed++ });
  assert.equal(cancellation.aborted, false);
  cancellation.cancel("first");
  cancellation.cancel("second");
  assert.equal(closed, 1);
  assert.equal(cancellation.aborted, true);
  assert.equal(cancellation.reason, "first");
});

Deno.test("cancellation: an emptied slot closes nothing", () => {
  const cancellation = new Cancellation();
  let closed = 0;
  cancellation.closeOnCancel({ close: () => closed++ });
  cancellation.closeOnCancel(undefined);
  cancellation.cancel("late");
  assert.equal(closed, 0);
  assert.equal(cancellation.reason, "late");
});

Deno.test("cancellation: following an AbortSignal, before and after it aborted", () => {
  const controller = new AbortController();
  const following = Cancellation.following(controller.signal);
  assert.equal(following.aborted, false);
  controller.abort("gone");
  assert.equal(following.reason, "gone");
  assert.equal(Cancellation.following(controller.signal).reason, "gone");
});

Deno.test("cancellation: toSignal aborts with the reason, at once when already cancelled", () => {
  const cancellation = new Cancellation();
  const signal = cancellation.toSignal();
  assert.equal(signal.aborted, false);
  cancellation.cancel("timeout");
  assert.equal(signal.aborted, true);
  assert.equal(signal.reason, "timeout");
  assert.equal(cancellation.toSignal().reason, "timeout");
});
