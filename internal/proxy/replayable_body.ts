/**
 * A request body that can be sent again while its prefix fits in a bounded buffer.
 *
 * @module
 */

import { BODY_ARRAYS } from "../net/body_array_pool.ts";
import { followToEnd, onFollow } from "./follow_body.ts";

/**
 * Wraps a client's request body so that an attempt which failed before the upstream read it
 * (a connect failure) can be retried on another upstream. Chunks are streamed through as they
 * arrive and kept while their total stays within `limitBytes`; past that they are dropped and
 * the body can no longer be replayed (Envoy's per-request buffer limit for retries). Nothing
 * is read from the client before an attempt asks for it.
 */
export class ReplayableBody {
  readonly #source: ReadableStream<Uint8Array>;
  readonly #reader: ReadableStreamDefaultReader<Uint8Array>;
  readonly #limit: number;
  #kept: Uint8Array[] = [];
  #keptBytes = 0;
  #overflowed = false;
  #done = false;
  #pending: Promise<Uint8Array | null> | undefined;
  #attempts = 0;
  #sourceError: unknown = undefined;
  #sourceFailed = false;
  /** The stream of the attempt reading now, errored at once when the client's body fails. */
  #current: ReadableStreamDefaultController<Uint8Array> | undefined;

  /**
   * @param source the client's request body.
   * @param limitBytes most bytes kept for a replay, bytes; 0 keeps nothing.
   */
  constructor(source: ReadableStream<Uint8Array>, limitBytes: number) {
    this.#source = source;
    this.#reader = source.getReader();
    this.#limit = limitBytes;
    // A reader blocked on the upstream (a write) learns of a failed client body now, not at
    // its next read.
    this.#reader.closed.catch((error) => {
      try {
        this.#current?.error(error);
      } catch { /* closed */ }
    });
  }

  /**
   * Whether reading the client's body failed (a broken or oversized upload): the attempt's
   * failure is then the client's, not the upstream's.
   */
  get sourceFailed(): boolean {
    return this.#sourceFailed;
  }

  /**
   * Whether a read of the client's body is outstanding: the upstream's side asked for more and
   * the client has not sent it yet. When the backend timeout runs out then, the client is the
   * one too slow (408), not the upstream.
   */
  get awaitingClient(): boolean {
    return this.#pending !== undefined;
  }

  /** What reading the client's body failed with, when {@linkcode sourceFailed}. */
  get sourceError(): unknown {
    return this.#sourceError;
  }

  /**
   * Whether another {@linkcode stream} can be made: true until more than `limitBytes` were read,
   * or, with a limit of 0, until the first byte was read.
   */
  get replayable(): boolean {
    return !this.#overflowed;
  }

  /**
   * A stream for one attempt: the kept chunks first, then the rest of the client's body.
   * Only one attempt may read at a time. A promise to read it to its end (`followToEnd`) is
   * passed on to the client's body.
   * @returns a new stream of the whole body.
   * @throws {RangeError} when the body can no longer be replayed.
   */
  stream(): ReadableStream<Uint8Array> {
    if (this.#overflowed) throw new RangeError("request body is larger than the retry buffer");
    this.#attempts++;
    // An earlier attempt may still be reading: one whose upstream answered early (a 503 retried
    // now) and whose reader promised to send the rest (followToEnd). It stops here, so that two
    // attempts never share the client's chunks; what it read is kept for this one.
    try {
      this.#current?.error(new Error("request body taken over by a retry"));
    } catch { /* closed */ }
    let index = 0;
    let followed = false;
    const stream = new ReadableStream<Uint8Array>({
      start: (controller) => {
        this.#current = controller;
      },
      pull: async (controller) => {
        if (!this.#overflowed && index < this.#kept.length) {
          controller.enqueue(this.#kept[index++]!);
          return;
        }
        const chunk = await this.#next();
        if (chunk === null) {
          controller.close();
          return;
        }
        index++;
        controller.enqueue(chunk);
      },
      // Only a reader that promised to read the body to its end (no retry can follow then)
      // gives up the client's body with its attempt.
      cancel: (reason) => followed ? this.cancel(reason) : undefined,
    }, { highWaterMark: 0 });
    // A reader that goes on after the response (see followToEnd) reads the client's body.
    onFollow(stream, () => followed = followToEnd(this.#source));
    return stream;
  }

  /** Stops reading the client's body (after the request ended). */
  async cancel(reason?: unknown): Promise<void> {
    if (!this.#done) await this.#reader.cancel(reason).catch(() => {});
    this.#kept = [];
  }

  #next(): Promise<Uint8Array | null> {
    if (this.#done) return Promise.resolve(null);
    this.#pending ??= this.#reader.read().then(({ done, value }) => {
      this.#pending = undefined;
      if (done) {
        this.#done = true;
        return null;
      }
      this.#keep(value);
      return value;
    }, (error) => {
      this.#pending = undefined;
      this.#sourceFailed = true;
      this.#sourceError = error;
      throw error;
    });
    return this.#pending;
  }

  #keep(chunk: Uint8Array): void {
    if (this.#overflowed) return;
    if (this.#keptBytes + chunk.byteLength > this.#limit) {
      this.#overflowed = true;
      this.#kept = [];
      this.#keptBytes = 0;
      return;
    }
    // Kept to be sent again: its array must never go back to the body pool.
    BODY_ARRAYS.retain(chunk);
    this.#kept.push(chunk);
    this.#keptBytes += chunk.byteLength;
  }
}
