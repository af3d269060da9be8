/**
 * Active health checks: probes every upstream on a jittered interval and pushes rise/fall
 * decisions into the pool.
 *
 * @module
 */

import { getLogger } from "@logtape/logtape";
import type { CheckResult, Pool, Upstream } from "../pool/mod.ts";
import { describeNetworkError } from "./network_errors.ts";
import type { Probe } from "./probes.ts";

const logger = getLogger(["sluice", "health"]);

/** Options of {@linkcode ActiveHealthChecker}. */
export interface ActiveHealthCheckerOptions {
  /** The probe to run, e.g. `httpProbe("/health")` or `tcpProbe()`. */
  probe: Probe;
  /** Time between the end of one probe and the start of the next, ms, jittered ±10%. */
  intervalMs: number;
  /** Time after which a probe is aborted and counted as failed, ms. */
  timeoutMs: number;
  /** Consecutive passes that bring a down upstream up ("rise"). @default 2 */
  healthyThreshold?: number;
  /** Consecutive failures that take an up upstream down ("fall"). @default 3 */
  unhealthyThreshold?: number;
  /** Source of randomness for the jitter, in [0, 1). @default Math.random */
  random?: () => number;
  /** Called after every probe with its result (metrics); must not throw. */
  onResult?: (upstream: Upstream, result: CheckResult) => void;
}

interface Target {
  upstream: Upstream;
  passes: number;
  failures: number;
  timer: ReturnType<typeof setTimeout> | undefined;
  controller: AbortController | undefined;
  running: Promise<void> | undefined;
}

/**
 * Probes each upstream of a pool: the first probe at {@linkcode start} (or when an upstream is
 * added), then every `intervalMs` ±10% so probes of many upstreams spread out (HAProxy
 * `spread-checks`). Health is decided with rise/fall thresholds (HAProxy `rise`/`fall`, Envoy
 * `healthy_threshold`/`unhealthy_threshold`); an upstream whose health is still `unknown` takes
 * the result of its first probe at once. Transitions are logged (up at info, down at warn) and
 * pushed with `pool.setHealth`.
 */
export class ActiveHealthChecker {
  readonly #pool: Pool;
  readonly #probe: Probe;
  readonly #intervalMs: number;
  readonly #timeoutMs: number;
  readonly #rise: number;
  readonly #fall: number;
  readonly #random: () => number;
  readonly #onResult: ((upstream: Upstream, result: CheckResult) => void) | undefined;
  readonly #targets = new Map<string, Target>();
  #unsubscribe: (() => void) | undefined;
  #stopped = false;

