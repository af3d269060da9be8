/**
 * The request the HTTP/1.1 listener hands to the handler: a lean object with the `Request`
 * interface that makes a WHATWG `Request` only when a member that needs one is used.
 *
 * Building a `Request` per request (Deno's constructor, its inner request, WebIDL checks and
 * one `Headers.append` per field) was about 6% of the busy time of the defaults and the largest
 * object promoted by scavenges; the proxy reads the method, the parsed field lines
 * (`RequestContext.headerFields`) and, for an upload, the body stream.
 *
 * @module
 */

import { DelegatedBody } from "../../proxy/mod.ts";

/**
 * URL of the `Request` made on first use (see {@linkcode ClientRequest}): never parsed per
 * request, never resolvable (RFC 6761 `.invalid`). Only that inner request carries it; `url`
 * and {@linkcode ClientRequest.clone} give the request's own URL.
 */
const PLACEHOLDER_URL = "http://sluice.invalid/";

/** Methods `new Request` refuses (Fetch: forbidden methods), upper case. */
const FORBIDDEN_METHODS = new Set(["CONNECT", "TRACE", "TRACK"]);

/** Methods `new Request` upper-cases when sent in another case (Fetch: normalize a method). */
const NORMALIZED_METHODS = new Set(["DELETE", "GET", "HEAD", "OPTIONS", "POST", "PUT"]);

/** Header field lines in wire order: names lower case, values trimmed (`parseHead`'s). */
type FieldLines = readonly (readonly [string, string])[];

/**
 * A client's request as the listener read it: implements `Request` (it is not an
 * `instanceof Request`). Cheap members read what the listener parsed:
 * - `method`: as `new Request` normalises it (DELETE, GET, HEAD, OPTIONS, POST and PUT in any
 *   case upper-cased; others as sent, CONNECT, TRACE and TRACK too, which `new Request`
 *   refuses and `Deno.serve` hands over as sent).
 * - `url`: `http://<authority><target>` as `Deno.serve` builds it, parsed on first read; an
 *   authority the WHATWG URL parser refuses falls back to the listener's (`localhost:<port>`;
 *   the request checks answer such a Host with 400 from `ctx.authority`).
 * - `signal`: an `AbortSignal` made on first read, aborted when the client leaves
 *   ({@linkcode ClientRequest.clientGone}), also when first read after that.
 * - `body`: `null` for a request without one; `bodyUsed` is false while nothing read it.
 *
 * Every other member is delegated to a real `Request` made on first use (method, the parsed
 * fields appended to its `Headers`, the listener's body stream, which stays the same object):
 * `headers`, `body` (of a request with a body), `bodyUsed` once made, `arrayBuffer()`,
 * `blob()`, `bytes()`, `formData()`, `json()`, `text()`, `textStream()`, `cache`,
 * `credentials`, `destination`, `integrity`, `isHistoryNavigation`, `isReloadNavigation`,
 * `keepalive`, `mode`, `redirect`, `referrer` and
 * `referrerPolicy`. `clone()` gives a real `Request` with this one's URL, method, headers, a
 * tee of the body and this one's `signal`. So the hot path, which reads `headerFields`
 * instead of `headers`, never makes a `Request` nor a `Headers` for a request without a body.
 *
 * Not a `Request` to Deno: `fetch(request)` and `new Request(request)` do not take it (they
 * would read it as a URL string). For a forbidden method, the inner request (and a clone)
 * carries GET (no body) or POST instead.
 */
export class ClientRequest extends DelegatedBody<Request> implements Request {
  readonly #method: string;
  readonly #authority: string;
  readonly #path: string;
  readonly #fallbackAuthority: string;
  readonly #fields: FieldLines;
  readonly #body: ReadableStream<Uint8Array> | null;
  #url: string | undefined;
  #abort: AbortController | undefined;
  #gone = false;
  /** What to cancel when the client leaves, and with what: target, reason, target, … */
  #onGone: unknown[] | undefined;
  /** The real request, made on first use of a member that needs one. */
  #request: Request | undefined;

