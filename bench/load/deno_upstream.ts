/**
 * The upstreams when nginx is not installed: one Deno process answering on each port given as
 * an argument, like `nginxUpstreamsConfig`: `GET /` is `hello\n`, `GET /1m` is 1 MiB,
 * `POST /upload` reads the body and answers `ok\n`.
 *
 * Run: `deno run --allow-net bench/load/deno_upstream.ts PORT...`
 *
 * @module
 */

import { SMALL_BODY } from "./scenarios.ts";
import { LARGE_BODY_PATH_NAME, largeBody } from "./upstream_files.ts";

const large = largeBody();
const small = new TextEncoder().encode(SMALL_BODY);

async function handle(request: Request): Promise<Response> {
  const path = new URL(request.url).pathname;
  if (path === "/") return new Response(small, { headers: { "content-type": "text/plain" } });
  if (path === `/${LARGE_BODY_PATH_NAME}`) return new Response(large);
  if (path === "/upload") {
    if (request.body) { for await (const _ of request.body); // read and discard
     }
    return new Response("ok\n");
  }
  await request.body?.cancel();
  return new Response("not found\n", { status: 404 });
}

if (import.meta.main) {
  for (const port of Deno.args.map(Number)) {
    Deno.serve({ hostname: "127.0.0.1", port, onListen() {} }, handle);
  }
}
