/**
 * Chaos suite: Sluice as a real process (`deno run --allow-net main.ts`) in front of real
 * loopback upstreams that die, hang, answer slowly, close mid-body or after reading a request,
 * flap and answer 500, under a bounded concurrent load (50 clients). Each scenario asserts one
 * acceptance criterion of the reliability issue and prints its figures; the last test prints
 * them all as one table (the README's "Reliability" section).
 *
 * The load is the timeline: chaos is triggered after a number of finished requests, or by the
 * flap timer, and waits are on events (log lines, request counts) with bounds, never sleeps.
 *
 * Scenarios that need a feature Sluice does not have yet are skipped until `main.ts --help`
 * lists its flag; their names say which flag.
 *
 * Run alone: `deno test --allow-net --allow-read --allow-run tests/chaos_test.ts`.
 *
 * @module
 */

import assert from "node:assert/strict";
import { DEFAULT_SWEEP_TICK_MS } from "../internal/proxy/deadline_sweep.ts";
import { within } from "./_fixtures.ts";
import { type LoadResult, type RequestRecord, runLoad, summarize } from "./chaos/load.ts";
import { formatTable, loadFigures, print, type ScenarioFigures } from "./chaos/report.ts";
import { hasFlag, sluiceHelp, SluiceProcess } from "./chaos/sluice_process.ts";
import { type ChaosUpstream, startChaosUpstreams } from "./chaos/upstreams.ts";

const HELP = await sluiceHelp();
/** `[flag, value]` when Sluice has the flag, else nothing. */
const ifFlag = (flag: string, value: string): string[] => hasFlag(HELP, flag) ? [flag, value] : [];

/** Idempotent requests are retried on a reset before the headers and on 502/503/504. */
const RETRIES = ifFlag("--retries", "2");
/** Outlier detection: 3 failures in a row eject an upstream, at first for 500 ms. */
const PASSIVE = [...ifFlag("--passive-failures", "3"), ...ifFlag("--ejection-time", "500ms")];
/**
 * Outlier detection off, where a scenario is about a failure mode itself: ejection would take
 * the failing upstream out of the traffic the scenario means to put through it.
 */
const NO_PASSIVE = ifFlag("--passive-failures", "0");

const CONCURRENCY = 50;
const HEALTH = ["--health-interval", "200ms"];
const figures: ScenarioFigures[] = [];

/**
 * The test name, with the flags it waits for when Sluice lacks them (then it is skipped).
 * @param name what the scenario asserts.
 * @param needs flags the scenario cannot pass without.
 */
function scenario(name: string, needs: string[]): { name: string; ignore: boolean } {
  const missing = needs.filter((flag) => !hasFlag(HELP, flag));
  return {
    name: missing.length === 0
      ? `chaos: ${name}`
      : `chaos: ${name} [skipped: needs ${missing.join(", ")}]`,
    ignore: missing.length > 0,
  };
}

const backends = (upstreams: readonly ChaosUpstream[]) => [
  "--backends",
  upstreams.map((u) => u.url).join(","),
];

/** The first few failed requests, for an assertion message. */
function describeFailures(records: readonly RequestRecord[], limit = 5): string {
  const failed = records.filter((r) => r.failed !== undefined || r.status < 200 || r.status > 299);
  return failed.slice(0, limit).map((r) =>
    `${r.id}: ${r.status} ${r.failed ?? ""} ${r.error ?? r.errorBody?.trim() ?? ""} ` +
    `after ${r.latencyMs.toFixed(0)}ms`
  ).join("\n") + (failed.length > limit ? `\n… ${failed.length - limit} more` : "");
}

function report(row: ScenarioFigures): void {
  figures.push(row);
  print(formatTable([row]));
}

