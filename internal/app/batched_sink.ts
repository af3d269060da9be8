/**
 * A LogTape sink that batches log lines into few large writes, like nginx's
 * `access_log … buffer=64k flush=100ms`.
 *
 * @module
 */

import type { LogRecord } from "@logtape/logtape";
import type { LineBatch } from "../middleware/mod.ts";

/** Where a batch goes: `Deno.stdout`, `Deno.stderr`, a `Deno.FsFile`. */
export interface SyncWriter {
  /**
   * @param bytes what to write.
   * @returns how many bytes were written (may be fewer than given).
   */
  writeSync(bytes: Uint8Array): number;
}

/** Options of {@linkcode getBatchedSink}. */
export interface BatchedSinkOptions {
  /** Turns a record into its line, `\n` included. */
  formatter: (record: LogRecord) => string;
  /** Debug and info lines, batched. @default Deno.stdout */
  out?: SyncWriter;
  /**
   * Warning, error and fatal lines: written at once, after the batched lines before them, so
   * the two outputs stay in order. @default Deno.stderr
   */
  err?: SyncWriter;
  /** Size of the batch, bytes: a line that might not fit writes the batch first. @default 65536 */
  bufferSize?: number;
  /** Longest time a buffered line waits before it is written, ms. @default 100 */
  flushIntervalMs?: number;
}

/**
 * A sink from {@linkcode getBatchedSink}: a LogTape sink that can be flushed, and a
 * {@linkcode LineBatch} that lines formatted elsewhere (the access log's own JSON lines) join
 * as an info record's line would: no record made, no formatter called.
 */
export interface BatchedSink extends Disposable, LineBatch {
  (record: LogRecord): void;
  /** Writes every buffered line now. */
  flush(): void;
}

const encoder = new TextEncoder();
const IMMEDIATE_SINK = Symbol.for("LogTape.sinkSnapshotPolicy.immediate");
const WARNING_OR_ABOVE: ReadonlySet<string> = new Set(["warning", "error", "fatal"]);

/**
 * Creates a sink that keeps debug and info lines in memory, as UTF-8 in one buffer of
 * `bufferSize` bytes, and writes them as one batch when the next line might not fit or
 * `flushIntervalMs` after the first of them, whichever comes first: one write system call per
 * batch instead of one per line, and none on the request path. Warnings and errors are written
 * at once (after flushing the batch, so lines keep their order). Nothing is dropped: a line
 * longer than the buffer is written on its own after the batch. On disposal, on `flush()` and
 * at process exit (`unload`, also after `Deno.exit`) the buffer is written out. Writes are
 * blocking system calls; a file or a pipe read at log speed takes them in microseconds (64 KiB
 * to a file: ~20 µs, a thousandth of the time of the ~200 requests whose lines it holds); a
 * stalled reader stalls Sluice, as with nginx. Write errors (a closed pipe) drop the batch:
 * there is nowhere left to report them.
 * @param options formatter, outputs and batch bounds.
 * @returns the sink.
 */
export function getBatchedSink(options: BatchedSinkOptions): BatchedSink {
  const { formatter } = options;
  const out = options.out ?? Deno.stdout;
  const err = options.err ?? Deno.stderr;
  const bytes = new Uint8Array(options.bufferSize ?? 65536);
  const flushIntervalMs = options.flushIntervalMs ?? 100;
  let used = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;

  const flush = (): void => {
    if (timer !== undefined) {
      clearTimeout(timer);
      timer = undefined;
    }
    if (used === 0) return;
    const batch = bytes.subarray(0, used);
    used = 0;
    writeAll(out, batch);
  };
  const onTimer = (): void => {
    timer = undefined;
    flush();
  };
  const reserve = (maxBytes: number): number => {
    if (maxBytes > bytes.length) return -1;
    if (used + maxBytes > bytes.length) flush();
    return used;
  };
  const commit = (end: number): void => {
    used = end;
    if (timer === undefined) {
      const handle = setTimeout(onTimer, flushIntervalMs);
      Deno.unrefTimer(handle);
      timer = handle;
    }
  };
  const writeLine = (line: string): void => {
    // UTF-8 takes at most 3 bytes per UTF-16 code unit.
    const at = reserve(line.length * 3);
    if (at < 0) {
      flush();
      writeAll(out, encoder.encode(line));
      return;
    }
    commit(at + encoder.encodeInto(line, bytes.subarray(at)).written);
  };
  const sink = ((record: LogRecord): void => {
    if (WARNING_OR_ABOVE.has(record.level)) {
      flush();
      writeAll(err, encoder.encode(formatter(record)));
      return;
    }
    writeLine(formatter(record));
  }) as BatchedSink;
  sink.flush = flush;
  sink.writeLine = writeLine;
  sink.reserve = reserve;
  sink.commit = commit;
  Object.defineProperty(sink, "bytes", { value: bytes });
  // The record is formatted before the call returns, so LogTape need not copy its properties
  // first (it does for other sinks: 6% of a record's cost). LogTape's own stream sink is marked
  // the same way, through this registered symbol.
  Object.defineProperty(sink, IMMEDIATE_SINK, { value: true });
  globalThis.addEventListener("unload", flush);
  sink[Symbol.dispose] = () => {
    globalThis.removeEventListener("unload", flush);
    flush();
  };
  return sink;
}

function writeAll(writer: SyncWriter, bytes: Uint8Array): void {
  try {
    for (let offset = 0; offset < bytes.length;) {
      offset += writer.writeSync(bytes.subarray(offset));
    }
  } catch {
    // A closed stdout/stderr: nowhere left to report it.
  }
}
