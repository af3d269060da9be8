import assert from "node:assert/strict";
import { compose } from "./compose.ts";
import { createContext } from "./context.ts";
import { recover } from "./recover.ts";
import {
  headerBytes,
  requestLimits,
  type RequestLimitsOptions,
  requestTargetLength,
} from "./request_limits.ts";

function handler(options?: RequestLimitsOptions) {
  const seen: string[] = [];
  const handle = compose([recover(), requestLimits(options)], (ctx) => {
    seen.push(ctx.request.url);
    return Promise.resolve(new Response("ok"));
  });
  return {
    seen,
    send: (url: string, headers?: HeadersInit) =>
      handle(createContext(new Request(url, headers ? { headers } : {}), "10.0.0.1")),
  };
}

Deno.test("requestTargetLength(): the path and query after the origin", () => {
  assert.equal(requestTargetLength("http://lb:8080/"), 1);
  assert.equal(requestTargetLength("http://lb/a/b?c=d"), 8);
  assert.equal(requestTargetLength("https://[::1]:443/x"), 2);
  assert.equal(requestTargetLength("http://lb?q"), 3, "as `/?q`");
  assert.equal(requestTargetLength("http://lb"), 1, "as `/`");
  assert.equal(requestTargetLength("http://lb/%2F%20"), 7, "percent-encoded, as sent");
});

Deno.test("headerBytes(): name, value, colon, space and CRLF per field", () => {
  assert.equal(headerBytes(new Headers()), 0);
  assert.equal(headerBytes(new Headers({ host: "lb" })), 10);
  assert.equal(headerBytes(new Headers({ a: "1", bb: "22" })), 6 + 8);
  const repeated = new Headers([["x", "1"], ["x", "2"]]);
  assert.equal(headerBytes(repeated), 1 + 4 + 4, "joined as `x: 1, 2`");
});

Deno.test("requestLimits(): a request target over the limit is a 414", async () => {
  const { seen, send } = handler({ maxUrlBytes: 16, maxHeaderBytes: 0 });
  assert.equal((await send("http://lb/" + "a".repeat(15))).status, 200, "16 bytes");
  const response = await send("http://lb/" + "a".repeat(8) + "?" + "b".repeat(7));
  assert.equal(response.status, 414);
  assert.match(
    await response.text(),
    /^414 URI Too Long: request target of 17 bytes is longer than the limit of 16 bytes/,
  );
  assert.equal(seen.length, 1);
});

Deno.test("requestLimits(): header fields over the limit are a 431", async () => {
  const { seen, send } = handler({ maxUrlBytes: 0, maxHeaderBytes: 100 });
  assert.equal((await send("http://lb/", { "x-a": "v".repeat(93) })).status, 200, "100 bytes");
  const response = await send("http://lb/", { "x-a": "v".repeat(94) });
  assert.equal(response.status, 431);
  assert.match(
    await response.text(),
    /^431 Request Header Fields Too Large: request header fields of 101 bytes are larger than the limit of 100 bytes/,
  );
  assert.equal(seen.length, 1);
});

Deno.test("requestLimits(): 8 KiB targets and 32 KiB of headers by default; 0 turns a limit off", async () => {
  const defaults = handler();
  assert.equal((await defaults.send("http://lb/" + "a".repeat(8191))).status, 200);
  assert.equal((await defaults.send("http://lb/" + "a".repeat(8192))).status, 414);
  assert.equal((await defaults.send("http://lb/", { "x-a": "v".repeat(32761) })).status, 200);
  assert.equal((await defaults.send("http://lb/", { "x-a": "v".repeat(32762) })).status, 431);
  const off = handler({ maxUrlBytes: 0, maxHeaderBytes: 0 });
  assert.equal(
    (await off.send("http://lb/" + "a".repeat(100_000), { a: "v".repeat(100_000) })).status,
    200,
  );
  assert.throws(() => requestLimits({ maxUrlBytes: -1 }), RangeError);
  assert.throws(() => requestLimits({ maxHeaderBytes: 0.5 }), RangeError);
});
