import assert from "node:assert/strict";
import type { LogLevel, LogRecord } from "@logtape/logtape";
import { getBatchedSink, type SyncWriter } from "./batched_sink.ts";

/** Collects writes; `partial` caps each write at that many bytes, as a full pipe may. */
class Writer implements SyncWriter {
  writes: string[] = [];
  #decoder = new TextDecoder();
  #waiter: (() => void) | undefined;
  constructor(readonly partial = Infinity) {}
  writeSync(bytes: Uint8Array): number {
    const n = Math.min(bytes.length, this.partial);
    this.writes.push(this.#decoder.decode(bytes.subarray(0, n)));
    this.#waiter?.();
    return n;
  }
  get text(): string {
    return this.writes.join("");
  }
  next(): Promise<void> {
    return new Promise((resolve) => this.#waiter = resolve);
  }
}

function record(message: string, level: LogLevel = "info"): LogRecord {
  return {
    category: ["sluice", "access"],
    level,
    message: [message],
    rawMessage: message,
    properties: {},
    timestamp: 0,
  };
}
const formatter = (r: LogRecord) => `${r.level} ${r.message[0]}\n`;

Deno.test("batched sink: lines wait in memory, then go out in one write on flush", () => {
  const out = new Writer();
  using sink = getBatchedSink({ formatter, out, err: new Writer() });
  for (let i = 0; i < 100; i++) sink(record(`line ${i}`));
  assert.equal(out.writes.length, 0);
  sink.flush();
  assert.equal(out.writes.length, 1);
  assert.equal(out.text.split("\n").length - 1, 100);
  assert.ok(out.text.startsWith("info line 0\ninfo line 1\n"));
});

Deno.test("batched sink: a full buffer is written at once, bounded by its size plus a line", () => {
  const out = new Writer();
  using sink = getBatchedSink({ formatter, out, err: new Writer(), bufferSize: 100 });
  for (let i = 0; i < 50; i++) sink(record(`line ${i}`));
  assert.ok(out.writes.length >= 4, `${out.writes.length} writes`);
  for (const write of out.writes) assert.ok(write.length < 100 + 20, `${write.length} chars`);
  sink.flush();
  assert.equal(out.text.split("\n").length - 1, 50);
});

Deno.test("batched sink: the interval flushes a lone line", async () => {
  const out = new Writer();
  using sink = getBatchedSink({ formatter, out, err: new Writer(), flushIntervalMs: 5 });
  const written = out.next();
  sink(record("alone"));
  // The sink's timer is unref'd (it never holds the process open): this one keeps the test alive.
  let bound: ReturnType<typeof setTimeout> | undefined;
  await Promise.race([
    written,
    new Promise((_, reject) => bound = setTimeout(() => reject(new Error("no write")), 2_000)),
  ]).finally(() => clearTimeout(bound));
  assert.equal(out.text, "info alone\n");
});

Deno.test("batched sink: a warning goes out at once, after the info lines before it", () => {
  const order: string[] = [];
  const out = { writeSync: (b: Uint8Array) => (order.push("out"), b.length) };
  const err = { writeSync: (b: Uint8Array) => (order.push("err"), b.length) };
  using sink = getBatchedSink({ formatter, out, err });
  sink(record("a"));
  sink(record("b"));
  sink(record("oops", "warning"));
  assert.deepEqual(order, ["out", "err"]);
  sink(record("boom", "error"));
  assert.deepEqual(order, ["out", "err", "err"]);
});

Deno.test("batched sink: partial writes are completed; disposal writes what is left", () => {
  const out = new Writer(3);
  {
    using sink = getBatchedSink({ formatter, out, err: new Writer() });
    sink(record("first"));
    sink(record("second"));
  }
  assert.equal(out.text, "info first\ninfo second\n");
});

Deno.test("batched sink: a failing output drops the batch without throwing", () => {
  const out = {
    writeSync(): number {
      throw new Deno.errors.BrokenPipe("closed");
    },
  };
  using sink = getBatchedSink({ formatter, out, err: out });
  sink(record("lost"));
  sink.flush();
  sink(record("lost too", "error"));
});

Deno.test("batched sink: marked as formatting at once, so LogTape skips its snapshot copy", () => {
  using sink = getBatchedSink({ formatter, out: new Writer(), err: new Writer() });
  const marker = Symbol.for("LogTape.sinkSnapshotPolicy.immediate");
  assert.equal((sink as unknown as Record<symbol, unknown>)[marker], true);
});

Deno.test("batched sink: lines encoded in place join the batch in order with text lines", () => {
  const out = new Writer();
  using sink = getBatchedSink({ formatter, out, err: new Writer(), bufferSize: 64 });
  sink(record("a"));
  const at = sink.reserve(10);
  assert.equal(at, "info a\n".length);
  sink.bytes.set(new TextEncoder().encode("in place\n"), at);
  sink.commit(at + 9);
  sink.writeLine("text\n");
  assert.equal(out.writes.length, 0);
  // Room for 60 more bytes is not there: the batch goes out first.
  assert.equal(sink.reserve(60), 0);
  assert.equal(out.text, "info a\nin place\ntext\n");
  // Longer than the buffer: refused, and a text line that long is written on its own.
  assert.equal(sink.reserve(65), -1);
  sink(record("b"));
  sink.writeLine("x".repeat(100) + "\n");
  assert.deepEqual(out.writes.slice(1), ["info b\n", "x".repeat(100) + "\n"]);
});
