import assert from "node:assert/strict";
import { createContext } from "../middleware/mod.ts";
import { Pool } from "../pool/mod.ts";
import { forward } from "./forward.ts";
import { BODILESS_RESPONSES, type Transport } from "./transport.ts";

/** A transport with client-ready responses whose `body` getter counts its uses. */
class ReadyTransport implements Transport {
  readonly clientReadyResponses = true;
  bodyReads = 0;
  next: () => Response = () => new Response("hello\n", { headers: { "content-length": "6" } });
  send(): Promise<Response> {
    const response = this.next();
    const body = Object.getOwnPropertyDescriptor(Response.prototype, "body")!.get!;
    Object.defineProperty(response, "body", {
      get: () => {
        this.bodyReads++;
        return body.call(response);
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
    made = new Response("hello\n", { headers: { "content-length": "6" } });
    return made;
  };
  const { response, outcome, upstream } = await forwardOnce(transport);
  assert.equal(response, made);
  assert.equal(transport.bodyReads, 0);
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
