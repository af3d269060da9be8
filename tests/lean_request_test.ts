/**
 * End-to-end: the http1 listener's request makes no WHATWG `Request` (nor its `Headers`) on the
 * default path, and the http1 transport's response no `Response`. Every member of
 * `ClientRequest` and `FieldResponse` that makes one (see their JSDoc) is spied on while plain
 * GETs go through Sluice with its defaults (health checks, metrics, access log, request id,
 * round robin), over both transports.
 *
 * @module
 */

import assert from "node:assert/strict";
import { startSluice, startUpstream } from "./_fixtures.ts";
import { buildRequest, ClientRequest } from "../internal/server/http1/client_request.ts";
import { FieldResponse } from "../internal/proxy/field_response.ts";

/** The response's members that are cheap: everything else makes the real response. */
const CHEAP_RESPONSE = new Set([
  "constructor",
  "status",
  "statusText",
  "ok",
  "bodyUsed",
  "fieldList",
]);

/** The request's members that are cheap: everything else makes the real request. */
const CHEAP = new Set([
  "constructor",
  "method",
  "url",
  "signal",
  "clientHasGone",
  "cancelWhenGone",
  "clientGone",
  "bodyUsed",
]);

/**
 * Records the name of every member of `ClientRequest` outside {@linkcode CHEAP} used while it
 * is installed (and `body` when the request has one); returns the record and the restore.
 */
function spyOnCostlyMembers(
  prototype: object = ClientRequest.prototype,
  cheap: ReadonlySet<string> = CHEAP,
): { used: string[]; restore: () => void } {
  const used: string[] = [];
  const saved = new Map<string, PropertyDescriptor>();
  for (const name of Object.getOwnPropertyNames(prototype)) {
    if (cheap.has(name)) continue;
    const descriptor = Object.getOwnPropertyDescriptor(prototype, name)!;
    saved.set(name, descriptor);
    if (descriptor.get !== undefined) {
      const get = descriptor.get;
      Object.defineProperty(prototype, name, {
        ...descriptor,
        get(this: object) {
          const value = get.call(this);
          if (name !== "body" || value !== null) used.push(name);
          return value;
        },
      });
    } else if (typeof descriptor.value === "function") {
      const method = descriptor.value as (...args: unknown[]) => unknown;
      Object.defineProperty(prototype, name, {
        ...descriptor,
        value(this: object, ...args: unknown[]) {
          used.push(name);
          return method.apply(this, args);
        },
      });
    }
  }
  return {
    used,
    restore: () => {
      for (const [name, descriptor] of saved) Object.defineProperty(prototype, name, descriptor);
    },
  };
}

for (const transport of ["http1", "fetch"]) {
  Deno.test(`lean request: plain GETs through the defaults make no Request and no Headers [${transport}]`, async () => {
    const spy = spyOnCostlyMembers();
    try {
      // The spy sees what it should: a member that makes the real request is recorded.
      const probe = buildRequest("GET", "a.example", "/", [["x-a", "1"]], null, "l:1")!;
      assert.equal(probe.headers.get("x-a"), "1");
      assert.deepEqual(spy.used, ["headers"]);
      spy.used.length = 0;

      await using up = startUpstream("up");
      await using sluice = await startSluice(["--transport", transport, "--backends", up.url]);
      for (let i = 0; i < 5; i++) {
        const response = await fetch(`${sluice.url}/page?i=${i}`, {
          headers: { "user-agent": "lean-test", accept: "text/html", "x-request-id": `id-${i}` },
        });
        assert.equal(response.status, 200);
        assert.equal(await response.text(), "up");
        assert.equal(response.headers.get("x-request-id"), `id-${i}`);
      }
      assert.equal(up.seen.length, 5);
      assert.equal(up.seen[4]!.headers.get("user-agent"), "lean-test");
      assert.deepEqual(spy.used, [], "members that make a Request were used on the default path");
    } finally {
      spy.restore();
    }
  });
}

Deno.test("lean request: GETs with compression, trusted proxies, a header hash key, sticky sessions and a body limit make no Request either", async () => {
  const spy = spyOnCostlyMembers();
  try {
    await using up = startUpstream("up");
    await using sluice = await startSluice([
      "--backends",
      up.url,
      "--compression",
      "--trusted-proxies",
      "127.0.0.0/8",
      "--strategy",
      "consistent_hash",
      "--hash-key",
      "header:x-tenant",
      "--sticky-cookie",
      "lb",
      "--max-body-size",
      "1048576",
    ]);
    const response = await fetch(`${sluice.url}/page`, {
      headers: {
        "x-tenant": "t1",
        "x-forwarded-for": "203.0.113.9",
        "x-forwarded-proto": "https",
        "accept-encoding": "gzip",
      },
    });
    assert.equal(response.status, 200);
    assert.equal(await response.text(), "up");
    const cookie = response.headers.get("set-cookie")!;
    assert.match(cookie, /^lb=.*; Secure/, "X-Forwarded-Proto from a trusted proxy read");
    const again = await fetch(`${sluice.url}/page`, {
      headers: { cookie: cookie.split(";")[0]!, "x-tenant": "t1" },
    });
    assert.equal(again.status, 200);
    assert.equal(await again.text(), "up");
    assert.equal(again.headers.get("set-cookie"), null, "the cookie was read: no new one");
    assert.equal(up.seen[0]!.headers.get("x-real-ip"), "203.0.113.9", "X-Forwarded-For read");
    assert.deepEqual(spy.used, [], "members that make a Request were used");
  } finally {
    spy.restore();
  }
});

Deno.test("lean response: plain GETs through the defaults make no Response from the http1 transport's answer", async () => {
  const spy = spyOnCostlyMembers(FieldResponse.prototype, CHEAP_RESPONSE);
  try {
    // The spy sees what it should: a member that makes the real response is recorded.
    const probe = new FieldResponse(null, 204, "", [["x-a", "1"]]);
    assert.equal(probe.headers.get("x-a"), "1");
    assert.deepEqual(spy.used, ["headers"]);
    spy.used.length = 0;

    await using up = startUpstream("up");
    await using sluice = await startSluice(["--transport", "http1", "--backends", up.url]);
    for (let i = 0; i < 3; i++) {
      const response = await fetch(`${sluice.url}/page?i=${i}`, {
        headers: { "x-request-id": `id-${i}` },
      });
      assert.equal(response.status, 200);
      assert.equal(await response.text(), "up");
      assert.equal(response.headers.get("x-request-id"), `id-${i}`);
    }
    assert.deepEqual(spy.used, [], "members that make a Response were used on the default path");
  } finally {
    spy.restore();
  }
});
