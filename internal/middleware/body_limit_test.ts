import assert from "node:assert/strict";
import { ClientClosedError, ContentTooLargeError, UpstreamError } from "../proxy/mod.ts";
import { bodyLimit, limitBody } from "./body_limit.ts";
import { compose } from "./compose.ts";
import { createContext, type Handler, type RequestContext } from "./context.ts";
import { recover } from "./recover.ts";

/** A body stream of `sizes` chunks that records how far it was read and whether it was cancelled. */
function source(sizes: number[]) {
  const state = { pulled: 0, cancelled: undefined as unknown };
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      const size = sizes[state.pulled++];
      if (size === undefined) controller.close();
      else controller.enqueue(new Uint8Array(size).fill(0x61));
    },
    cancel(reason) {
      state.cancelled = reason;
    },
  }, { highWaterMark: 0 });
  return { stream, state };
}

async function readAll(stream: ReadableStream<Uint8Array>): Promise<number> {
  let bytes = 0;
  for await (const chunk of stream) bytes += chunk.byteLength;
  return bytes;
}

function handle(maxBytes: number, handler: Handler) {
  return compose([recover(), bodyLimit({ maxBytes })], handler);
}

function post(init: { body: BodyInit | null; contentLength?: number }): RequestContext {
  const headers = init.contentLength === undefined
    ? undefined
    : { "content-length": String(init.contentLength) };
  return createContext(
    new Request("http://lb/upload", { method: "POST", body: init.body, ...headers && { headers } }),
    "10.0.0.1",
  );
}

/** Like forward(): reads the body the way fetch would and fails as fetch does when it errors. */
const forwardLike: Handler = async (ctx) => {
  try {
    const bytes = await readAll(ctx.body === undefined ? ctx.request.body! : ctx.body!);
    return new Response(`got ${bytes}`);
  } catch (error) {
    throw new UpstreamError("a", "fetch failed", { cause: error });
  }
};

Deno.test("bodyLimit(): a Content-Length over the limit is a 413 before the body is read", async () => {
  let called = false;
  const ctx = post({ body: "x".repeat(1025), contentLength: 1025 });
  const response = await handle(1024, () => {
    called = true;
    return Promise.resolve(new Response("ok"));
  })(ctx);
  assert.equal(response.status, 413);
  assert.match(
    await response.text(),
    /^413 Content Too Large: request body of 1025 bytes is larger than the limit of 1024 bytes/,
  );
  assert.equal(called, false, "no upstream is chosen");
  assert.equal(ctx.request.bodyUsed, false, "not a byte read");
});

Deno.test("bodyLimit(): a Content-Length at the limit goes through untouched", async () => {
  const ctx = post({ body: "x".repeat(1024), contentLength: 1024 });
  const response = await handle(1024, forwardLike)(ctx);
  assert.equal(await response.text(), "got 1024");
  assert.equal(ctx.body, undefined, "the director reads request.body (or request.bytes())");
});

Deno.test("bodyLimit(): a chunked body within the limit streams through whole", async () => {
  const { stream, state } = source([400, 400, 224]);
  const ctx = post({ body: stream });
  const response = await handle(1024, forwardLike)(ctx);
  assert.equal(response.status, 200);
  assert.equal(await response.text(), "got 1024");
  assert.equal(state.cancelled, undefined);
});

Deno.test("bodyLimit(): a chunked body growing past the limit is cut and answered 413", async () => {
  const { stream, state } = source([400, 400, 400, 400]);
  const ctx = post({ body: stream });
  const response = await handle(1024, forwardLike)(ctx);
  assert.equal(response.status, 413);
  assert.match(await response.text(), /larger than the limit of 1024 bytes/);
  assert.equal(state.pulled, 3, "the client's body is not read on");
  assert.ok(state.cancelled instanceof ContentTooLargeError, "and the rest is cancelled");
});

Deno.test("bodyLimit(): a response that came after the body was cut is replaced by the 413", async () => {
  const { stream } = source([2000]);
  let upstreamBodyCancelled = false;
  const response = await handle(1024, async (ctx) => {
    await readAll(ctx.body!).catch(() => {});
    ctx.responseDone = Promise.resolve({ bytes: 5, clientAborted: false });
    return new Response(
      new ReadableStream({
        cancel() {
          upstreamBodyCancelled = true;
        },
      }),
      { status: 400 },
    );
  })(post({ body: stream }));
  assert.equal(response.status, 413);
  await response.body?.cancel();
  assert.equal(upstreamBodyCancelled, true, "the upstream's answer is released");
});

Deno.test("bodyLimit(): a client that left while its body was cut is still a 499", async () => {
  const { stream } = source([2000]);
  const response = await handle(1024, async (ctx) => {
    await readAll(ctx.body!).catch(() => {});
    throw new ClientClosedError();
  })(post({ body: stream }));
  assert.equal(response.status, 499);
  await response.body?.cancel();
});

Deno.test("bodyLimit(): other failures pass unchanged; no body, no wrapping", async () => {
  const response = await handle(1024, () => Promise.reject(new UpstreamError("a", "reset")))(
    post({ body: source([10]).stream }),
  );
  assert.equal(response.status, 502);
  await response.body?.cancel();
  const ctx = createContext(new Request("http://lb/"), "10.0.0.1");
  await handle(1024, () => Promise.resolve(new Response("ok")))(ctx);
  assert.equal(ctx.body, undefined);
});

Deno.test("bodyLimit(): 0 accepts any size; a bad limit is a RangeError", async () => {
  const ctx = post({ body: "x".repeat(5000), contentLength: 5000 });
  assert.equal(await (await handle(0, forwardLike)(ctx)).text(), "got 5000");
  assert.equal(ctx.body, undefined);
  assert.throws(() => bodyLimit({ maxBytes: -1 }), RangeError);
  assert.throws(() => bodyLimit({ maxBytes: 1.5 }), RangeError);
});

Deno.test("limitBody(): exactly the limit passes; the chunk past it is never handed out", async () => {
  const exact = limitBody(source([3, 3]).stream, 6);
  assert.equal(await readAll(exact.stream), 6);
  assert.equal(exact.error, undefined);

  const over = limitBody(source([3, 3, 1]).stream, 6);
  const reader = over.stream.getReader();
  assert.equal((await reader.read()).value?.byteLength, 3);
  assert.equal((await reader.read()).value?.byteLength, 3);
  await assert.rejects(reader.read(), ContentTooLargeError);
  assert.ok(over.error instanceof ContentTooLargeError);
  assert.equal(over.error.limitBytes, 6);
});

Deno.test("limitBody(): cancelling it cancels the source; a source error passes through", async () => {
  const { stream, state } = source([1, 1]);
  const limited = limitBody(stream, 10);
  await limited.stream.cancel("gone");
  assert.equal(state.cancelled, "gone");

  const failing = new ReadableStream<Uint8Array>({
    pull(controller) {
      controller.error(new TypeError("malformed chunk"));
    },
  });
  const passed = limitBody(failing, 10);
  await assert.rejects(readAll(passed.stream), TypeError);
  assert.equal(passed.error, undefined, "not a limit error");
});