Deno.test({
  ...scenario(
    "one of three upstreams killed under load: 0 failed idempotent requests",
    ["--retries"],
  ),
  async fn() {
    // A service time, so that the kill catches requests the victim has read but not answered.
    await using upstreams = startChaosUpstreams(3, { mode: "slow", slowMs: 5 });
    await using sluice = await SluiceProcess.start([
      ...backends(upstreams),
      ...HEALTH,
      ...RETRIES,
      ...PASSIVE,
    ]);
    const victim = upstreams[1]!;
    let killed: Promise<void> | undefined;
    let victimRequestsAtKill = 0;
    /** Requests the victim had read and not answered when it died: reset before the headers. */
    let cut = 0;
    const load = await runLoad({
      url: `${sluice.url}/kill`,
      requests: 20_000,
      concurrency: CONCURRENCY,
      idPrefix: "kill",
      // A bound against a hang, not a speed criterion: on two cores shared with other test
      // runs the load went as slow as 240 requests/s, 83 s for 20,000 (past the 60 s default).
      deadlineMs: 180_000,
      onResult(_, finished) {
        if (finished !== 5_000) return;
        // Die with requests in hand: what resets them before their response headers.
        killed = victim.waitUntil(() => victim.inFlight >= 3, 2_000, "3 requests in flight")
          .then(() => {
            victimRequestsAtKill = victim.requests;
            cut = victim.inFlight;
            return victim.kill();
          });
        // Awaited below; marked handled so a failure is reported there, not as uncaught.
        killed.catch(() => {});
      },
    });
    await killed;
    const summary = summarize(load.records);
    report({
      scenario: "kill 1 of 3 upstreams (5 ms) at 25%",
      ...loadFigures(summary, load.durationMs),
      criterion: "0 failed idempotent requests",
      measured: `${summary.failed} failed; ${cut} cut in flight by the kill`,
    });
    assert.ok(victimRequestsAtKill > 1_000, "the victim took its share before it was killed");
    assert.ok(cut > 0, "the kill caught requests in flight");
    assert.equal(load.records.length, 20_000, "the load ran to its end");
    assert.equal(summary.failed, 0, describeFailures(load.records));
  },
});

Deno.test({
  ...scenario("an upstream flapping every second: no request lost, error rate bounded", []),
  async fn() {
    await using upstreams = startChaosUpstreams(3);
    await using sluice = await SluiceProcess.start([
      ...backends(upstreams),
      ...HEALTH,
      ...RETRIES,
      ...PASSIVE,
    ]);
    const flapper = upstreams[2]!;
    const stop = new AbortController();
    /** Requests the flapper had read at each transition. */
    const atTransition: number[] = [];
    await using _flapping = flapper.flap(1_000, () => {
      atTransition.push(flapper.requests);
      // Died, came back, died again: then the load stops (requests in flight finish).
      if (atTransition.length === 3) stop.abort();
    });
    const load = await runLoad({
      url: `${sluice.url}/flap`,
      requests: 200_000,
      concurrency: CONCURRENCY,
      idPrefix: "flap",
      deadlineMs: 20_000,
      signal: stop.signal,
    });
    const summary = summarize(load.records);
    const lost = load.records.filter((r) => r.failed !== undefined);
    const errorRate = summary.failed / summary.requests;
    const servedWhileBack = atTransition[2]! - atTransition[1]!;
    report({
      scenario: "1 of 3 upstreams flapping (dies, 1 s later back, 1 s later dies)",
      ...loadFigures(summary, load.durationMs),
      criterion: `0 lost, error rate <= ${MAX_FLAP_ERROR_RATE * 100}%`,
      measured: `${lost.length} lost, ${(errorRate * 100).toFixed(2)}% errors; ` +
        `${servedWhileBack} served while back`,
    });
    assert.equal(load.hitDeadline, false, "the flapper made 3 transitions before the deadline");
    assert.ok(servedWhileBack > 0, "Sluice took the flapper back between restart and death");
    assert.equal(lost.length, 0, describeFailures(lost));
    assert.ok(
      errorRate <= MAX_FLAP_ERROR_RATE,
      `error rate ${(errorRate * 100).toFixed(2)}%:\n${describeFailures(load.records)}`,
    );
  },
});

/** The bound on non-2xx answers while one upstream of three flaps. */
const MAX_FLAP_ERROR_RATE = 0.01;

Deno.test({
  ...scenario(
    "non-idempotent POSTs to an upstream that resets after reading the body are never sent twice",
    [],
  ),
  async fn() {
    await using upstreams = startChaosUpstreams(3);
    await using sluice = await SluiceProcess.start([
      ...backends(upstreams),
      ...HEALTH,
      ...RETRIES,
      ...PASSIVE,
    ]);
    const resetter = upstreams[0]!;
    resetter.mode = "reset-after-body";
    const load = await runLoad({
      url: `${sluice.url}/orders`,
      requests: 2_000,
      concurrency: CONCURRENCY,
      idPrefix: "post",
      method: "POST",
      body: (id) => JSON.stringify({ order: id, nonce: crypto.randomUUID() }),
    });
    const summary = summarize(load.records);
    const receipts = new Map<string, number>();
    for (const upstream of upstreams) {
      for (const [id, count] of upstream.receipts) {
        receipts.set(id, (receipts.get(id) ?? 0) + count);
      }
    }
    const twice = [...receipts].filter(([, count]) => count > 1);
    report({
      scenario: "POSTs, 1 of 3 upstreams resets after reading the body",
      ...loadFigures(summary, load.durationMs),
      criterion: "no POST received twice",
      measured: `${resetter.receiptsTotal} reset, ${twice.length} received twice`,
    });
    assert.ok(resetter.receiptsTotal > 0, "the resetting upstream read some POSTs");
    assert.deepEqual(twice, [], "POSTs an upstream received more than once");
    const byId = new Map(load.records.map((r) => [r.id, r]));
    for (const id of resetter.receipts.keys()) {
      const record = byId.get(id)!;
      assert.equal(record.status, 502, `${id}, reset by its upstream: ${record.status}`);
    }
    assert.equal(
      summary.ok + resetter.receiptsTotal,
      summary.requests,
      describeFailures(load.records),
    );
  },
});

