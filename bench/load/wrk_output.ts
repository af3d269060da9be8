/**
 * Parsing of `wrk --latency` output into numbers (requests, rps, latency percentiles, transfer
 * rate, errors). wrk 4.x prints binary units: `KB`/`MB` are 1024-based, latencies in
 * `us`/`ms`/`s`/`m`.
 *
 * @module
 */

/** What one wrk run reported. */
export interface WrkReport {
  /** Completed requests over the whole run (the "N requests in Xs" line). */
  requests: number;
  /** Measured duration of the run, seconds. */
  durationSeconds: number;
  /** Requests per second ("Requests/sec"). */
  rps: number;
  /** Median latency, ms (the "50%" line of the latency distribution). */
  p50Ms: number;
  /** 99th percentile latency, ms. */
  p99Ms: number;
  /** Response bytes read per second ("Transfer/sec"), bytes. */
  readBytesPerSecond: number;
  /** Responses with a status other than 2xx or 3xx. */
  non2xx: number;
  /** Socket errors: connect, read, write and timeout summed. */
  socketErrors: number;
}

const TIME_UNITS_MS: Record<string, number> = {
  us: 0.001,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};
const SIZE_UNITS: Record<string, number> = {
  B: 1,
  KB: 1024,
  MB: 1024 ** 2,
  GB: 1024 ** 3,
  TB: 1024 ** 4,
};

/**
 * Parses a wrk duration such as `117.00us`, `2.70ms`, `1.02s` into milliseconds.
 * @throws {RangeError} when the text is not a number followed by a known unit.
 */
export function parseWrkTime(text: string): number {
  const match = /^(\d+(?:\.\d+)?)(us|ms|s|m|h)$/.exec(text.trim());
  if (!match) throw new RangeError(`Not a wrk duration: "${text}"`);
  return Number(match[1]) * TIME_UNITS_MS[match[2]!]!;
}

/**
 * Parses a wrk size such as `3.42MB` or `568.65KB` (1024-based) into bytes.
 * @throws {RangeError} when the text is not a number followed by a known unit.
 */
export function parseWrkSize(text: string): number {
  const match = /^(\d+(?:\.\d+)?)(B|KB|MB|GB|TB)$/.exec(text.trim());
  if (!match) throw new RangeError(`Not a wrk size: "${text}"`);
  return Number(match[1]) * SIZE_UNITS[match[2]!]!;
}

/**
 * Reads the figures out of the standard output of `wrk --latency`.
 * @param output wrk's whole standard output.
 * @returns the figures; absent error lines count as 0.
 * @throws {RangeError} when a required line (requests, Requests/sec, Transfer/sec, 50%, 99%) is
 *   missing or malformed, naming it.
 */
export function parseWrkOutput(output: string): WrkReport {
  const required = (pattern: RegExp, what: string): RegExpExecArray => {
    const match = pattern.exec(output);
    if (!match) throw new RangeError(`wrk output has no ${what} line`);
    return match;
  };
  const total = required(/^\s*(\d+) requests in (\S+), (\S+) read/m, "'N requests in'");
  const rps = required(/^Requests\/sec:\s+(\d+(?:\.\d+)?)\s*$/m, "Requests/sec");
  const transfer = required(/^Transfer\/sec:\s+(\S+)\s*$/m, "Transfer/sec");
  const p50 = required(/^\s+50%\s+(\S+)\s*$/m, "50% latency");
  const p99 = required(/^\s+99%\s+(\S+)\s*$/m, "99% latency");
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(
    output,
  );
  const non2xx = /Non-2xx or 3xx responses: (\d+)/.exec(output);
  return {
    requests: Number(total[1]),
    durationSeconds: parseWrkTime(total[2]!) / 1000,
    rps: Number(rps[1]),
    p50Ms: parseWrkTime(p50[1]!),
    p99Ms: parseWrkTime(p99[1]!),
    readBytesPerSecond: parseWrkSize(transfer[1]!),
    non2xx: non2xx ? Number(non2xx[1]) : 0,
    socketErrors: socket
      ? Number(socket[1]) + Number(socket[2]) + Number(socket[3]) + Number(socket[4])
      : 0,
  };
}
