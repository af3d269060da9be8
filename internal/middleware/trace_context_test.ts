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