  /**
   * @param pool the pool whose upstreams are probed; upstreams added or removed later are
   *   followed.
   * @param options probe, interval, timeout and thresholds.
   * @throws {RangeError} when an interval, timeout or threshold is not positive.
   */
  constructor(pool: Pool, options: ActiveHealthCheckerOptions) {
    this.#pool = pool;
    this.#probe = options.probe;
    this.#intervalMs = options.intervalMs;
    this.#timeoutMs = options.timeoutMs;
    this.#rise = options.healthyThreshold ?? 2;
    this.#fall = options.unhealthyThreshold ?? 3;
    this.#random = options.random ?? Math.random;
    this.#onResult = options.onResult;
    for (
      const [name, value] of [["intervalMs", this.#intervalMs], [
        "timeoutMs",
        this.#timeoutMs,
      ]] as const
    ) {
      if (!(value > 0)) throw new RangeError(`${name} must be > 0: current value is ${value}`);
    }
    if (!(this.#rise >= 1) || !(this.#fall >= 1)) {
      throw new RangeError(
        `thresholds must be >= 1: current values are ${this.#rise}/${this.#fall}`,
      );
    }
  }

  /** Starts probing every upstream now, and any upstream added later. Idempotent. */
  start(): void {
    if (this.#unsubscribe || this.#stopped) return;
    this.#unsubscribe = this.#pool.onChange((event) => {
      if (event.type === "added") this.#track(event.upstream);
      else if (event.type === "removed") this.#untrack(event.upstream.id);
    });
    for (const upstream of this.#pool.list()) this.#track(upstream);
  }

  /** Stops all timers, aborts probes in progress and waits for them to settle. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#unsubscribe?.();
    this.#unsubscribe = undefined;
    const running: Promise<void>[] = [];
    for (const id of [...this.#targets.keys()]) {
      const target = this.#untrack(id);
      if (target?.running) running.push(target.running);
    }
    await Promise.all(running);
  }

  /**
   * Runs one probe of one upstream now and applies its result, outside the schedule.
   * @returns once the result is applied; resolves at once for an unknown id.
   */
  async checkNow(id: string): Promise<void> {
    const target = this.#targets.get(id);
    if (!target) return;
    if (target.running) return await target.running;
    clearTimeout(target.timer);
    target.timer = undefined;
    await this.#run(target);
  }

  #track(upstream: Upstream): void {
    if (this.#targets.has(upstream.id)) return;
    const target: Target = {
      upstream,
      passes: 0,
      failures: 0,
      timer: undefined,
      controller: undefined,
      running: undefined,
    };
    this.#targets.set(upstream.id, target);
    target.timer = setTimeout(() => void this.#run(target), 0);
  }

  #untrack(id: string): Target | undefined {
    const target = this.#targets.get(id);
    if (!target) return undefined;
    this.#targets.delete(id);
    clearTimeout(target.timer);
    target.timer = undefined;
    target.controller?.abort(new DOMException("health checker stopped", "AbortError"));
    return target;
  }

  #run(target: Target): Promise<void> {
    target.timer = undefined;
    target.running = this.#probeOnce(target).finally(() => {
      target.running = undefined;
      if (this.#targets.get(target.upstream.id) === target) this.#schedule(target);
    });
    return target.running;
  }

  #schedule(target: Target): void {
    const jitter = 0.9 + 0.2 * this.#random();
    target.timer = setTimeout(() => void this.#run(target), Math.round(this.#intervalMs * jitter));
  }

  async #probeOnce(target: Target): Promise<void> {
    const controller = new AbortController();
    target.controller = controller;
    const timeout = setTimeout(
      () => controller.abort(new DOMException("probe timed out", "TimeoutError")),
      this.#timeoutMs,
    );
    const started = performance.now();
    let ok = false;
    let detail: string;
    try {
      const outcome = await this.#probe(target.upstream, controller.signal);
      ok = outcome.ok;
      detail = outcome.detail;
    } catch (error) {
      detail = controller.signal.aborted
        ? (controller.signal.reason as DOMException)?.name === "TimeoutError"
          ? `timed out after ${this.#timeoutMs}ms`
          : "aborted"
        : describeNetworkError(error);
    } finally {
      clearTimeout(timeout);
      target.controller = undefined;
    }
    // A probe aborted because the upstream was removed or the checker stopped decides nothing.
    if (this.#targets.get(target.upstream.id) !== target) return;
    const latencyMs = performance.now() - started;
    const result: CheckResult = { ok, latencyMs, at: Date.now(), detail };
    target.upstream.lastCheck = result;
    this.#apply(target, ok, detail);
    this.#onResult?.(target.upstream, result);
  }

  #apply(target: Target, ok: boolean, detail: string): void {
    const { upstream } = target;
    if (ok) {
      target.failures = 0;
      target.passes++;
      if (
        upstream.health === "unknown" || (upstream.health === "down" && target.passes >= this.#rise)
      ) {
        const from = upstream.health;
        this.#pool.setHealth(upstream.id, true);
        logger.info("Upstream {upstream} is UP ({detail}, {passes} passing check(s))", {
          upstream: upstream.name,
          upstreamId: upstream.id,
          from,
          detail,
          passes: target.passes,
        });
      }
    } else {
      target.passes = 0;
      target.failures++;
      if (
        upstream.health === "unknown" || (upstream.health === "up" && target.failures >= this.#fall)
      ) {
        const from = upstream.health;
        this.#pool.setHealth(upstream.id, false);
        logger.warn("Upstream {upstream} is DOWN ({detail}, {failures} failed check(s))", {
          upstream: upstream.name,
          upstreamId: upstream.id,
          from,
          detail,
          failures: target.failures,
        });
      } else {
        logger.debug("Health check of {upstream} failed: {detail}", {
          upstream: upstream.name,
          detail,
          failures: target.failures,
        });
      }
    }
  }
}