/** `--backend-timeout` of the hanging-upstream and memory scenarios, ms. */
const BACKEND_TIMEOUT_MS = 500;
/**
 * Slack over the backend timeout for a 504 to reach the client, ms. The timeout itself fires on
 * the proxy's deadline sweep, between its time and one tick after it (the documented contract
 * of internal/proxy/deadline_sweep.ts), so the bound is timeout + tick + this slack.
 */
const TIMEOUT_SLACK_MS = 250;
/**
 * Service time of the healthy upstreams in the hanging-upstream scenario, ms: with a real
 * service time, p99 measures how Sluice treats them rather than how two cores are shared
 * between Sluice, the load generator and the upstreams.
 */
const SERVICE_MS = 50;

Deno.test({
  ...scenario(
    "a hanging upstream: its requests end in 504 within the timeout, the others keep p99 within 2x",
    [],
  ),
  async fn() {
    await using upstreams = startChaosUpstreams(3, { mode: "slow", slowMs: SERVICE_MS });
    await using sluice = await SluiceProcess.start([
      ...backends(upstreams),
      ...HEALTH,
      "--backend-timeout",
      `${BACKEND_TIMEOUT_MS}ms`,
      ...RETRIES,
      ...NO_PASSIVE,
    ]);
    // The baseline is measured warm: the first requests pay for connections and the JIT.
    const warmUp = await runLoad({
      url: `${sluice.url}/warm-up`,
      requests: 500,
      concurrency: CONCURRENCY,
      idPrefix: "warm",
    });
    assert.equal(summarize(warmUp.records).failed, 0, describeFailures(warmUp.records));
    const baseline = await runLoad({
      url: `${sluice.url}/baseline`,
      requests: 1_000,
      concurrency: CONCURRENCY,
      idPrefix: "baseline",
    });
    const base = summarize(baseline.records);
    assert.equal(base.failed, 0, describeFailures(baseline.records));

    const hanging = upstreams[2]!;
    hanging.mode = "hang";
    const load = await runLoad({
      url: `${sluice.url}/hang`,
      requests: 450,
      concurrency: CONCURRENCY,
      idPrefix: "hang",
    });
    const summary = summarize(load.records);
    const toHanging = load.records.filter((r) => hanging.receipts.has(r.id));
    const others = load.records.filter((r) => !hanging.receipts.has(r.id));
    const othersSummary = summarize(others);
    const slowest504 = Math.max(0, ...toHanging.map((r) => r.latencyMs));
    report({
      scenario: `3 upstreams answering in ${SERVICE_MS} ms (baseline)`,
      ...loadFigures(base, baseline.durationMs),
      criterion: "–",
      measured: `p99 ${base.p99Ms.toFixed(1)} ms`,
    });
    report({
      scenario: `1 of the 3 hangs, --backend-timeout ${BACKEND_TIMEOUT_MS}ms`,
      ...loadFigures(summary, load.durationMs),
      criterion: "hung: 504 within the timeout; others: p99 <= 2x baseline",
      measured: `${toHanging.length} hung, slowest 504 ${slowest504.toFixed(0)} ms; ` +
        `others p99 ${othersSummary.p99Ms.toFixed(1)} ms (${
          (othersSummary.p99Ms / base.p99Ms).toFixed(2)
        }x)`,
    });
    assert.ok(toHanging.length >= load.records.length / 4, "requests reached the hanging upstream");
    for (const record of toHanging) {
      assert.equal(record.status, 504, `${record.id} to the hanging upstream`);
      assert.ok(
        record.latencyMs >= BACKEND_TIMEOUT_MS &&
          record.latencyMs <= BACKEND_TIMEOUT_MS + DEFAULT_SWEEP_TICK_MS + TIMEOUT_SLACK_MS,
        `${record.id}: 504 after ${record.latencyMs.toFixed(0)}ms`,
      );
    }
    assert.equal(othersSummary.failed, 0, describeFailures(others));
    assert.ok(
      othersSummary.p99Ms <= 2 * base.p99Ms,
      `p99 of the others ${othersSummary.p99Ms.toFixed(1)}ms, baseline ${base.p99Ms.toFixed(1)}ms`,
    );
    // Sluice closed the connection of every request it gave up on.
    await hanging.waitUntil(() => hanging.hanging === 0, 2_000, "rid of hanging requests");
  },
});

