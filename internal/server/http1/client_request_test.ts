import assert from "node:assert/strict";
import { buildRequest } from "./client_request.ts";

const FIELDS: [string, string][] = [["host", "shop.example"], ["accept", "text/html"]];

Deno.test("ClientRequest: url is http://authority/target as new Request makes it", () => {
  const request = buildRequest(
    "GET",
    "Shop.Example:80",
    "/a/../b?q=1 2",
    FIELDS,
    null,
    "localhost:8080",
  );
  assert.ok(request);
  assert.equal(request.url, new Request("http://Shop.Example:80/a/../b?q=1 2").url);
  assert.equal(request.url, "http://shop.example/b?q=1%202");
  assert.equal(request.method, "GET");
  assert.equal(request.headers.get("accept"), "text/html");
});

Deno.test("ClientRequest: an authority the URL parser refuses falls back to the listener's", () => {
  const request = buildRequest("GET", "exa<mple", "/x", FIELDS, null, "localhost:8080");
  assert.equal(request?.url, "http://localhost:8080/x");
});

Deno.test("ClientRequest: asterisk and authority forms", () => {
  assert.equal(
    buildRequest("OPTIONS", "a.example", "*", [], null, "l:1")?.url,
    "http://a.example/*",
  );
  const connect = buildRequest("CONNECT", "a.example:443", "", [], null, "l:1");
  assert.equal(connect?.url, "http://a.example:443/");
  assert.equal(connect?.method, "CONNECT");
});

Deno.test("ClientRequest: a forbidden method with a body keeps its method and body", async () => {
  const body = new Blob(["ping"]).stream();
  const request = buildRequest("TRACE", "a.example", "/", [], body, "l:1");
  assert.equal(request?.method, "TRACE");
  assert.equal(await request?.text(), "ping");
});

Deno.test("ClientRequest: signal aborts when the client leaves, read before or after", () => {
  const early = buildRequest("GET", "a.example", "/", [], null, "l:1")!;
  const signal = early.signal;
  assert.ok(!signal.aborted);
  assert.equal(early.signal, signal);
  early.clientGone();
  assert.ok(signal.aborted);
  assert.equal((signal.reason as DOMException).name, "AbortError");

  const late = buildRequest("GET", "a.example", "/", [], null, "l:1")!;
  late.clientGone();
  assert.ok(late.signal.aborted);
  assert.equal((late.signal.reason as DOMException).name, "AbortError");
});

Deno.test("ClientRequest: GET or HEAD with a body, in any case, gives undefined (answered 400) as new Request refuses it", () => {
  for (const method of ["GET", "get", "Get", "HEAD", "head", "hEaD"]) {
    const body = new Blob(["x"]).stream();
    assert.equal(buildRequest(method, "a.example", "/", [], body, "l:1"), undefined, method);
    assert.throws(
      () => new Request("http://a.example/", { method, body: "x" }),
      TypeError,
      `new Request refuses ${method} with a body`,
    );
    assert.ok(buildRequest(method, "a.example", "/", [], null, "l:1"), `${method} without a body`);
  }
});

Deno.test("ClientRequest: cancelWhenGone cancels every target once the client leaves, at once after", () => {
  const request = buildRequest("GET", "shop.example", "/", FIELDS, null, "l:1")!;
  const reasons: unknown[] = [];
  const target = { cancel: (reason: unknown) => reasons.push(reason) };
  request.cancelWhenGone(target, "first");
  request.cancelWhenGone(target, "retry");
  assert.equal(request.clientHasGone, false);
  assert.deepEqual(reasons, []);
  request.clientGone();
  request.clientGone();
  assert.equal(request.clientHasGone, true);
  assert.deepEqual(reasons, ["first", "retry"]);
  request.cancelWhenGone(target, "late");
  assert.deepEqual(reasons, ["first", "retry", "late"]);
  assert.equal(request.signal.aborted, true);
});

Deno.test("ClientRequest: every field arrives, repeated ones combined as Headers does", async () => {
  const fields: [string, string][] = [
    ["host", "a.example"],
    ["x-a", "1"],
    ["content-type", "text/plain"],
    ["x-a", "2"],
  ];
  const get = buildRequest("GET", "a.example", "/", fields, null, "l:1")!;
  assert.deepEqual([...get.headers], [
    ["content-type", "text/plain"],
    ["host", "a.example"],
    ["x-a", "1, 2"],
  ]);
  const post = buildRequest("POST", "a.example", "/", fields, new Blob(["hi"]).stream(), "l:1")!;
  assert.equal(post.method, "POST");
  assert.equal(post.headers.get("x-a"), "1, 2");
  assert.equal(await post.text(), "hi");
  const put = buildRequest("DELETE", "a.example", "/", fields, null, "l:1")!;
  assert.equal(put.method, "DELETE");
  assert.equal(put.headers.get("content-type"), "text/plain");
});
