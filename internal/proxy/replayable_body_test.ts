import assert from "node:assert/strict";
import { followToEnd, onFollow } from "./follow_body.ts";
import { ReplayableBody } from "./replayable_body.ts";
import { BODY_ARRAYS } from "../net/body_array_pool.ts";

const enc = new TextEncoder();

function source(chunks: string[]): ReadableStream<Uint8Array> {
  let i = 0;
  return new ReadableStream({
    pull(c) {
      if (i < chunks.length) c.enqueue(enc.encode(chunks[i++]));
      else c.close();
    },
  });
}

async function readAll(stream: ReadableStream<Uint8Array>): Promise<string> {
  return await new Response(stream).text();
}

Deno.test("replayable body: a failed attempt that read part of the body is replayed whole", async () => {
  const body = new ReplayableBody(source(["ab", "cd", "ef"]), 100);
  const first = body.stream().getReader();
  assert.equal(new TextDecoder().decode((await first.read()).value), "ab");
  await first.cancel(); // the attempt failed after reading one chunk
  assert.equal(body.replayable, true);
  assert.equal(await readAll(body.stream()), "abcdef");
});

Deno.test("replayable body: past the limit it streams on but cannot be replayed", async () => {
  const body = new ReplayableBody(source(["abcd", "efgh", "ij"]), 6);
  assert.equal(await readAll(body.stream()), "abcdefghij");
  assert.equal(body.replayable, false);
  assert.throws(() => body.stream(), RangeError);
});

Deno.test("replayable body: an attempt that read nothing leaves everything for the next", async () => {
  const body = new ReplayableBody(source(["x", "y"]), 0);
  await body.stream().cancel();
  assert.equal(body.replayable, true);
  assert.equal(await readAll(body.stream()), "xy");
  assert.equal(body.replayable, false);
});

Deno.test("replayable body: a read still pending when an attempt dies reaches the next one", async () => {
  let release!: () => void;
  const gate = new Promise<void>((r) => release = r);
  let step = 0;
  const slow = new ReadableStream<Uint8Array>({
    async pull(c) {
      if (step === 0) {
        step++;
        await gate;
        c.enqueue(enc.encode("late"));
      } else c.close();
    },
  }, { highWaterMark: 0 });
  const body = new ReplayableBody(slow, 100);
  const first = body.stream().getReader();
  const pendingRead = first.read();
  first.releaseLock(); // the attempt is abandoned with its read in flight
  await pendingRead.catch(() => {});
  const second = readAll(body.stream());
  release();
  assert.equal(await second, "late");
});

Deno.test("replayable body: awaitingClient while a read waits for the client's next bytes", async () => {
  const source = new TransformStream<Uint8Array, Uint8Array>();
  const writer = source.writable.getWriter();
  const body = new ReplayableBody(source.readable, 0);
  const reader = body.stream().getReader();
  assert.equal(body.awaitingClient, false, "nothing asked yet");
  const read = reader.read();
  // The stream calls pull in a microtask.
  for (let i = 0; i < 10 && !body.awaitingClient; i++) await Promise.resolve();
  assert.equal(body.awaitingClient, true, "asked, the client sent nothing");
  await writer.write(new Uint8Array([1]));
  assert.deepEqual((await read).value, new Uint8Array([1]));
  assert.equal(body.awaitingClient, false, "delivered");
  await writer.close();
  await body.cancel();
});

Deno.test("replayable body: a failing client body errors the attempt's stream with no read in flight", async () => {
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  const client = new ReadableStream<Uint8Array>({ start: (c) => void (controller = c) });
  const body = new ReplayableBody(client, 0);
  // The attempt's reader is busy elsewhere (a write to the upstream): it reads nothing now.
  const attempt = body.stream().getReader();
  const failure = new Error("client gone");
  controller.error(failure);
  await assert.rejects(attempt.closed, (error) => error === failure);
});

