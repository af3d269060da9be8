import assert from "node:assert/strict";
import { createContext } from "../middleware/mod.ts";
import { Pool } from "../pool/mod.ts";
import { forward } from "./forward.ts";
import { Cancellation } from "./cancellation.ts";
import { ClientClosedError, ShuttingDownError, UpstreamError } from "./errors.ts";
import {
  BODILESS_RESPONSES,
  BYTE_BODIES,
  type Transport,
  type UpstreamRequest,
} from "./transport.ts";

/** A byte-body response marked as the http1 transport marks it (BYTE_BODIES). */
function byteResponse(text: string, init?: ResponseInit): Response {
  const bytes = new TextEncoder().encode(text);
  const response = new Response(bytes, init);
  BYTE_BODIES.set(response, bytes);
  return response;
}

/** A transport with client-ready responses whose `body` and `headers` getters count their uses. */
class ReadyTransport implements Transport {
  readonly clientReadyResponses = true;
  refusesInvalidResponses = true;
  bodyReads = 0;
  headerReads = 0;
  next: () => Response = () => byteResponse("hello\n", { headers: { "content-length": "6" } });
  send(): Promise<Response> {
    const response = this.next();
    const body = Object.getOwnPropertyDescriptor(Response.prototype, "body")!.get!;
    const headers = Object.getOwnPropertyDescriptor(Response.prototype, "headers")!.get!;
    Object.defineProperty(response, "body", {
      get: () => {
        this.bodyReads++;
        return body.call(response);
      },
    });
    Object.defineProperty(response, "headers", {
      get: () => {
        this.headerReads++;
        return headers.call(response);
      },
    });
    return Promise.resolve(response);
  }
  close(): void {}
}

async function forwardOnce(transport: ReadyTransport, method = "GET") {
  const pool = new Pool([{ id: "a", name: "a", url: "http://a:8080" }]);
  const upstream = pool.list()[0]!;
  const { promise: completed, resolve } = Promise.withResolvers<void>();
  const ctx = createContext(new Request("http://lb.example/x", { method }), "10.0.0.1", {
    completed,
  });
  const response = await forward(ctx, upstream, null, {
    transport,
    timeoutMs: 1000,
    preserveHost: false,
    shutdownSignal: new AbortController().signal,
  });
  resolve();
  const outcome = await ctx.responseDone;
  return { response, outcome, upstream };
}

Deno.test("forward: a client-ready response is passed on as it is, its body getter untouched", async () => {
  const transport = new ReadyTransport();
  let made: Response | undefined;
  transport.next = () => {
    made = byteResponse("hello\n", { headers: { "content-length": "6" } });
    return made;
  };
  const { response, outcome, upstream } = await forwardOnce(transport);
  assert.equal(response, made);
  assert.equal(transport.bodyReads, 0);
  // Its size comes from BYTE_BODIES, and the transport's parser did the framing checks.
  assert.equal(transport.headerReads, 0);
  assert.deepEqual(outcome, { bytes: 6, clientAborted: false });
  assert.equal(upstream.inFlight, 0);
  assert.equal(await response.text(), "hello\n");
});

Deno.test("forward: a bodiless client-ready response counts no bytes, its length kept", async () => {
  const transport = new ReadyTransport();
  transport.next = () => {
    const response = new Response(null, { headers: { "content-length": "1234" } });
    BODILESS_RESPONSES.add(response);
    return response;
  };
  const { response, outcome } = await forwardOnce(transport, "HEAD");
  assert.equal(transport.bodyReads, 0);
  assert.deepEqual(outcome, { bytes: 0, clientAborted: false });
  assert.equal(response.headers.get("content-length"), "1234");
});

