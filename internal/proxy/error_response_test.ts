import assert from "node:assert/strict";
import { errorDetail, errorResponse } from "./error_response.ts";
import {
  ContentTooLargeError,
  NoUpstreamError,
  ShuttingDownError,
  UpstreamConnectError,
  UpstreamsBusyError,
  UpstreamTimeoutError,
} from "./errors.ts";

const refused = new UpstreamConnectError("10.0.0.5:8000", "connection refused", {
  cause: new TypeError("fetch failed", {
    cause: new Error(
      "client error (Connect): tcp connect error: Connection refused (os error 111)\nmore",
    ),
  }),
});

Deno.test("errorResponse: gateway errors get a fixed sentence, nothing of the upstream", async () => {
  const cases: [Error, number, string][] = [
    [refused, 502, "the upstream server failed to answer"],
    [new UpstreamTimeoutError("10.0.0.5:8000", 300), 504, "the upstream server did not answer"],
    [new NoUpstreamError(3), 503, "no upstream server is available"],
    [new UpstreamsBusyError(10, "the queue is full"), 503, "every upstream server is busy"],
    [new ShuttingDownError(), 503, "the server is shutting down"],
  ];
  for (const [error, status, sentence] of cases) {
    const response = errorResponse(error, "rid-1");
    const text = await response.text();
    assert.equal(response.status, status);
    assert.ok(text.includes(sentence), text);
    assert.doesNotMatch(text, /10\.0\.0\.5|8000|refused|300ms|3 upstream|queue|os error/);
    assert.match(text, /\(request id rid-1\)\n$/);
  }
});

Deno.test("errorResponse: verbose gateway errors carry the details; client errors always do", async () => {
  const verbose = await errorResponse(refused, "rid-2", { verbose: true }).text();
  assert.equal(
    verbose,
    "502 Bad Gateway: could not connect to upstream 10.0.0.5:8000: connection refused " +
      "(client error (Connect): tcp connect error: Connection refused (os error 111)) " +
      "(request id rid-2)\n",
  );
  const tooLarge = await errorResponse(new ContentTooLargeError(1024, 2048), "rid-3").text();
  assert.match(tooLarge, /^413 Content Too Large: request body of 2048 bytes/);
});

Deno.test("errorDetail: the message, plus the innermost cause's first line when it says more", () => {
  assert.equal(errorDetail(new Error("plain")), "plain");
  const same = new Error("upstream a failed: x", { cause: new Error("x") });
  assert.equal(errorDetail(same), "upstream a failed: x", "the cause adds nothing");
  assert.equal(errorDetail(new Error("a", { cause: new Error("b".repeat(400)) })).length, 301);
});
