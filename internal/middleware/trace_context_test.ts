import assert from "node:assert/strict";
import { decideTrace, parseTraceparent } from "./trace_context.ts";

const TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";

Deno.test("parseTraceparent() follows W3C Trace Context §3.2", () => {
  assert.equal(parseTraceparent(`00-${TRACE}-00f067aa0ba902b7-01`), TRACE);
  assert.equal(
    parseTraceparent(`01-${TRACE}-00f067aa0ba902b7-01-future`),
    TRACE,
    "a later version",
  );
  for (
    const invalid of [
      "",
      `00-${TRACE}-00f067aa0ba902b7-01-extra`, // version 00 has four fields
      `ff-${TRACE}-00f067aa0ba902b7-01`, // version ff is invalid
      `00-${TRACE.toUpperCase()}-00f067aa0ba902b7-01`, // lower-case hex only
      `00-${"0".repeat(32)}-00f067aa0ba902b7-01`, // all-zero trace id
      `00-${TRACE}-${"0".repeat(16)}-01`, // all-zero parent id
      `00-${TRACE}-00f067aa0ba902b7-01, 00-${TRACE}-00f067aa0ba902b8-01`, // two, joined
      `00-${TRACE}-00f067aa0ba902b-01`,
    ]
  ) {
    assert.equal(parseTraceparent(invalid), undefined, invalid);
  }
});

Deno.test("decideTrace() without OpenTelemetry keeps a valid one and makes a new one otherwise", () => {
  const kept = decideTrace(
    new Headers({ traceparent: `00-${TRACE}-00f067aa0ba902b7-00`, tracestate: "a=1" }),
  );
  assert.deepEqual(kept, {
    traceId: TRACE,
    traceparent: `00-${TRACE}-00f067aa0ba902b7-00`,
    tracestate: "a=1",
    fromPlatform: false,
  });
  const made = decideTrace(new Headers({ traceparent: "garbage", tracestate: "a=1" }));
  assert.equal(parseTraceparent(made.traceparent), made.traceId);
  assert.match(made.traceparent, /^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
  assert.equal(made.tracestate, undefined);
  assert.notEqual(decideTrace(new Headers()).traceId, made.traceId);
});

Deno.test("decideTrace(): new ids are well formed, distinct, and use every digit at every place", () => {
  // 1,000 traces draw 24,000 random bytes: the 4 KiB pool is refilled five times on the way.
  const seen = Array.from({ length: 48 }, () => new Set<string>());
  const ids = new Set<string>();
  for (let i = 0; i < 1000; i++) {
    const { traceId, traceparent } = decideTrace(new Headers());
    assert.match(traceparent, /^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    assert.equal(parseTraceparent(traceparent), traceId);
    assert.equal(traceparent.slice(3, 35), traceId);
    ids.add(traceparent);
    const digits = traceparent.slice(3, 35) + traceparent.slice(36, 52);
    for (let place = 0; place < 48; place++) seen[place]!.add(digits[place]!);
  }
  assert.equal(ids.size, 1000);
  // A digit missing at a place by chance: (15/16)^1000, about 1e-28.
  for (const digits of seen) assert.equal(digits.size, 16);
});
