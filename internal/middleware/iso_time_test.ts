import assert from "node:assert/strict";
import { isoTime } from "./iso_time.ts";

Deno.test("isoTime: the same text as toISOString, across seconds, years and odd inputs", () => {
  const times = [
    0,
    1,
    999,
    1000,
    Date.UTC(2026, 10, 21, 20, 23, 57, 25),
    Date.UTC(2026, 10, 21, 20, 23, 57, 999),
    Date.UTC(2026, 10, 21, 20, 23, 58, 0),
    Date.UTC(1969, 11, 31, 23, 59, 59, 500), // negative
    Date.UTC(2026, 0, 1) + 0.7, // fractional ms
    Date.UTC(10000, 0, 1, 0, 0, 0, 5), // 6-digit year
  ];
  for (let t = Date.UTC(2026, 5, 1); t < Date.UTC(2026, 5, 1) + 3000; t += 7) times.push(t);
  for (const t of times) assert.equal(isoTime(t), new Date(t).toISOString(), String(t));
});
