import assert from "node:assert/strict";
import { HeaderFieldsTooLargeError } from "../proxy/mod.ts";
import { compose } from "./compose.ts";
import { createContext } from "./context.ts";
import { recover } from "./recover.ts";
import {
  fieldLineBytes,
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

Deno.test("fieldLineBytes(): never below headerBytes of the same fields, equal without repeats", () => {
  const names = ["a", "host", "x-forwarded-for", "set-cookie", "cookie", "accept"];
  for (let round = 0; round < 500; round++) {
    const fields: [string, string][] = [];
    const count = Math.floor(Math.random() * 12);
    for (let i = 0; i < count; i++) {
      const value = "v".repeat(Math.floor(Math.random() * 4));
      fields.push([names[Math.floor(Math.random() * names.length)]!, value]);
    }
    const lines = fieldLineBytes(fields);
    const combined = headerBytes(new Headers(fields));
    assert.ok(lines >= combined, `${JSON.stringify(fields)}: ${lines} < ${combined}`);
    const repeats = new Set(fields.map(([name]) => name)).size < fields.length;
    if (!repeats) assert.equal(lines, combined, JSON.stringify(fields));
  }
});

Deno.test("requestLimits(): the listener's field lines spare the Headers count, and decide the same", async () => {
  const limits = requestLimits({ maxHeaderBytes: 30 });
  const answer = () => Promise.resolve(new Response("ok"));
  /** A context whose request counts reads of `headers`, with the listener's fields. */
  const context = (fields: [string, string][]) => {
    const request = new Request("http://lb/", { headers: fields });
    const ctx = createContext(request, "10.0.0.1", { headerFields: fields });
    let reads = 0;
    const counted = new Proxy(request, {
      get: (target, key) => {
        if (key === "headers") reads++;
        const value = Reflect.get(target, key, target);
        return typeof value === "function" ? value.bind(target) : value;
      },
    });
    return { ctx: { ...ctx, request: counted }, reads: () => reads };
  };
  // 29 bytes of field lines: within the limit, the Headers are not read.
  const small = context([["host", "lb"], ["accept", "text/html"]]);
  assert.equal((await limits(small.ctx, answer)).status, 200);
  assert.equal(small.reads(), 0);
  // 3 lines of x-a: 36 bytes counted one by one, 26 combined (`x-a: 11111, 22222, 33333`):
  // the Headers count decides, and lets it through as before.
  const repeated = context([["x-a", "11111"], ["x-a", "22222"], ["x-a", "33333"]]);
  assert.equal((await limits(repeated.ctx, answer)).status, 200);
  assert.equal(repeated.reads(), 1);
  // Over the limit either way: refused, the size the one Headers gives.
  const large = context([["x-a", "1".repeat(20)], ["x-b", "2".repeat(20)]]);
  await assert.rejects(limits(large.ctx, answer), (error) => {
    assert.ok(error instanceof HeaderFieldsTooLargeError);
    assert.match(error.message, /\b54\b/);
    return true;
  });
  assert.equal(large.reads(), 1);
});