Deno.test({
  ...scenario(
    "SIGTERM during the load: every accepted request completes or gets a clear 503; exit 0",
    [],
  ),
  async fn() {
    await using upstreams = startChaosUpstreams(3, { mode: "slow", slowMs: 20 });
    await using sluice = await SluiceProcess.start([
      ...backends(upstreams),
      ...HEALTH,
      "--shutdown-timeout",
      "5s",
      ...RETRIES,
      ...PASSIVE,
    ], { keepAccessLog: true });
    let sigtermAt = Infinity;
    const exited = sluice.child.status;
    const stop = new AbortController();
    void exited.then(() => stop.abort());
    const load = await runLoad({
      url: `${sluice.url}/drain`,
      requests: 20_000,
      concurrency: CONCURRENCY,
      idPrefix: "drain",
      signal: stop.signal,
      onResult(record, finished) {
        // Once new connections are refused there is nothing more to learn from new requests;
        // those in flight still finish.
        if (record.failed !== undefined && sigtermAt < Infinity) stop.abort();
        if (finished !== 1_500) return;
        sigtermAt = performance.now();
        sluice.child.kill("SIGTERM");
      },
    });
    const status = await within(exited, 10_000, "Sluice to exit after SIGTERM");
    await sluice.waitForLog((e) => e.message === "Shutdown complete", 1_000, "the last log line");
    const summary = summarize(load.records);
    const received = new Set(upstreams.flatMap((u) => [...u.receipts.keys()]));
    // Accepted: Sluice logged it, or an upstream got it from Sluice.
    const accepted = load.records.filter((r) => sluice.access.has(r.id) || received.has(r.id));
    const inFlightAtSigterm = load.records.filter((r) =>
      r.startedAt < sigtermAt && r.startedAt + r.latencyMs > sigtermAt
    );
    const completedAfterSigterm = inFlightAtSigterm.filter((r) => r.status === 200);
    const broken = accepted.filter((r) =>
      r.failed !== undefined || !(r.status === 200 || r.status === 503)
    );
    const unclear503 = accepted.filter((r) =>
      r.status === 503 && !r.errorBody?.startsWith("503 Service Unavailable")
    );
    report({
      scenario: "SIGTERM after 1,500 requests (upstreams 20 ms)",
      ...loadFigures(summary, load.durationMs),
      criterion: "accepted: completed or clear 503; exit 0",
      measured: `${accepted.length} accepted, ${completedAfterSigterm.length} finished after ` +
        `SIGTERM, ${broken.length + unclear503.length} broken; exit ${status.code}`,
    });
    assert.equal(status.code, 0);
    assert.ok(completedAfterSigterm.length > 0, "requests were in flight at SIGTERM");
    assert.deepEqual(broken.map((r) => `${r.id}: ${r.status} ${r.error ?? ""}`), []);
    assert.deepEqual(unclear503.map((r) => r.id), []);
    for (const record of accepted) {
      const logged = sluice.access.get(record.id);
      if (logged) assert.equal(logged.status, record.status, `${record.id} logged vs received`);
    }
    // The requests that failed got no response at all (refused, or a keep-alive connection
    // closed before they were read): none was cut short or left hanging.
    for (const record of load.records) {
      if (record.failed !== undefined) assert.equal(record.failed, "request", record.id);
    }
  },
});

/** Bound on resident memory growth from after the warm-up to after the chaos run, bytes. */
const MAX_RSS_GROWTH_BYTES = 30 * 1024 * 1024;

/**
 * Runs requests through Sluice while `upstream` goes through every failure mode, one after
 * another, each for `perStep` finished requests (the hang for half as many: they are slow).
 * @returns the load's result.
 */
