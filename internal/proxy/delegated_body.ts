/**
 * The body-reading members shared by Sluice's lean `Request` and `Response` objects (the http1
 * listener's `ClientRequest`, the http1 transport's `FieldResponse`): each is the same call on
 * the real object the subclass makes on first use of a member that needs one.
 *
 * @module
 */

/**
 * Delegates `arrayBuffer()`, `blob()`, `bytes()`, `formData()`, `json()`, `text()` and Deno's
 * `textStream()` to {@linkcode DelegatedBody.real}: reading the body whole is never on the hot
 * path, so it goes through Deno's own implementation (Fetch's body mixin).
 */
export abstract class DelegatedBody<T extends Request | Response> {
  /**
   * The real object, made on first use and the same one afterwards.
   * @returns the real `Request` or `Response` carrying this one's body.
   */
  protected abstract real(): T;

  /**
   * The body read whole, as Fetch's `arrayBuffer()`.
   * @throws {TypeError} (rejects) when the body was already read.
   */
  arrayBuffer(): Promise<ArrayBuffer> {
    return this.real().arrayBuffer();
  }

  /**
   * The body as a `Blob` typed by Content-Type, as Fetch's `blob()`.
   * @throws {TypeError} (rejects) when the body was already read.
   */
  blob(): Promise<Blob> {
    return this.real().blob();
  }

  /**
   * The body read whole, as Fetch's `bytes()`.
   * @throws {TypeError} (rejects) when the body was already read.
   */
  bytes(): Promise<Uint8Array<ArrayBuffer>> {
    return this.real().bytes();
  }

  /**
   * The body parsed by Content-Type, as Fetch's `formData()`.
   * @throws {TypeError} (rejects) when the body was already read or is not form data.
   */
  formData(): Promise<FormData> {
    return this.real().formData();
  }

  /**
   * The body parsed as JSON, as Fetch's `json()`.
   * @throws {TypeError} (rejects) when the body was already read.
   * @throws {SyntaxError} (rejects) when it is not JSON.
   */
  // deno-lint-ignore no-explicit-any
  json(): Promise<any> {
    return this.real().json();
  }

  /**
   * The body decoded as UTF-8, as Fetch's `text()`.
   * @throws {TypeError} (rejects) when the body was already read.
   */
  text(): Promise<string> {
    return this.real().text();
  }

  /**
   * The body decoded as UTF-8, streamed, as Deno's `textStream()`.
   * @throws {TypeError} when the body was already read.
   */
  textStream(): ReadableStream<string> {
    return this.real().textStream();
  }
}