  /**
   * Use {@linkcode buildRequest}, which refuses what `new Request` would.
   * @param method the method, normalised as `new Request` does (see {@linkcode normalizeMethod}).
   * @param authority the request's authority (Host or absolute-form target).
   * @param path the origin-form path and query (`/` for CONNECT, `/*` for `OPTIONS *`).
   * @param fallbackAuthority the listener's authority, for an authority the URL parser refuses.
   * @param fields the header field lines (see `parseHead`): names lower case, values trimmed;
   *   kept, not copied.
   * @param body the body stream, `null` for none; never with GET or HEAD.
   */
  constructor(
    method: string,
    authority: string,
    path: string,
    fallbackAuthority: string,
    fields: FieldLines,
    body: ReadableStream<Uint8Array> | null,
  ) {
    super();
    this.#method = method;
    this.#authority = authority;
    this.#path = path;
    this.#fallbackAuthority = fallbackAuthority;
    this.#fields = fields;
    this.#body = body;
  }

  /** The method, normalised as `new Request` does. */
  get method(): string {
    return this.#method;
  }

  /** `http://<authority><target>`, normalised by the WHATWG URL parser. */
  get url(): string {
    return this.#url ??= requestUrl(this.#authority, this.#path, this.#fallbackAuthority);
  }

