/**
 * Micro benchmarks of `compress()`: what compressing a 22 KB HTML response costs, read to the
 * end, with brotli (quality 4) and gzip, against the same response passed through (a client
 * that accepts no coding, which only gets `Vary`).
 *
 * Run: `deno bench bench/compression_bench.ts`
 *
 * @module
 */

import { compress, createContext } from "../internal/middleware/mod.ts";

const PAGE = new TextEncoder().encode(
  '<li class="item"><a href="/items/42">An item of a long list</a> <span>12.50</span></li>\n'
    .repeat(250),
);
const middleware = compress({
  types: ["text/*"],
  minSizeBytes: 1024,
  algorithms: ["br", "gzip"],
});
const upstream = () =>
  Promise.resolve(
    new Response(PAGE, { headers: { "content-type": "text/html; charset=utf-8" } }),
  );

async function respond(acceptEncoding: string): Promise<number> {
  const request = new Request("http://shop.example/list", {
    headers: { "accept-encoding": acceptEncoding },
  });
  const response = await middleware(createContext(request, "127.0.0.1"), upstream);
  return (await response.arrayBuffer()).byteLength;
}

Deno.bench(
  "22 KB page passed through (identity)",
  { group: "compress", baseline: true },
  async () => {
    await respond("identity");
  },
);
Deno.bench("22 KB page, gzip (CompressionStream)", { group: "compress" }, async () => {
  await respond("gzip");
});
Deno.bench("22 KB page, br quality 4 (node:zlib)", { group: "compress" }, async () => {
  await respond("br");
});