async function failureModeCycle(
  sluice: SluiceProcess,
  upstream: ChaosUpstream,
  perStep: number,
  idPrefix: string,
): Promise<LoadResult> {
  const steps: [number, () => unknown][] = [
    [perStep, () => upstream.kill()],
    [perStep, () => (upstream.restart(), upstream.mode = "slow")],
    [perStep / 2, () => upstream.mode = "hang"],
    [perStep, () => upstream.mode = "reset-mid-body"],
    [perStep, () => upstream.mode = "error500"],
    [perStep, () => upstream.mode = "reset-after-body"],
    [perStep, () => upstream.mode = "ok"],
  ];
  const changes: unknown[] = [];
  let nextAt = 0;
  let step = 0;
  const load = await runLoad({
    url: `${sluice.url}/${idPrefix}`,
    requests: steps.reduce((n, [count]) => n + count, 0),
    concurrency: CONCURRENCY,
    idPrefix,
    onResult(_, finished) {
      if (finished < nextAt || step >= steps.length) return;
      const [count, change] = steps[step++]!;
      changes.push(change());
      nextAt = finished + count;
    },
  });
  await Promise.all(changes);
  upstream.mode = "ok";
  return load;
}

Deno.test({
  ...scenario(
    "memory: RSS after a run through every failure mode within 30 MB of RSS after warm-up",
    [],
  ),
  async fn() {
    await using upstreams = startChaosUpstreams(3, { slowMs: SERVICE_MS });
    await using sluice = await SluiceProcess.start([
      ...backends(upstreams),
      ...HEALTH,
      "--backend-timeout",
      `${BACKEND_TIMEOUT_MS}ms`,
      ...RETRIES,
      ...NO_PASSIVE,
    ]);
    const chaos = upstreams[2]!;
    // Healthy traffic first: the V8 heap, the allocator's arenas, the connection pools and the
    // JIT settle (RSS climbs for the first ~5,000 requests without any chaos, then levels off).
    const warmUp = await runLoad({
      url: `${sluice.url}/warm-up`,
      requests: 5_000,
      concurrency: CONCURRENCY,
      idPrefix: "warm",
    });
    assert.equal(summarize(warmUp.records).failed, 0, describeFailures(warmUp.records));
    // Then two whole failure-mode cycles of the size measured: the heap grows to what that
    // workload holds (50 hanging requests at once...) during the warm-up, not the measured run,
    // so what is compared is the same workload run again: a leak shows, heap sizing does not.
    // With less garbage per request the heap left by the healthy warm-up alone is smaller, and
    // the first full cycle may grow it by 15-38 MB, the next ones by 0-12 MB (RSS after the
    // warm-up then after each of five cycles, three runs: 126 163 169 170 176; 150 169 169 173
    // 183 196; 160 174 174 175 176 176 MB). One warm cycle was not always enough under the full
    // suite's load (130.5 -> 161.5 MB once).
    for (const round of [1, 2]) await failureModeCycle(sluice, chaos, 600, `warm-chaos${round}`);
    await sluice.waitForIdle(3_000);
    const rssAfterWarmUp = await sluice.rssBytes();

    const load = await failureModeCycle(sluice, chaos, 600, "chaos");
    const summary = summarize(load.records);
    // Sluice closed the connection of every request it gave up on.
    await chaos.waitUntil(() => chaos.hanging === 0, 2_000, "rid of hanging requests");
    await sluice.waitForIdle(3_000);
    const rssAfterRun = await sluice.rssBytes();
    const growth = rssAfterRun - rssAfterWarmUp;
    const mb = (bytes: number) => (bytes / 1024 / 1024).toFixed(1);
    report({
      scenario: "1 of 3 upstreams dies, slows, hangs, cuts bodies, 500s, resets in turn",
      ...loadFigures(summary, load.durationMs),
      criterion: "RSS growth <= 30 MB after warm-up",
      measured: `RSS ${mb(rssAfterWarmUp)} -> ${mb(rssAfterRun)} MB (${growth >= 0 ? "+" : ""}${
        mb(growth)
      } MB)`,
    });
    assert.equal(summary.noResponse, 0, describeFailures(load.records));
    // Hangs reach the clients as 504s and 500s pass through. A body cut mid-way reaches the
    // client cut with --transport fetch; http1 reads small bodies whole before answering, so
    // the cut is a lost connection before any byte went out, and the GET is retried (as are
    // resets after the body was read): with http1 those need not reach the clients at all.
    assert.ok(
      (summary.statuses[504] ?? 0) > 0 && (summary.statuses[500] ?? 0) > 0,
      "the chaos reached the clients",
    );
    assert.ok(growth <= MAX_RSS_GROWTH_BYTES, `RSS grew by ${mb(growth)} MB`);
  },
});

Deno.test("chaos: figures", () => {
  print(`\nChaos suite, ${CONCURRENCY} concurrent clients, Deno ${Deno.version.deno}:\n`);
  print(formatTable(figures));
});
