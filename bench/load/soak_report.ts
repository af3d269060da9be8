/**
 * The soak run's figures: memory over a long run cut into quarters by request count, and
 * whether it stays flat (the "flat (±10%) over 1,000,000 requests").
 *
 * @module
 */

/** One wrk run of the soak, in order. */
export interface SoakSegment {
  /** Requests wrk completed in this segment. */
  requests: number;
  /** Its measured duration, seconds. */
  seconds: number;
  /** Largest resident set size of the proxy seen during the segment, bytes. */
  peakRssBytes: number;
  /** CPU time of the proxy during the segment, µs. */
  cpuMicros: number;
  /** Non-2xx/3xx responses plus socket errors. */
  errors: number;
}

/** One quarter of the run by request count. */
export interface SoakQuarter {
  /** Requests of the segments in it. */
  requests: number;
  /** Median of its segments' peak RSS, bytes. */
  medianPeakRssBytes: number;
}

/** The whole soak, summarised. */
export interface SoakSummary {
  requests: number;
  seconds: number;
  errors: number;
  /** Largest peak RSS of any segment, bytes. */
  peakRssBytes: number;
  /** CPU per request over the whole run, µs. */
  cpuMicrosPerRequest: number;
  quarters: SoakQuarter[];
  /** (largest − smallest) / smallest quarter median: 0.1 is ±10%. */
  spread: number;
  /** `spread` is within the tolerance. */
  flat: boolean;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/**
 * Summarises the segments: each segment goes to the quarter in which its first request falls.
 * @param segments the soak's segments in order; at least four.
 * @param tolerance the largest spread still called flat. @default 0.1
 * @throws {RangeError} with fewer than four segments (a quarter would be empty).
 */
export function summariseSoak(segments: readonly SoakSegment[], tolerance = 0.1): SoakSummary {
  if (segments.length < 4) {
    throw new RangeError(`A soak needs at least 4 segments: current value is ${segments.length}`);
  }
  const requests = segments.reduce((sum, segment) => sum + segment.requests, 0);
  const groups: SoakSegment[][] = [[], [], [], []];
  let before = 0;
  segments.forEach((segment, index) => {
    // The first and last segments always open and close the run's quarters.
    const quarter = index === 0
      ? 0
      : index === segments.length - 1
      ? 3
      : Math.min(3, Math.floor((before * 4) / requests));
    groups[quarter]!.push(segment);
    before += segment.requests;
  });
  // A quarter left empty by one very long segment borrows its neighbour's.
  for (let quarter = 1; quarter < 4; quarter++) {
    if (groups[quarter]!.length === 0) groups[quarter] = groups[quarter - 1]!.slice(-1);
  }
  const quarters = groups.map((group) => ({
    requests: group.reduce((sum, segment) => sum + segment.requests, 0),
    medianPeakRssBytes: median(group.map((segment) => segment.peakRssBytes)),
  }));
  const medians = quarters.map((quarter) => quarter.medianPeakRssBytes);
  const spread = (Math.max(...medians) - Math.min(...medians)) / Math.min(...medians);
  return {
    requests,
    seconds: segments.reduce((sum, segment) => sum + segment.seconds, 0),
    errors: segments.reduce((sum, segment) => sum + segment.errors, 0),
    peakRssBytes: Math.max(...segments.map((segment) => segment.peakRssBytes)),
    cpuMicrosPerRequest: segments.reduce((sum, segment) => sum + segment.cpuMicros, 0) / requests,
    quarters,
    spread,
    flat: spread <= tolerance,
  };
}

const MIB = 1024 * 1024;

/**
 * The soak's Markdown report: totals, the quarters, the verdict.
 * @param title what ran, e.g. the system and its connections.
 */
export function soakMarkdown(title: string, summary: SoakSummary): string {
  const mib = (bytes: number) => (bytes / MIB).toFixed(0);
  const lines = [
    `## Soak: ${title}`,
    "",
    `${summary.requests.toLocaleString("en-US")} requests in ${summary.seconds.toFixed(0)} s ` +
    `(${Math.round(summary.requests / summary.seconds).toLocaleString("en-US")} rps), ` +
    `${summary.errors} errors, ${summary.cpuMicrosPerRequest.toFixed(0)} µs CPU per request, ` +
    `peak RSS ${mib(summary.peakRssBytes)} MiB.`,
    "",
    "| quarter | requests | median peak RSS MiB |",
    "| ---: | ---: | ---: |",
    ...summary.quarters.map((quarter, index) =>
      `| ${index + 1} | ${quarter.requests.toLocaleString("en-US")} | ${
        mib(quarter.medianPeakRssBytes)
      } |`
    ),
    "",
    `Spread of the quarter medians: ${(summary.spread * 100).toFixed(1)}% — ${
      summary.flat ? "flat" : "NOT flat"
    } (±10%).`,
  ];
  return lines.join("\n") + "\n";
}
