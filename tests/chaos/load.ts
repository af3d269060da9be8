/**
 * A bounded load generator for the chaos suite: a fixed number of requests sent by a fixed
 * number of concurrent clients, stopped by a deadline if it runs long, each request recorded
 * with its id, status, latency and failure.
 *
 * @module
 */

/** Where a request failed, when it did. */
export type FailurePhase =
  /** fetch rejected: no response headers (connection refused, reset, closed). */
  | "request"
  /** The headers came but reading the body failed (cut short). */
  | "body"
  /** No answer within the request timeout, or the load's deadline passed. */
  | "timeout";

/** One request as the client saw it. */
export interface RequestRecord {
  /** The `X-Request-Id` sent. */
  id: string;
  /** Response status, 0 when no response headers came. */
  status: number;
  /** From just before `fetch` to the end of the body (or the failure), ms. */
  latencyMs: number;
  /** `performance.now()` when the request was sent, ms. */
  startedAt: number;
  /** `X-Upstream` of the response: the chaos upstream that answered, if one did. */
  upstream: string | null;
  /** The body of a response of status 500 or more (Sluice's error text). */
  errorBody?: string;
  /** Where it failed; absent when a whole response arrived. */
  failed?: FailurePhase;
  /** The failure's message. */
  error?: string;
}

/** Options of {@linkcode runLoad}. */
export interface LoadOptions {
  /** URL every request is sent to. */
  url: string;
  /** Requests to send in all. */
  requests: number;
  /** Clients sending one request after another. @default 50 */
  concurrency?: number;
  /** Request method. @default "GET" */
  method?: string;
  /** Body of the request with this id; none when absent. */
  body?: (id: string) => string;
  /** Prefix of the request ids, `${prefix}-${n}`. @default "load" */
  idPrefix?: string;
  /** Bound on one request, body included, ms. @default 10_000 */
  requestTimeoutMs?: number;
  /**
   * Bound on the whole run, ms: no request starts after it, and requests still running are
   * aborted (recorded as `timeout`). @default 60_000
   */
  deadlineMs?: number;
  /** Aborting it stops the load: no new request starts; those running finish. */
  signal?: AbortSignal;
  /** Told of every finished request with the number finished so far (the chaos timeline). */
  onResult?: (record: RequestRecord, finished: number) => void;
}

/** What {@linkcode runLoad} measured. */
export interface LoadResult {
  /** Every request sent, in the order they finished. */
  records: RequestRecord[];
  /** Wall time of the run, ms. */
  durationMs: number;
  /** Whether the deadline stopped the run. */
  hitDeadline: boolean;
}

/** Counts and latency percentiles over some records. */
export interface LoadSummary {
  requests: number;
  /** Whole responses with a 2xx status. */
  ok: number;
  /** Everything else: statuses other than 2xx and failures. */
  failed: number;
  /** Requests without any response status (fetch rejected or timed out). */
  noResponse: number;
  /** Responses whose body was cut short (headers came, the body failed). */
  cutBodies: number;
  /** Count per status (0: no response) of the requests whose body was not cut. */
  statuses: Record<number, number>;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

/**
 * Sends `options.requests` requests from `options.concurrency` clients, each waiting for its
 * response (body read whole) before sending the next. Every request carries a unique
 * `X-Request-Id`. Uses its own `Deno.HttpClient` (keep-alive pool) and closes it, and clears
 * every timer, before resolving.
 * @param options target, size, bounds, method and body.
 * @returns every request's record and the run's duration.
 */
export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const concurrency = options.concurrency ?? 50;
  const requestTimeoutMs = options.requestTimeoutMs ?? 10_000;
  const prefix = options.idPrefix ?? "load";
  const method = options.method ?? "GET";
  const records: RequestRecord[] = [];
  using client = Deno.createHttpClient({ poolMaxIdlePerHost: concurrency });
  const deadline = new AbortController();
  const deadlineTimer = setTimeout(
    () => deadline.abort(new Error("load deadline passed")),
    options.deadlineMs ?? 60_000,
  );
  const started = performance.now();
  let next = 0;

  async function one(n: number): Promise<RequestRecord> {
    const id = `${prefix}-${n}`;
    const controller = new AbortController();
    const abort = () => controller.abort();
    deadline.signal.addEventListener("abort", abort);
    const timer = setTimeout(abort, requestTimeoutMs);
    const startedAt = performance.now();
    const record: RequestRecord = { id, status: 0, latencyMs: 0, startedAt, upstream: null };
    try {
      const init: RequestInit & { client: Deno.HttpClient } = {
        method,
        headers: { "x-request-id": id },
        signal: controller.signal,
        client,
      };
      if (options.body) init.body = options.body(id);
      const response = await fetch(options.url, init);
      record.status = response.status;
      record.upstream = response.headers.get("x-upstream");
      try {
        const text = await response.text();
        if (response.status >= 500) record.errorBody = text;
      } catch (error) {
        record.failed = controller.signal.aborted ? "timeout" : "body";
        record.error = message(error);
      }
    } catch (error) {
      record.failed = controller.signal.aborted ? "timeout" : "request";
      record.error = message(error);
    } finally {
      clearTimeout(timer);
      deadline.signal.removeEventListener("abort", abort);
      record.latencyMs = performance.now() - startedAt;
    }
    return record;
  }

  async function worker(): Promise<void> {
    while (next < options.requests && !deadline.signal.aborted && !options.signal?.aborted) {
      const record = await one(next++);
      records.push(record);
      options.onResult?.(record, records.length);
    }
  }

  try {
    await Promise.all(Array.from({ length: concurrency }, worker));
  } finally {
    clearTimeout(deadlineTimer);
  }
  return {
    records,
    durationMs: performance.now() - started,
    hitDeadline: deadline.signal.aborted,
  };
}

/**
 * Counts and latency percentiles (nearest rank) over `records`.
 * @param records the requests to summarize.
 * @returns the summary; percentiles are 0 for no records.
 */
export function summarize(records: readonly RequestRecord[]): LoadSummary {
  const statuses: Record<number, number> = {};
  let ok = 0;
  let noResponse = 0;
  let cutBodies = 0;
  for (const record of records) {
    if (record.failed === "body") cutBodies++;
    else statuses[record.status] = (statuses[record.status] ?? 0) + 1;
    if (record.failed === undefined && record.status >= 200 && record.status < 300) ok++;
    if (record.status === 0) noResponse++;
  }
  const latencies = records.map((r) => r.latencyMs).sort((a, b) => a - b);
  return {
    requests: records.length,
    ok,
    failed: records.length - ok,
    noResponse,
    cutBodies,
    statuses,
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
    maxMs: latencies.at(-1) ?? 0,
  };
}

/**
 * The nearest-rank percentile of sorted values.
 * @param sorted values in ascending order.
 * @param p the percentile, 0–100.
 * @returns the value, or 0 when there is none.
 */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1]!;
}

function message(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause instanceof Error ? `: ${error.cause.message}` : "";
  return error.message + cause;
}
