/**
 * The load scenarios: what wrk asks for, with how many connections, and which figure heads the
 * summary table. The upstreams answer every path listed here (see `upstream_config.ts`).
 *
 * @module
 */

/** Size of the large download and upload bodies, bytes (1 MiB). */
export const LARGE_BODY_BYTES = 1024 * 1024;

/** The body every upstream answers `/` with. */
export const SMALL_BODY = "hello\n";

/** One load scenario. */
export interface Scenario {
  /** Stable identifier, used by `--scenarios` and in the JSON. */
  id: string;
  /** Human-readable label for tables and the chart. */
  label: string;
  /** Request path. */
  path: string;
  /** Concurrent connections wrk keeps (`-c`). */
  connections: number;
  /** Extra request headers (`-H`). */
  headers: string[];
  /** wrk Lua script beside this file (`-s`), e.g. for a POST body. */
  script?: string;
  /**
   * Which figure heads the summary: requests per second, or payload MiB/s where the payload is
   * the response body (`download`) or the request body (`upload`, which wrk does not count).
   */
  headline: "rps" | "download" | "upload";
}

/** Every scenario, in the order they run within a round. */
export const SCENARIOS: readonly Scenario[] = [
  {
    id: "small-c50",
    label: "small, 50 conns",
    path: "/",
    connections: 50,
    headers: [],
    headline: "rps",
  },
  {
    id: "small-c200",
    label: "small, 200 conns",
    path: "/",
    connections: 200,
    headers: [],
    headline: "rps",
  },
  {
    id: "download-1m",
    label: "1 MiB download, 50 conns",
    path: "/1m",
    connections: 50,
    headers: [],
    headline: "download",
  },
  {
    id: "upload-1m",
    label: "1 MiB upload, 50 conns",
    path: "/upload",
    connections: 50,
    headers: [],
    script: "upload.lua",
    headline: "upload",
  },
  {
    id: "close-c50",
    label: "no keep-alive, 50 conns",
    path: "/",
    connections: 50,
    headers: ["Connection: close"],
    headline: "rps",
  },
];
