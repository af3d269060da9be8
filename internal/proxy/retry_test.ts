import assert from "node:assert/strict";
import {
  UpstreamConnectError,
  UpstreamError,
  UpstreamResetError,
  UpstreamTimeoutError,
} from "./errors.ts";
import { chargesRetryBudget, RetryBudget, shouldRetry } from "./retry.ts";

const base = { retries: 1, bodyReplayable: true, method: "GET", retryNonIdempotent: false };
const connect = { error: new UpstreamConnectError("a", "connection refused") };
const reset = { error: new UpstreamResetError("a", "connection reset") };
const malformed = { error: new UpstreamError("a", "invalid HTTP version parsed") };
const timeout = { error: new UpstreamTimeoutError("a", 100) };

Deno.test("shouldRetry: connect failures for any method, within the retry count", () => {
  assert.equal(shouldRetry(1, connect, base), true);
  assert.equal(shouldRetry(1, connect, { ...base, method: "POST" }), true);
  assert.equal(shouldRetry(2, connect, base), false, "only 1 extra attempt");
  assert.equal(shouldRetry(1, connect, { ...base, bodyReplayable: false }), false);
});

Deno.test("shouldRetry: resets and 502/503/504 only for idempotent methods unless allowed", () => {
  for (const failure of [reset, malformed, { status: 502 }, { status: 503 }, { status: 504 }]) {
    for (const method of ["GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE"]) {
      assert.equal(shouldRetry(1, failure, { ...base, method }), true, `${method}`);
    }
    for (const method of ["POST", "PATCH", "CONNECT"]) {
      assert.equal(shouldRetry(1, failure, { ...base, method }), false, `${method}`);
      assert.equal(shouldRetry(1, failure, { ...base, method, retryNonIdempotent: true }), true);
    }
  }
});

Deno.test("shouldRetry: timeouts, other statuses and unknown errors are not retried", () => {
  assert.equal(shouldRetry(1, timeout, base), false);
  assert.equal(shouldRetry(1, { status: 500 }, base), false);
  assert.equal(shouldRetry(1, { status: 429 }, base), false);
  assert.equal(shouldRetry(1, { error: new Error("bug") }, base), false);
});

Deno.test("RetryBudget: a share of requests in flight, with a floor", () => {
  const budget = new RetryBudget({ percent: 20, minConcurrency: 2 });
  for (let i = 0; i < 20; i++) budget.beginRequest();
  assert.equal(budget.tryAcquire(), true);
  assert.equal(budget.tryAcquire(), true);
  assert.equal(budget.tryAcquire(), true);
  assert.equal(budget.tryAcquire(), true);
  assert.equal(budget.tryAcquire(), false, "20% of 20 = 4");
  budget.release();
  assert.equal(budget.tryAcquire(), true);
  for (let i = 0; i < 20; i++) budget.endRequest();
  for (let i = 0; i < 4; i++) budget.release();
  assert.equal(budget.retries, 0);
  assert.equal(budget.tryAcquire(), true, "floor of 2 with nothing in flight");
  assert.equal(budget.tryAcquire(), true);
  assert.equal(budget.tryAcquire(), false);
});

Deno.test("chargesRetryBudget: answered failures are charged, unanswered requests are not", () => {
  assert.equal(chargesRetryBudget(connect), false, "never sent");
  assert.equal(chargesRetryBudget(reset), false, "connection lost before the response head");
  assert.equal(chargesRetryBudget(malformed), true);
  assert.equal(chargesRetryBudget({ status: 503 }), true);
  assert.equal(chargesRetryBudget({ status: 502 }), true);
});
