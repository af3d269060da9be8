/**
 * The http1 transport's response head parser (`parseResponseHead`) on nginx's answer to
 * `return 200 "hello\n"`: the head every proxied small response pays. Bytes allocated per call
 * are printed before the benchmarks run (method: `bench/_alloc.ts`).
 *
 * Run: `deno bench bench/response_head_bench.ts`
 *
 * @module
 */

import { bytesPerCall, keep } from "./_alloc.ts";
import { parseResponseHead } from "../internal/proxy/http1/response_head.ts";

const NGINX = new TextEncoder().encode(
  "HTTP/1.1 200 OK\r\nServer: nginx/1.22.1\r\nDate: Thu, 03 Dec 2026 17:00:00 GMT\r\n" +
    "Content-Type: application/octet-stream\r\nContent-Length: 6\r\nConnection: keep-alive\r\n\r\n",
);
const LOWER = new TextEncoder().encode(
  "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 17\r\n" +
    'x-powered-by: Express\r\netag: W/"11-abc"\r\ndate: Thu, 03 Dec 2026 17:00:00 GMT\r\n' +
    "connection: keep-alive\r\nkeep-alive: timeout=5\r\n\r\n",
);

const OPTIONS = { warmUp: 100_000, chunk: 200, chunks: 301 };
const nginx = () => keep(parseResponseHead(NGINX, 0, NGINX.length));
const lower = () => keep(parseResponseHead(LOWER, 0, LOWER.length));

const rows: [string, number][] = [
  ["response head: nginx's 5 fields", bytesPerCall(nginx, OPTIONS)],
  ["response head: Node.js/Express's 7 fields, lower case", bytesPerCall(lower, OPTIONS)],
];
// deno-lint-ignore no-console
console.log(
  `Bytes allocated per call (median of 301 chunks of 200)\n` +
    rows.map(([name, bytes]) => `${bytes.toFixed(0).padStart(7)}  ${name}`).join("\n"),
);

Deno.bench("response head: nginx's 5 fields", nginx);
Deno.bench("response head: Node.js/Express's 7 fields, lower case", lower);
