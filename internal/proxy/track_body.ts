/**
 * Follows a response body to its end, so in-flight counts and access logs see the real finish.
 *
 * @module
 */

import type { ResponseOutcome } from "../middleware/context.ts";

/**
 * Wraps a body stream: chunks pass through unchanged and are counted; `onDone` is called
 * exactly once when the body ends, fails, or is cancelled by the client.
 * @param body the upstream's response body.
 * @param onDone receives the bytes passed and how the body ended.
 * @returns the stream to hand to the client.
 */
export function trackBody(
  body: ReadableStream<Uint8Array>,
  onDone: (outcome: ResponseOutcome) => void,
): ReadableStream<Uint8Array> {
  const reader = body.getReader();
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
      try {
        result = await reader.read();
      } catch (error) {
        finish(false, error);
        controller.error(error);
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
