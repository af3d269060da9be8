/**
 * End-to-end tests of `--compression`: through main's chain and both transports, a text
 * response the upstream sent uncompressed reaches the client as br or gzip as it accepts, with
 * Vary; off by default; a streamed (chunked) body is compressed too; a small body is not.
 */

import assert from "node:assert/strict";
import { brotliDecompressSync } from "node:zlib";
import { startSluice, startUpstream } from "./_fixtures.ts";
import { proxyTest } from "./_matrix.ts";
import { rawGet } from "./_raw_http.ts";

const PAGE = "<li>an item of a long, repetitive list</li>\n".repeat(500);

function pageUpstream() {
  return startUpstream("page", (request) => {
    const path = new URL(request.url).pathname;
    if (path === "/small") {
      return new Response("tiny", { headers: { "content-type": "text/plain" } });
    }
    if (path === "/stream") {
      const bytes = new TextEncoder().encode(PAGE);
      const body = new ReadableStream<Uint8Array>({
        start(controller) {
          for (let i = 0; i < bytes.length; i += 4096) controller.enqueue(bytes.slice(i, i + 4096));
          controller.close();
        },
      });
      return new Response(body, { headers: { "content-type": "text/html" } });
    }
    return new Response(PAGE, { headers: { "content-type": "text/html; charset=utf-8" } });
  });
}

proxyTest("compression: br or gzip as the client accepts, with Vary", async (v) => {
  await using upstream = pageUpstream();
  await using sluice = await startSluice(v, ["--backends", upstream.url, "--compression"]);
  // fetch decodes bodies itself: the header says what travelled, the text that it decoded.
  const br = await fetch(sluice.url + "/", { headers: { "accept-encoding": "br, gzip" } });
  assert.equal(br.headers.get("content-encoding"), "br");
  assert.equal(br.headers.get("vary"), "Accept-Encoding");
  assert.equal(await br.text(), PAGE);
  const gzip = await fetch(sluice.url + "/", { headers: { "accept-encoding": "gzip" } });
  assert.equal(gzip.headers.get("content-encoding"), "gzip");
  assert.equal(await gzip.text(), PAGE);
  const streamed = await fetch(sluice.url + "/stream", { headers: { "accept-encoding": "br" } });
  assert.equal(streamed.headers.get("content-encoding"), "br");
  assert.equal(await streamed.text(), PAGE);
  const identity = await fetch(sluice.url + "/", { headers: { "accept-encoding": "identity" } });
  assert.equal(identity.headers.get("content-encoding"), null);
  assert.equal(identity.headers.get("vary"), "Accept-Encoding");
  assert.equal(await identity.text(), PAGE);
  const small = await fetch(sluice.url + "/small", { headers: { "accept-encoding": "br" } });
  assert.equal(small.headers.get("content-encoding"), null);
  assert.equal(await small.text(), "tiny");
});

proxyTest("compression: the bytes on the wire are brotli, a fraction of the page", async (v) => {
  await using upstream = pageUpstream();
  await using sluice = await startSluice(v, ["--backends", upstream.url, "--compression"]);
  // A raw exchange: Deno's fetch would decode the body.
  const { headers, body: bytes } = await rawGet(sluice.url, "/", "Accept-Encoding: br\r\n");
  assert.equal(headers.get("content-encoding"), "br");
  assert.ok(bytes.length < PAGE.length / 10, `${bytes.length} bytes for ${PAGE.length}`);
  assert.equal(new TextDecoder().decode(brotliDecompressSync(bytes)), PAGE);
});

proxyTest("compression: off by default", async (v) => {
  await using upstream = pageUpstream();
  await using sluice = await startSluice(v, ["--backends", upstream.url]);
  const response = await fetch(sluice.url + "/", { headers: { "accept-encoding": "br, gzip" } });
  assert.equal(response.headers.get("content-encoding"), null);
  assert.equal(response.headers.get("vary"), null);
  assert.equal(await response.text(), PAGE);
});
