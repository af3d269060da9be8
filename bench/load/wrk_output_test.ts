import assert from "node:assert/strict";
import { parseWrkOutput, parseWrkSize, parseWrkTime } from "./wrk_output.ts";

const KEEP_ALIVE = `Running 1s test @ http://127.0.0.1:18999/
  1 threads and 10 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency    23.98ms   60.83ms 271.45ms   88.04%
    Req/Sec    28.38k     7.52k   33.69k    87.50%
  Latency Distribution
     50%  117.00us
     75%    1.49ms
     90%  115.52ms
     99%  256.11ms
  25323 requests in 1.08s, 3.69MB read
Requests/sec:  23462.97
Transfer/sec:      3.42MB
`;

const WITH_ERRORS = `Running 2s test @ http://127.0.0.1:8080/upload
  1 threads and 50 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     1.02s   300.10ms   1.99s    70.00%
    Req/Sec    40.00     10.00    60.00     70.00%
  Latency Distribution
     50%    1.02s
     75%    1.20s
     90%    1.50s
     99%    1.99s
  80 requests in 2.01s, 11.72KB read
  Socket errors: connect 1, read 2, write 3, timeout 4
  Non-2xx or 3xx responses: 7
Requests/sec:     39.80
Transfer/sec:      5.83KB
`;

Deno.test("parseWrkOutput reads requests, rps, percentiles and transfer", () => {
  const report = parseWrkOutput(KEEP_ALIVE);
  assert.equal(report.requests, 25323);
  assert.equal(report.durationSeconds, 1.08);
  assert.equal(report.rps, 23462.97);
  assert.equal(report.p50Ms, 0.117);
  assert.equal(report.p99Ms, 256.11);
  assert.equal(report.readBytesPerSecond, 3.42 * 1024 * 1024);
  assert.equal(report.non2xx, 0);
  assert.equal(report.socketErrors, 0);
});

Deno.test("parseWrkOutput sums socket errors and counts non-2xx responses", () => {
  const report = parseWrkOutput(WITH_ERRORS);
  assert.equal(report.socketErrors, 10);
  assert.equal(report.non2xx, 7);
  assert.equal(report.p50Ms, 1020);
  assert.equal(report.readBytesPerSecond, 5.83 * 1024);
});

Deno.test("parseWrkOutput names the missing line", () => {
  assert.throws(
    () => parseWrkOutput(KEEP_ALIVE.replace(/^\s+99%.*$/m, "")),
    (error: Error) => error instanceof RangeError && /99% latency/.test(error.message),
  );
  assert.throws(() => parseWrkOutput("unable to connect to 127.0.0.1:1 Connection refused"));
});

Deno.test("parseWrkTime and parseWrkSize convert units, refuse unknown ones", () => {
  assert.equal(parseWrkTime("2.70ms"), 2.7);
  assert.equal(parseWrkTime("1.50m"), 90_000);
  assert.equal(parseWrkSize("512.00B"), 512);
  assert.equal(parseWrkSize("1.00GB"), 1024 ** 3);
  assert.throws(() => parseWrkTime("3 ms"), RangeError);
  assert.throws(() => parseWrkSize("3.0kB"), RangeError);
});
