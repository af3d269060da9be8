/**
 * Follows a response body to its end, so in-flight counts and access logs see the real finish.
 *
 * @module
 */

import type { ResponseOutcome } from "../middleware/context.ts";
import { UpstreamTimeoutError } from "./errors.ts";
import { type DeadlineSweep, PROXY_DEADLINES } from "./deadline_sweep.ts";

/** Options of {@linkcode trackBody}. */
export interface TrackBodyOptions {
  /** Longest wait for the next chunk, ms; the body is cut with an error past it. 0: none. */
  idleTimeoutMs?: number;
  /** Upstream name for the idle timeout's error. */
  upstream?: string;
  /** Where the idle timeout waits (it fires up to one tick late). @default PROXY_DEADLINES */
  deadlines?: DeadlineSweep;
}

/**
 * Wraps a body stream: chunks pass through unchanged and are counted; `onDone` is called
 * exactly once when the body ends, fails, is cut by the idle timeout, or is cancelled by the
 * client.
 * @param body the upstream's response body.
 * @param onDone receives the bytes passed and how the body ended.
 * @param options idle timeout between chunks.
 * @returns the stream to hand to the client.
 */
export function trackBody(
  body: ReadableStream<Uint8Array>,
  onDone: (outcome: ResponseOutcome) => void,
  options: TrackBodyOptions = {},
): ReadableStream<Uint8Array> {
  const reader = body.getReader();
  const idleMs = options.idleTimeoutMs ?? 0;
  const deadlines = options.deadlines ?? PROXY_DEADLINES;
  let idle: UpstreamTimeoutError | undefined;
  // One closure for every chunk's idle deadline, not one timer and closure per chunk.
  const onIdle = () => {
    idle = new UpstreamTimeoutError(options.upstream ?? "upstream", idleMs, "idle");
    reader.cancel(idle).catch(() => {});
  };
  let bytes = 0;
  let finished = false;
  const finish = (clientAborted: boolean, error?: unknown) => {
    if (finished) return;
    finished = true;
    onDone(error === undefined ? { bytes, clientAborted } : { bytes, clientAborted, error });
  };
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      let result: ReadableStreamReadResult<Uint8Array>;
      // Armed only while waiting for the upstream, not while the client is slow to take a chunk.
      const deadline = idleMs > 0 ? deadlines.add(performance.now() + idleMs, onIdle) : undefined;
      try {
        result = await reader.read();
      } catch (error) {
        finish(false, idle ?? error);
        controller.error(idle ?? error);
        return;
      } finally {
        if (deadline !== undefined) deadlines.cancel(deadline);
      }
      if (idle !== undefined) {
        finish(false, idle);
        controller.error(idle);
        return;
      }
      if (result.done) {
        finish(false);
        controller.close();
        return;
      }
      bytes += result.value.byteLength;
      controller.enqueue(result.value);
    },
    async cancel(reason) {
      finish(true);
      await reader.cancel(reason).catch(() => {});
    },
  }, { highWaterMark: 0 });
}
