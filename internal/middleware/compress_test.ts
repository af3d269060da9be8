import assert from "node:assert/strict";
import { brotliDecompressSync } from "node:zlib";
import { compress, negotiateEncoding } from "./compress.ts";
import { createContext } from "./context.ts";

const OPTIONS = {
  types: ["text/*", "application/json"],
  minSizeBytes: 1024,
  algorithms: ["br", "gzip"] as const,
};
const BODY = "<p>hello, compressible world</p>\n".repeat(200);

async function run(
  response: () => Response,
  request: RequestInit & { acceptEncoding?: string } = { acceptEncoding: "gzip, br" },
): Promise<Response> {
  const headers = new Headers(request.headers);
  if (request.acceptEncoding !== undefined) headers.set("accept-encoding", request.acceptEncoding);
  const req = new Request("http://sluice.test/page", { method: request.method ?? "GET", headers });
  return await compress({ ...OPTIONS, algorithms: [...OPTIONS.algorithms] })(
    createContext(req, "127.0.0.1"),
    () => Promise.resolve(response()),
  );
}

function html(init: ResponseInit = {}, body: string | null = BODY): Response {
  const headers = new Headers(init.headers);
  if (!headers.has("content-type")) headers.set("content-type", "text/html; charset=utf-8");
  return new Response(body, { ...init, headers });
}

Deno.test("negotiateEncoding() picks the best q-value, the server's order on ties", () => {
  const both = ["br", "gzip"] as const;
  assert.equal(negotiateEncoding("gzip, deflate, br", [...both]), "br");
  assert.equal(negotiateEncoding("gzip;q=1, br;q=0.5", [...both]), "gzip");
  assert.equal(negotiateEncoding("br;q=0, gzip", [...both]), "gzip");
  assert.equal(negotiateEncoding("*", [...both]), "br");
  assert.equal(negotiateEncoding("*, br;q=0", [...both]), "gzip");
  assert.equal(negotiateEncoding("identity", [...both]), undefined);
  assert.equal(negotiateEncoding("gzip;q=0", [...both]), undefined);
  assert.equal(negotiateEncoding("gzip;q=abc", [...both]), undefined, "a bad q is 0");
  assert.equal(negotiateEncoding(null, [...both]), undefined);
  assert.equal(negotiateEncoding("br", ["gzip"]), undefined, "only what is offered");
});

Deno.test("compress(): br and gzip bodies decode to the original; Vary, ETag, no Content-Length", async () => {
  const br = await run(() =>
    html({ headers: { "content-length": String(BODY.length), etag: '"v1"' } })
  );
  assert.equal(br.headers.get("content-encoding"), "br");
  assert.equal(br.headers.get("vary"), "Accept-Encoding");
  assert.equal(br.headers.get("content-length"), null);
  assert.equal(br.headers.get("etag"), 'W/"v1"');
  const brBytes = new Uint8Array(await br.arrayBuffer());
  assert.ok(brBytes.length < BODY.length / 4);
  assert.equal(new TextDecoder().decode(brotliDecompressSync(brBytes)), BODY);

  const gzip = await run(() => html(), { acceptEncoding: "gzip" });
  assert.equal(gzip.headers.get("content-encoding"), "gzip");
  const text = await new Response(gzip.body!.pipeThrough(new DecompressionStream("gzip"))).text();
  assert.equal(text, BODY);
});

Deno.test("compress(): left alone, with Vary when only the client's Accept-Encoding decided", async () => {
  const identity = await run(() => html(), { acceptEncoding: "identity" });
  assert.equal(identity.headers.get("content-encoding"), null);
  assert.equal(identity.headers.get("vary"), "Accept-Encoding");
  assert.equal(await identity.text(), BODY);
  const varied = await run(() => html({ headers: { vary: "Origin" } }));
  assert.equal(varied.headers.get("vary"), "Origin, Accept-Encoding");

  const untouched: [string, () => Response, RequestInit?][] = [
    ["HEAD", () => html(), { method: "HEAD" }],
    ["206", () => html({ status: 206, headers: { "content-range": "bytes 0-9/100" } })],
    ["204", () => html({ status: 204 }, null)],
    ["304", () => html({ status: 304 }, null)],
    ["already encoded", () => html({ headers: { "content-encoding": "gzip" } })],
    ["no-transform", () => html({ headers: { "cache-control": "public, no-transform" } })],
    ["SSE", () => html({ headers: { "content-type": "text/event-stream" } })],
    ["a type not listed", () => html({ headers: { "content-type": "image/png" } })],
    ["no type", () => new Response(new Blob([BODY]).stream())],
    ["small", () => html({ headers: { "content-length": "100" } }, "x".repeat(100))],
  ];
  for (const [what, response, init] of untouched) {
    const out = await run(response, { acceptEncoding: "br, gzip", ...init });
    assert.equal(out.headers.get("content-encoding") === "br", false, what);
    await out.body?.cancel();
  }
});
