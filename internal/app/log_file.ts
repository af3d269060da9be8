/**
 * A log file that can be reopened under its name, for log rotation (logrotate renames the file,
 * then signals the process, nginx's `USR1`).
 *
 * @module
 */

import type { SyncWriter } from "./batched_sink.ts";

/**
 * A file opened for appending (created with mode 0640 when missing), written synchronously.
 * {@linkcode reopen} opens the path again, so writes go to a new file once the old one was
 * renamed away; the old descriptor is closed only after the new one opened.
 */
export class LogFile implements SyncWriter, Disposable {
  /** The path, as configured. */
  readonly path: string;
  #file: Deno.FsFile;

  /**
   * Opens `path` for appending.
   * @param path the file.
   * @throws what `Deno.openSync` throws (NotFound for a missing directory, NotCapable
   *   without `--allow-write` for the path).
   */
  constructor(path: string) {
    this.path = path;
    this.#file = open(path);
  }

  /** @inheritdoc */
  writeSync(bytes: Uint8Array): number {
    return this.#file.writeSync(bytes);
  }

  /**
   * Opens the path again and switches writes to it.
   * @throws what `Deno.openSync` throws; the old file is then kept.
   */
  reopen(): void {
    const next = open(this.path);
    const old = this.#file;
    this.#file = next;
    old.close();
  }

  /** Closes the file. */
  [Symbol.dispose](): void {
    try {
      this.#file.close();
    } catch {
      // already closed
    }
  }
}

function open(path: string): Deno.FsFile {
  return Deno.openSync(path, { append: true, create: true, mode: 0o640 });
}
