/**
 * The WHATWG `Request` the HTTP/1.1 listener hands to the handler, with its two costly parts
 * made only when read: `url` (a WHATWG URL parse) and `signal` (an `AbortController`). A
 * `Request` given a `signal` makes a dependent signal (a weak reference the GC must trace) and
 * one given a URL parses it: the proxy reads neither on most requests, or reads the signal once.
 *
 * @module
 */

/**
 * URL given to `Request` itself: never parsed per request, never resolvable (RFC 6761
 * `.invalid`). Only Deno's own readers of a request's internal slots see it: `fetch(request)`,
 * `new Request(request)`, `request.clone()`; Sluice calls none of them on a client request.
 */
const PLACEHOLDER_URL = "http://sluice.invalid/";

/** Methods `new Request` refuses (Fetch: forbidden methods). */
const FORBIDDEN_METHODS = new Set(["CONNECT", "TRACE", "TRACK"]);

/**
 * A client's request as the listener read it. `url` is `http://<authority><target>` as
 * `Deno.serve` builds it, parsed on first read; an authority the WHATWG URL parser refuses
 * falls back to the listener's (`localhost:<port>`; the request checks answer such a Host with
 * 400 from `ctx.authority`). `signal` aborts when the client leaves
 * ({@linkcode ClientRequest.clientGone}), also when first read after that.
 */
export class ClientRequest extends Request {
  readonly #authority: string;
  readonly #path: string;
  readonly #fallbackAuthority: string;
  #url: string | undefined;
  #abort: AbortController | undefined;
  #gone = false;
  /** What to cancel when the client leaves, and with what: target, reason, target, … */
  #onGone: unknown[] | undefined;

  /**
   * @param authority the request's authority (Host or absolute-form target).
   * @param path the origin-form path and query (`/` for CONNECT, `/*` for `OPTIONS *`).
   * @param fallbackAuthority the listener's authority, for an authority the URL parser refuses.
   * @param init method (one `new Request` accepts), headers and body.
   * @throws {TypeError} what `new Request` throws for `init` (an invalid header or method).
   */
  constructor(authority: string, path: string, fallbackAuthority: string, init: RequestInit) {
    super(PLACEHOLDER_URL, init);
    this.#authority = authority;
    this.#path = path;
    this.#fallbackAuthority = fallbackAuthority;
  }

  /** `http://<authority><target>`, normalised by the WHATWG URL parser. */
  override get url(): string {
    return this.#url ??= requestUrl(this.#authority, this.#path, this.#fallbackAuthority);
  }

  /** Aborts (an `AbortError`) when the client closed the connection before its response. */
  override get signal(): AbortSignal {
    if (this.#abort === undefined) {
      this.#abort = new AbortController();
      if (this.#gone) this.#abort.abort();
    }
    return this.#abort.signal;
  }

  /** Whether the client left (`signal.aborted` without making the signal). */
  get clientHasGone(): boolean {
    return this.#gone;
  }

  /**
   * Cancels `target` with `reason` when the client leaves, at once when it has: the proxy's
   * cancellation, without an `AbortController` and a listener (`ClientGoneWatch`).
   * @param target what to cancel.
   * @param reason the reason to cancel it with.
   */
  cancelWhenGone(target: { cancel(reason: unknown): void }, reason: unknown): void {
    if (this.#gone) target.cancel(reason);
    else (this.#onGone ??= []).push(target, reason);
  }

  /**
   * The client left: aborts `signal` now if it was read, else makes it aborted when read, and
   * cancels what {@linkcode cancelWhenGone} registered.
   */
  clientGone(): void {
    if (this.#gone) return;
    this.#gone = true;
    this.#abort?.abort();
    const onGone = this.#onGone;
    this.#onGone = undefined;
    if (onGone === undefined) return;
    for (let i = 0; i < onGone.length; i += 2) {
      (onGone[i] as { cancel(reason: unknown): void }).cancel(onGone[i + 1]);
    }
  }
}

/** A {@linkcode ClientRequest} whose method Fetch forbids, handed over as `Deno.serve` does. */
class ForbiddenMethodRequest extends ClientRequest {
  readonly #method: string;
  constructor(
    authority: string,
    path: string,
    fallbackAuthority: string,
    init: RequestInit,
    method: string,
  ) {
    super(authority, path, fallbackAuthority, init);
    this.#method = method;
  }

  override get method(): string {
    return this.#method;
  }
}

function requestUrl(authority: string, path: string, fallbackAuthority: string): string {
  try {
    return new URL(`http://${authority}${path}`).href;
  } catch {
    return new URL(`http://${fallbackAuthority}${path}`).href;
  }
}

/**
 * The request the handler gets for a parsed request head.
 * @param method the method token as sent (case kept); CONNECT, TRACE and TRACK, which
 *   `new Request` refuses, are kept by an override of `method`.
 * @param authority Host or the absolute-form target's authority (`fallbackAuthority` when none).
 * @param target the request target: origin form, `*` or `""` (CONNECT).
 * @param fields header fields in wire order, names lower-cased (already validated).
 * @param body the body stream, `null` for none.
 * @param fallbackAuthority the listener's `localhost:<port>`.
 * @returns the request, or `undefined` when `new Request` refuses the head (an answer of 400).
 */
export function buildRequest(
  method: string,
  authority: string,
  target: string,
  fields: [string, string][],
  body: ReadableStream<Uint8Array> | null,
  fallbackAuthority: string,
): ClientRequest | undefined {
  const path = target === "*" ? "/*" : target === "" ? "/" : target;
  const forbidden = FORBIDDEN_METHODS.has(method.toUpperCase());
  const placeholder = forbidden ? (body === null ? "GET" : "POST") : method;
  // The fields are appended to the request's own Headers rather than passed in the init: the
  // init's conversion (a sequence of sequences, iterated) allocated 7.8 KB for a browser's
  // 7 fields against 3.2 KB so; the same validation either way. A GET's init is empty, which
  // skips the init's header step altogether.
  const init: RequestInit = body !== null
    ? { method: placeholder, body, duplex: "half" } as RequestInit
    : placeholder === "GET"
    ? NO_INIT
    : { method: placeholder };
  try {
    const request = forbidden
      ? new ForbiddenMethodRequest(authority, path, fallbackAuthority, init, method)
      : new ClientRequest(authority, path, fallbackAuthority, init);
    const headers = request.headers;
    for (let i = 0; i < fields.length; i++) {
      const field = fields[i]!;
      headers.append(field[0], field[1]);
    }
    return request;
  } catch {
    return undefined;
  }
}

/** The init of a GET without a body: no member, so `new Request` skips its header step. */
const NO_INIT: RequestInit = Object.freeze({});