Deno.test("replayable body: a promise to read to the end reaches the client's body; only then does a cancel give it up", async () => {
  let cancelled = false;
  const client = new ReadableStream<Uint8Array>({ cancel: () => void (cancelled = true) });
  let promised = 0;
  onFollow(client, () => ++promised > 0);
  const body = new ReplayableBody(client, 0);
  const first = body.stream();
  await first.cancel(); // an attempt that failed: the body may be replayed, not given up
  assert.equal(cancelled, false);
  const second = body.stream();
  assert.equal(followToEnd(second), true);
  assert.equal(promised, 1);
  await second.cancel();
  assert.equal(cancelled, true);
});

Deno.test("replayable body: a retry stops an earlier attempt still reading and gets every chunk", async () => {
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  const client = new ReadableStream<Uint8Array>({ start: (c) => void (controller = c) });
  onFollow(client, () => true);
  const body = new ReplayableBody(client, 100);
  const first = body.stream();
  assert.equal(followToEnd(first), true); // the upstream answered early; the reader goes on
  const firstReader = first.getReader();
  controller.enqueue(enc.encode("ab"));
  assert.equal(new TextDecoder().decode((await firstReader.read()).value), "ab");
  const pending = firstReader.read(); // still reading when the director retries
  const second = body.stream();
  await assert.rejects(firstReader.closed);
  await pending.catch(() => {});
  controller.enqueue(enc.encode("cd"));
  controller.close();
  assert.equal(await readAll(second), "abcd");
});

/** A source of `count` chunks lent by the body array pool, as the http1 listener reads them. */
function lentSource(count: number, bytes: number): {
  stream: ReadableStream<Uint8Array>;
  chunks: Uint8Array[];
} {
  const chunks = Array.from({ length: count }, (_, i) => {
    const chunk = BODY_ARRAYS.lend(BODY_ARRAYS.take().subarray(0, bytes));
    return chunk.fill(i + 1);
  });
  let i = 0;
  const stream = new ReadableStream<Uint8Array>({
    pull(c) {
      if (i < chunks.length) c.enqueue(chunks[i++]!);
      else c.close();
    },
  }, { highWaterMark: 0 });
  return { stream, chunks };
}

/** Reads an attempt to its end releasing each chunk once "written", as the http1 pump does. */
async function sendAndRelease(stream: ReadableStream<Uint8Array>): Promise<boolean[]> {
  const released: boolean[] = [];
  for await (const chunk of stream) released.push(BODY_ARRAYS.release(chunk));
  return released;
}

Deno.test("replayable body: chunks kept for a retry are never given back to the body array pool", async () => {
  const { stream, chunks } = lentSource(3, 100_000);
  const body = new ReplayableBody(stream, 500_000);
  assert.deepEqual(await sendAndRelease(body.stream()), [false, false, false]);
  // Other transfers take arrays from the pool and fill them: never the kept ones.
  const others = Array.from({ length: 8 }, () => BODY_ARRAYS.take().fill(0xee));
  for (const other of others) {
    assert.ok(chunks.every((chunk) => chunk.buffer !== other.buffer));
  }
  const replayed = new Uint8Array(await new Response(body.stream()).arrayBuffer());
  assert.equal(replayed.length, 300_000);
  for (let i = 0; i < 300_000; i += 997) assert.equal(replayed[i], Math.floor(i / 100_000) + 1);
  assert.ok(replayed.subarray(0, 100_000).every((byte) => byte === 1));
  assert.ok(replayed.subarray(200_000).every((byte) => byte === 3));
  for (const other of others) BODY_ARRAYS.giveBack(other);
});

Deno.test("replayable body: without a retry buffer the chunks go back to the body array pool", async () => {
  const { stream } = lentSource(3, 100_000);
  const body = new ReplayableBody(stream, 0);
  assert.deepEqual(await sendAndRelease(body.stream()), [true, true, true]);
  assert.equal(body.replayable, false);
});
