/**
 * A request body read to its end after the response went out: the promise a body's reader
 * (the http1 transport sending an upload the upstream answered early) gives the body's producer
 * (the HTTP/1.1 listener), so that the client connection stays open for the next request
 * instead of being closed with the body half read.
 *
 * @module
 */

const FOLLOWERS = new WeakMap<ReadableStream<Uint8Array>, () => boolean>();

/**
 * Registers what to call when a reader of `stream` promises to read it to its end.
 * @param stream a request body stream.
 * @param onFollow called at most once per promise; returns whether the producer takes it
 *   (false: the producer will not wait for the end, the reader should stop).
 */
export function onFollow(stream: ReadableStream<Uint8Array>, onFollow: () => boolean): void {
  FOLLOWERS.set(stream, onFollow);
}

/**
 * Promises `stream`'s producer that its reader goes on to the body's end (or fails it) even
 * though a response was already returned: the producer then waits for the end rather than
 * closing the connection the body arrives on.
 * @param stream the request body being read.
 * @returns whether the producer took the promise; false for a stream nobody registered (a
 *   middleware's wrap) or a producer that will not wait.
 */
export function followToEnd(stream: ReadableStream<Uint8Array>): boolean {
  return FOLLOWERS.get(stream)?.() ?? false;
}
