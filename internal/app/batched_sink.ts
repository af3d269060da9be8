/**
 * A LogTape sink that batches log lines into few large writes, like nginx's
 * `access_log … buffer=64k flush=100ms`.
 *
 * @module
 */

import type { LogRecord } from "@logtape/logtape";

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
  /** Buffered characters that trigger a write. @default 65536 */
  bufferSize?: number;
  /** Longest time a buffered line waits before it is written, ms. @default 100 */
  flushIntervalMs?: number;
}

/** A sink from {@linkcode getBatchedSink}: a LogTape sink that can be flushed. */
export interface BatchedSink extends Disposable {
  (record: LogRecord): void;
  /** Writes every buffered line now. */
  flush(): void;
  /**
   * Adds a line formatted elsewhere (the access log's own JSON lines) to the batch, as an
   * info record's line would be added: no record made, no formatter called.
   * @param line the line, `\n` included.
   */
  writeLine(line: string): void;
}

const encoder = new TextEncoder();
const IMMEDIATE_SINK = Symbol.for("LogTape.sinkSnapshotPolicy.immediate");
const WARNING_OR_ABOVE: ReadonlySet<string> = new Set(["warning", "error", "fatal"]);

/**
 * Creates a sink that keeps debug and info lines in memory and writes them as one batch when
 * `bufferSize` characters have gathered or `flushIntervalMs` after the first of them, whichever
 * comes first: one write system call per batch instead of one per line, and none on the request
 * path. Warnings and errors are written at once (after flushing the batch, so lines keep their
 * order). Nothing is dropped: the buffer is bounded by `bufferSize` plus one line, and each
 * batch is written whole. On disposal, on `flush()` and at process exit (`unload`, also after
 * `Deno.exit`) the buffer is written out. Writes are blocking system calls; a file or a pipe
 * read at log speed takes them in microseconds; a stalled reader stalls Sluice, as with nginx.
 * Write errors (a closed pipe) drop the batch: there is nowhere left to report them.
 * @param options formatter, outputs and batch bounds.
 * @returns the sink.
 */
export function getBatchedSink(options: BatchedSinkOptions): BatchedSink {
  const { formatter } = options;
  const out = options.out ?? Deno.stdout;
  const err = options.err ?? Deno.stderr;
  const bufferSize = options.bufferSize ?? 65536;
  const flushIntervalMs = options.flushIntervalMs ?? 100;
  let buffer = "";
  let timer: ReturnType<typeof setTimeout> | undefined;

  const flush = (): void => {
    if (timer !== undefined) {
      clearTimeout(timer);
      timer = undefined;
    }
    if (buffer === "") return;
    const batch = buffer;
    buffer = "";
    writeAll(out, encoder.encode(batch));
  };
  const onTimer = (): void => {
    timer = undefined;
    flush();
  };
  const sink = ((record: LogRecord): void => {
    if (WARNING_OR_ABOVE.has(record.level)) {
      flush();
      writeAll(err, encoder.encode(formatter(record)));
      return;
    }
    writeLine(formatter(record));
  }) as BatchedSink;
  const writeLine = (line: string): void => {
    buffer += line;
    if (buffer.length >= bufferSize) flush();
    else if (timer === undefined) {
      const handle = setTimeout(onTimer, flushIntervalMs);
      Deno.unrefTimer(handle);
      timer = handle;
    }
  };
  sink.flush = flush;
  sink.writeLine = writeLine;
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
