import assert from "node:assert/strict";
import { formatDuration, parseDuration } from "./duration.ts";

Deno.test("parseDuration() reads every unit", () => {
  assert.equal(parseDuration("250ms"), 250);
  assert.equal(parseDuration("2s"), 2_000);
  assert.equal(parseDuration("1m"), 60_000);
  assert.equal(parseDuration("1h"), 3_600_000);
  assert.equal(parseDuration("0s"), 0);
});

Deno.test("parseDuration() reads fractions and compound durations", () => {
  assert.equal(parseDuration("1.5s"), 1_500);
  assert.equal(parseDuration("1.1s"), 1_100);
  assert.equal(parseDuration("0.25m"), 15_000);
  assert.equal(parseDuration("1m30s"), 90_000);
  assert.equal(parseDuration("1h1m1s1ms"), 3_661_001);
});

Deno.test("parseDuration() takes plain milliseconds as a number or a digit string", () => {
  assert.equal(parseDuration(250), 250);
  assert.equal(parseDuration("250"), 250);
  assert.equal(parseDuration(" 2s "), 2_000);
});

Deno.test("parseDuration() rejects malformed strings with the value and a hint", () => {
  for (const bad of ["10 sec", "", "s", "2S", "1.s", ".5s", "1e3", "2d", "ms", "1s 2s", "+5s"]) {
    assert.throws(() => parseDuration(bad), {
      name: "RangeError",
      message: `${JSON.stringify(bad)} is not a duration (use 250ms, 2s, 1m or milliseconds)`,
    });
  }
});

Deno.test("parseDuration() rejects negative durations", () => {
  assert.throws(() => parseDuration(-5), {
    name: "RangeError",
    message: "-5 is not a duration: it must not be negative",
  });
  assert.throws(() => parseDuration("-5s"), {
    name: "RangeError",
    message: '"-5s" is not a duration: it must not be negative',
  });
});

Deno.test("parseDuration() rejects parts of a millisecond, NaN and infinity", () => {
  assert.throws(() => parseDuration("0.5ms"), {
    name: "RangeError",
    message: '"0.5ms" is not a duration: it must be a whole number of milliseconds',
  });
  assert.throws(() => parseDuration(1.5), /whole number of milliseconds/);
  assert.throws(() => parseDuration(Number.NaN), RangeError);
  assert.throws(() => parseDuration(Infinity), /too long/);
  assert.throws(() => parseDuration("99999999999999999999h"), /too long/);
});

Deno.test("parseDuration() rejects values that are not strings or numbers", () => {
  assert.throws(() => parseDuration(true as unknown as string), TypeError);
});

Deno.test("formatDuration() uses the largest exact unit and round-trips", () => {
  assert.equal(formatDuration(10_000), "10s");
  assert.equal(formatDuration(1_500), "1500ms");
  assert.equal(formatDuration(120_000), "2m");
  assert.equal(formatDuration(7_200_000), "2h");
  assert.equal(formatDuration(0), "0ms");
  for (const ms of [0, 1, 999, 1_000, 61_000, 3_600_000]) {
    assert.equal(parseDuration(formatDuration(ms)), ms);
  }
});