  /** Aborts (an `AbortError`) when the client closed the connection before its response. */
  get signal(): AbortSignal {
    if (this.#abort === undefined) {
      this.#abort = new AbortController();
      if (this.#gone) this.#abort.abort();
    }
    return this.#abort.signal;
  }

  /** The request's headers: a `Headers` of the parsed fields, made on first read. */
  get headers(): Headers {
    return this.#real().headers;
  }

  /** The listener's body stream, `null` for a request without a body. */
  get body(): ReadableStream<Uint8Array<ArrayBuffer>> | null {
    return this.#body === null ? null : this.#real().body;
  }

  /** Whether the body was read (or cancelled), as `Request.bodyUsed`. */
  get bodyUsed(): boolean {
    // Without the real request nothing has seen the stream: `body` makes it.
    return this.#request === undefined ? false : this.#request.bodyUsed;
  }

  /** As `Request.cache`. */
  get cache(): RequestCache {
    return this.#real().cache;
  }

  /** As `Request.credentials`. */
  get credentials(): RequestCredentials {
    return this.#real().credentials;
  }

  /** As `Request.destination`. */
  get destination(): RequestDestination {
    return this.#real().destination;
  }

  /** As `Request.isHistoryNavigation` (Deno has none: `undefined`). */
  get isHistoryNavigation(): boolean {
    return this.#real().isHistoryNavigation;
  }

  /** As `Request.isReloadNavigation` (Deno has none: `undefined`). */
  get isReloadNavigation(): boolean {
    return this.#real().isReloadNavigation;
  }

  /** As `Request.integrity`. */
  get integrity(): string {
    return this.#real().integrity;
  }

  /** As `Request.keepalive`. */
  get keepalive(): boolean {
    return this.#real().keepalive;
  }

  /** As `Request.mode`. */
  get mode(): RequestMode {
    return this.#real().mode;
  }

  /** As `Request.redirect`. */
  get redirect(): RequestRedirect {
    return this.#real().redirect;
  }

  /** As `Request.referrer`. */
  get referrer(): string {
    return this.#real().referrer;
  }

  /** As `Request.referrerPolicy`. */
  get referrerPolicy(): ReferrerPolicy {
    return this.#real().referrerPolicy;
  }

  /**
   * A real `Request` with this one's URL, method (GET or POST for a forbidden method),
   * headers, a tee of its body (as `Request.clone()`) and its `signal`.
   * @throws {TypeError} when the body was already read.
   */
  clone(): Request {
    const copy = this.#real().clone();
    // The fields appended again, not the copy's combined lines: `Headers` would trim a value
    // combined from lines of which the last is empty ("a, ").
    return withFields(
      new Request(this.url, {
        method: copy.method,
        body: copy.body,
        signal: this.signal,
        duplex: "half",
      } as RequestInit),
      this.#fields,
    );
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

  /** Shown by `console.log` and `Deno.inspect` as a request's method and URL. */
  [Symbol.for("Deno.customInspect")](): string {
    return `ClientRequest { method: ${JSON.stringify(this.#method)}, url: ${
      JSON.stringify(this.url)
    } }`;
  }

  /**
   * The real request: made once, with the method (GET or POST for a forbidden one), the fields
   * appended to its own `Headers` (an init's header list costs more: its conversion iterates a
   * sequence of sequences) and the body stream, which it keeps as its `body`.
   */
  /** @inheritdoc */
  protected real(): Request {
    return this.#real();
  }

  #real(): Request {
    if (this.#request !== undefined) return this.#request;
    const body = this.#body;
    const method = FORBIDDEN_METHODS.has(this.#method.toUpperCase())
      ? (body === null ? "GET" : "POST")
      : this.#method;
    return this.#request = withFields(
      new Request(
        PLACEHOLDER_URL,
        body === null
          ? (method === "GET" ? NO_INIT : { method })
          : { method, body, duplex: "half" } as RequestInit,
      ),
      this.#fields,
    );
  }
}

/** `request` with `fields` appended to its headers, in order. */
function withFields(request: Request, fields: FieldLines): Request {
  const headers = request.headers;
  for (let i = 0; i < fields.length; i++) {
    const field = fields[i]!;
    headers.append(field[0], field[1]);
  }
  return request;
}

function requestUrl(authority: string, path: string, fallbackAuthority: string): string {
  try {
    return new URL(`http://${authority}${path}`).href;
  } catch {
    return new URL(`http://${fallbackAuthority}${path}`).href;
  }
}

/**
 * The method as `new Request` keeps it (Fetch: normalize a method): DELETE, GET, HEAD, OPTIONS,
 * POST and PUT in any case upper-cased, every other token as sent.
 * @param method a method token (RFC 9110 §9.1).
 * @returns the normalised method.
 */
export function normalizeMethod(method: string): string {
  if (NORMALIZED_METHODS.has(method)) return method;
  const upper = method.toUpperCase();
  return NORMALIZED_METHODS.has(upper) ? upper : method;
}

/**
 * The request the handler gets for a parsed request head. Makes no `Request` and no `Headers`
 * (see {@linkcode ClientRequest}). Refuses what `new Request` would refuse for a head
 * `parseHead` accepted: a body with GET or HEAD in any case (`get` with a Content-Length; the
 * listener gives no body to GET and HEAD as sent). Nothing else: the method and field names are
 * tokens, the values Latin-1 without NUL, CR or LF and trimmed (what `Headers` checks;
 * `client_request_test.ts` checks it for every byte `parseHead` lets through).
 * @param method the method token as sent (case kept).
 * @param authority Host or the absolute-form target's authority (`fallbackAuthority` when none).
 * @param target the request target: origin form, `*` or `""` (CONNECT).
 * @param fields header fields in wire order, names lower-cased (as `parseHead` validated them);
 *   kept, not copied.
 * @param body the body stream, `null` for none.
 * @param fallbackAuthority the listener's `localhost:<port>`.
 * @returns the request, or `undefined` when `new Request` would refuse the head (an answer of
 *   400).
 */
export function buildRequest(
  method: string,
  authority: string,
  target: string,
  fields: FieldLines,
  body: ReadableStream<Uint8Array> | null,
  fallbackAuthority: string,
): ClientRequest | undefined {
  const normalized = normalizeMethod(method);
  if (body !== null && (normalized === "GET" || normalized === "HEAD")) return undefined;
  const path = target === "*" ? "/*" : target === "" ? "/" : target;
  return new ClientRequest(normalized, authority, path, fallbackAuthority, fields, body);
}

/** The init of a GET without a body: no member, so `new Request` skips its header step. */
const NO_INIT: RequestInit = Object.freeze({});
