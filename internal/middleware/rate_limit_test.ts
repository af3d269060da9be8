import assert from "node:assert/strict";
import { compose } from "./compose.ts";
import { createContext } from "./context.ts";
import { rateLimit, RateLimiter, type RateLimiterOptions } from "./rate_limit.ts";
import { recover } from "./recover.ts";
import { requestId } from "./request_id.ts";

/** A limiter on a clock the test moves. */
function limiterAt(options: Omit<RateLimiterOptions, "now">) {
  const clock = { now: 1_000 };
  const limiter = new RateLimiter({ ...options, now: () => clock.now });
  return { limiter, clock };
}

Deno.test("RateLimiter: a full bucket allows a burst, then one request per interval", () => {
  const { limiter, clock } = limiterAt({ rate: 5, burst: 2 });
  assert.equal(limiter.take("a"), 0);
  assert.equal(limiter.take("a"), 0);
  assert.equal(limiter.take("a"), 200, "empty: the next token in 1/5 s");
  assert.equal(limiter.take("a"), 200, "a refused request takes no token");
  clock.now += 150;
  assert.equal(limiter.take("a"), 50);
  clock.now += 50;
  assert.equal(limiter.take("a"), 0, "one token refilled");
  assert.equal(limiter.take("a"), 200);
});

Deno.test("RateLimiter: the bucket refills at the rate and never beyond the burst", () => {
  const { limiter, clock } = limiterAt({ rate: 5, burst: 2 });
  limiter.take("a");
  limiter.take("a");
  clock.now += 60_000;
  assert.equal(limiter.take("a"), 0);
  assert.equal(limiter.take("a"), 0);
  assert.equal(limiter.take("a"), 200, "two tokens after a minute idle, not 300");
  clock.now += 400;
  assert.equal(limiter.take("a"), 0);
  assert.equal(limiter.take("a"), 0, "two intervals refill two tokens");
  assert.equal(limiter.take("a"), 200);
});

Deno.test("RateLimiter: each key has its own bucket", () => {
  const { limiter } = limiterAt({ rate: 1, burst: 1 });
  assert.equal(limiter.take("203.0.113.1"), 0);
  assert.equal(limiter.take("203.0.113.1"), 1000);
  assert.equal(limiter.take("203.0.113.2"), 0);
  assert.equal(limiter.size, 2);
});

Deno.test("RateLimiter: fractional rates; the burst defaults to the rate rounded up", () => {
  const slow = limiterAt({ rate: 0.5 }).limiter;
  assert.equal(slow.burst, 1);
  assert.equal(slow.take("a"), 0);
  assert.equal(slow.take("a"), 2000);
  const fast = limiterAt({ rate: 2.5 }).limiter;
  assert.equal(fast.burst, 3);
  for (let i = 0; i < 3; i++) assert.equal(fast.take("a"), 0);
  assert.equal(fast.take("a"), 400);
});

Deno.test("RateLimiter: buckets that are full again are dropped as new clients come", () => {
  const { limiter, clock } = limiterAt({ rate: 10, burst: 1 });
  for (let i = 0; i < 100; i++) limiter.take(`10.0.0.${i}`);
  assert.equal(limiter.size, 100, "all spent within the same 100 ms");
  clock.now += 100;
  for (let i = 0; i < 100; i++) limiter.take(`10.0.1.${i}`);
  // Each new client looks at two old buckets: the 100 full ones are gone after 50 new ones.
  assert.equal(limiter.size, 100);
  assert.equal(limiter.take("10.0.1.0"), 100, "the new ones are kept while they refill");
});

Deno.test("RateLimiter: maxClients bounds memory under a flood of addresses", () => {
  const { limiter } = limiterAt({ rate: 1, burst: 1, maxClients: 1000 });
  limiter.take("heavy");
  assert.equal(limiter.take("heavy"), 1000);
  for (let i = 0; i < 10_000; i++) {
    limiter.take(`2001:db8::${i.toString(16)}`);
    assert.ok(limiter.size <= 1000);
  }
  assert.equal(limiter.size, 1000);
  // The client tracked longest was forgotten first: it gets a full bucket again.
  assert.equal(limiter.take("heavy"), 0);
  assert.equal(limiter.take("2001:db8::270f"), 1000, "the newest are still limited");
});

Deno.test("RateLimiter: rejects a rate, burst or bound that makes no sense", () => {
  for (const rate of [0, -1, Number.NaN, Infinity]) {
    assert.throws(() => new RateLimiter({ rate }), RangeError, `rate ${rate}`);
  }
  assert.throws(() => new RateLimiter({ rate: 1, burst: 0 }), RangeError);
  assert.throws(() => new RateLimiter({ rate: 1, burst: 1.5 }), RangeError);
  assert.throws(() => new RateLimiter({ rate: 1, maxClients: 0 }), RangeError);
});

Deno.test("rateLimit(): 429 with Retry-After in whole seconds and the request id, per client IP", async () => {
  const { limiter, clock } = limiterAt({ rate: 0.4, burst: 2 });
  let forwarded = 0;
  const handle = compose([requestId(), recover(), rateLimit(limiter)], () => {
    forwarded++;
    return Promise.resolve(new Response("ok"));
  });
  const send = (clientIp: string) => {
    const ctx = {
      ...createContext(new Request("http://lb/", { headers: { "x-request-id": "req-1" } }), "lb"),
      startTime: clock.now,
      clientIp,
    };
    return handle(ctx);
  };
  assert.equal((await send("203.0.113.1")).status, 200);
  assert.equal((await send("203.0.113.1")).status, 200);
  const refused = await send("203.0.113.1");
  assert.equal(refused.status, 429);
  assert.equal(refused.headers.get("retry-after"), "3", "2.5 s rounded up");
  assert.equal(refused.headers.get("x-request-id"), "req-1");
  assert.equal(
    await refused.text(),
    "429 Too Many Requests: rate limit of 0.4 requests/s per client, burst 2 exceeded; " +
      "retry after 3s (request id req-1)\n",
  );
  clock.now += 2_000;
  assert.equal((await send("203.0.113.1")).headers.get("retry-after"), "1", "0.5 s rounds up to 1");
  assert.equal((await send("203.0.113.2")).status, 200, "another client IP, another bucket");
  assert.equal(forwarded, 3);
});