Deno.test("forward: a streamed client-ready response is followed, its bytes counted", async () => {
  const transport = new ReadyTransport();
  transport.next = () =>
    new Response(ReadableStream.from([new TextEncoder().encode("hello\n")]), {
      headers: { "content-length": "6" },
    });
  const pool = new Pool([{ id: "a", name: "a", url: "http://a:8080" }]);
  const upstream = pool.list()[0]!;
  const ctx = createContext(new Request("http://lb.example/x"), "10.0.0.1");
  const response = await forward(ctx, upstream, null, {
    transport,
    timeoutMs: 1000,
    preserveHost: false,
    shutdownSignal: new AbortController().signal,
  });
  assert.equal(await response.text(), "hello\n");
  assert.deepEqual(await ctx.responseDone, { bytes: 6, clientAborted: false });
  assert.equal(upstream.inFlight, 0);
});

Deno.test("forward: a transport that does not refuse invalid framing itself gets it checked", async () => {
  const transport = new ReadyTransport();
  transport.refusesInvalidResponses = false;
  transport.next = () =>
    byteResponse("hello\n", {
      headers: { "content-length": "6", "transfer-encoding": "chunked" },
    });
  await assert.rejects(forwardOnce(transport), UpstreamError);
  transport.refusesInvalidResponses = true;
  const { outcome } = await forwardOnce(transport);
  assert.deepEqual(outcome, { bytes: 6, clientAborted: false });
});

/** A transport that never answers until its request is cancelled, and records the reasons. */
class HangingTransport implements Transport {
  readonly clientReadyResponses = true;
  closed = 0;
  send(request: UpstreamRequest): Promise<Response> {
    const { promise, reject } = Promise.withResolvers<Response>();
    const signal = request.signal;
    assert.ok(signal instanceof Cancellation);
    signal.closeOnCancel({
      close: () => {
        this.closed++;
        reject(signal.reason);
      },
    });
    return promise;
  }
  close(): void {}
}

Deno.test("forward: one shutdown signal cuts every attempt in flight; a client leaving cuts its own", async () => {
  const transport = new HangingTransport();
  const pool = new Pool([{ id: "a", name: "a", url: "http://a:8080" }]);
  const upstream = pool.list()[0]!;
  const shutdown = new AbortController();
  const options = {
    transport,
    timeoutMs: 5000,
    preserveHost: false,
    shutdownSignal: shutdown.signal,
  };
  const clients = [new AbortController(), new AbortController(), new AbortController()];
  const attempts = clients.map((client) =>
    forward(
      createContext(new Request("http://lb.example/x", { signal: client.signal }), "10.0.0.1"),
      upstream,
      null,
      options,
    )
  );
  clients[0]!.abort();
  await assert.rejects(attempts[0]!, ClientClosedError);
  assert.equal(transport.closed, 1);
  shutdown.abort();
  await assert.rejects(attempts[1]!, ShuttingDownError);
  await assert.rejects(attempts[2]!, ShuttingDownError);
  assert.equal(transport.closed, 3);
  assert.equal(upstream.inFlight, 0);
  // The client leaving after its attempt ended changes nothing.
  clients[1]!.abort();
  assert.equal(transport.closed, 3);
});

Deno.test("forward: a request that watches its own client is asked, its signal never read", async () => {
  const transport = new HangingTransport();
  const upstream = new Pool([{ id: "a", name: "a", url: "http://a:8080" }]).list()[0]!;
  let signalReads = 0;
  let onGone: (() => void) | undefined;
  const request = {
    method: "GET",
    headers: new Headers(),
    get signal(): AbortSignal {
      signalReads++;
      return new AbortController().signal;
    },
    clientHasGone: false,
    cancelWhenGone(target: { cancel(reason: unknown): void }, reason: unknown) {
      onGone = () => target.cancel(reason);
    },
  } as unknown as Request;
  const ctx = createContext(request, "10.0.0.1", { address: { target: "/", authority: "lb" } });
  const attempt = forward(ctx, upstream, null, {
    transport,
    timeoutMs: 5000,
    preserveHost: false,
    shutdownSignal: new AbortController().signal,
  });
  onGone!();
  await assert.rejects(attempt, ClientClosedError);
  assert.equal(transport.closed, 1);
  assert.equal(signalReads, 0);
  assert.equal(upstream.inFlight, 0);
});
