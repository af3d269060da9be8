import assert from "node:assert/strict";
import { descendants, parseProcStat, parseVmRss } from "./proc_stat.ts";

Deno.test("parseProcStat reads ppid, utime and stime after the last parenthesis", () => {
  const line = "4242 (nginx: (worker) 1) S 4241 4241 4241 0 -1 4194368 1375 0 0 0 812 307 0 0 " +
    "20 0 1 0 30011 14512128 1200 18446744073709551615 1 1 0 0 0 0 0 4096 0 0 0 0 17 1 0 0\n";
  assert.deepEqual(parseProcStat(line), {
    pid: 4242,
    comm: "nginx: (worker) 1",
    ppid: 4241,
    utimeTicks: 812,
    stimeTicks: 307,
  });
});

Deno.test("parseProcStat refuses what is not a stat line", () => {
  assert.throws(() => parseProcStat("hello"), RangeError);
  assert.throws(() => parseProcStat("12 (x) S notanumber 1 1"), RangeError);
});

Deno.test("parseVmRss reads kB as bytes, 0 when absent", () => {
  assert.equal(
    parseVmRss("Name:\tdeno\nVmHWM:\t  9000 kB\nVmRSS:\t   51234 kB\nThreads:\t9\n"),
    51234 * 1024,
  );
  assert.equal(parseVmRss("Name:\tkthreadd\nState:\tS (sleeping)\n"), 0);
});

Deno.test("descendants walks the tree below root only, root first", () => {
  const processes = [
    { pid: 1, ppid: 0 },
    { pid: 10, ppid: 1 },
    { pid: 11, ppid: 10 },
    { pid: 12, ppid: 10 },
    { pid: 13, ppid: 12 },
    { pid: 20, ppid: 1 },
  ];
  assert.deepEqual(descendants(processes, 10), [10, 11, 12, 13]);
  assert.deepEqual(descendants(processes, 99), [99]);
});
