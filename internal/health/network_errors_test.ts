import assert from "node:assert/strict";
import { ConnectFailedError, UpstreamClosedError } from "../net/mod.ts";
import { describeNetworkError, isConnectFailure, isConnectionLost } from "./network_errors.ts";

/** The shape Deno 2.9.6's fetch rejects with: the reason sits in `cause`. */
function fetchError(cause: string): TypeError {
  return new TypeError("fetch failed", { cause: new Error(cause) });
}

Deno.test("network errors: a refused connection is a connect failure with a short reason", () => {
  const error = fetchError(
    "error sending request for url (http://127.0.0.1:9199/): client error (Connect): " +
      "tcp connect error: Connection refused (os error 111)",
  );
  assert.equal(isConnectFailure(error), true);
  assert.equal(describeNetworkError(error), "connection refused");
  assert.equal(isConnectFailure(new Deno.errors.ConnectionRefused("refused")), true);
});

Deno.test("network errors: a reset after connecting is not a connect failure", () => {
  const error = fetchError(
    "error sending request for url (http://127.0.0.1:9199/): client error (SendRequest): " +
      "connection closed before message completed",
  );
  assert.equal(isConnectFailure(error), false);
  assert.equal(describeNetworkError(error), "connection closed before a complete response");
});

Deno.test("network errors: a connection closed or reset before the response head is lost", () => {
  // What a killed upstream, or a keep-alive connection closed under a request, gives fetch.
  const closed = fetchError(
    "error sending request for url (http://127.0.0.1:9199/): client error (SendRequest): " +
      "connection closed before message completed",
  );
  const reset = fetchError(
    "error sending request for url (http://127.0.0.1:9199/): client error (SendRequest): " +
      "connection error: Connection reset by peer (os error 104)",
  );
  assert.equal(isConnectionLost(closed), true);
  assert.equal(isConnectionLost(reset), true);
  assert.equal(isConnectionLost(new Deno.errors.ConnectionReset("reset")), true);
  assert.equal(isConnectionLost(new Deno.errors.UnexpectedEof("eof")), true);
  assert.equal(isConnectionLost(new Deno.errors.BrokenPipe("pipe")), true);
  const http1 = new UpstreamClosedError("before the response head", {
    requestSent: true,
    responseStarted: false,
  });
  assert.equal(isConnectionLost(http1), true, "the http1 transport's own error");
  const refused = fetchError("client error (Connect): tcp connect error: Connection refused");
  assert.equal(isConnectionLost(refused), false, "a connect failure is its own case");
  const malformed = fetchError("client error (SendRequest): invalid HTTP version parsed");
  assert.equal(isConnectionLost(malformed), false, "an answer that broke the protocol");
});

Deno.test("network errors: unknown errors keep their first line, at most 200 characters", () => {
  assert.equal(describeNetworkError(new Error("odd\nsecond line")), "odd");
  assert.equal(describeNetworkError(new Error("x".repeat(300))).length, 201);
  assert.equal(describeNetworkError("plain"), "plain");
});

Deno.test("network errors: the http1 transport's errors classify like fetch's", () => {
  const refused = new ConnectFailedError("127.0.0.1:9", "connection refused", {
    cause: new Deno.errors.ConnectionRefused("Connection refused (os error 111)"),
  });
  assert.equal(isConnectFailure(refused), true);
  assert.equal(describeNetworkError(refused), "connection refused");
  const timedOut = new ConnectFailedError("10.0.0.1:80", "connect timed out after 5000ms");
  assert.equal(isConnectFailure(timedOut), true);
  assert.equal(describeNetworkError(timedOut), "connect timeout");
  const closed = new UpstreamClosedError("before the response head", {
    requestSent: true,
    responseStarted: false,
  });
  assert.equal(isConnectFailure(closed), false);
  assert.equal(describeNetworkError(closed), "connection closed before a complete response");
});
