/**
 * The response the http1 transport hands to the proxy: a lean object with the `Response`
 * interface over the parsed header field list, which makes a WHATWG `Response` only when a
 * member that needs one is used.
 *
 * Building a `Response` per upstream answer (Deno's constructor, its body extraction, WebIDL
 * checks and one `Headers.append` per field), setting `X-Request-Id` on its `Headers` and
 * reading them back with `Headers.forEach` (a sorted, combined copy of the list) was about 5% of
 * the busy time of the defaults; the default path reads the status, edits one field and writes
 * the list.
 *
 * @module
 */

import { DelegatedBody } from "./delegated_body.ts";
import type { HeaderList } from "./headers.ts";

/** Statuses whose response has no body (Fetch: null body status). */
const NULL_BODY_STATUSES = new Set([101, 103, 204, 205, 304]);

/** tchar (RFC 9110 §5.6.2): 1 for each byte allowed in a token. */
const TCHAR = new Uint8Array(128);
for (const c of "!#$%&'*+-.^_`|~") TCHAR[c.charCodeAt(0)] = 1;
for (let c = 0x30; c <= 0x39; c++) TCHAR[c] = 1;
for (let c = 0x41; c <= 0x5a; c++) TCHAR[c] = 1;
for (let c = 0x61; c <= 0x7a; c++) TCHAR[c] = 1;

/**
 * A response as a transport parsed it: implements `Response` (it is not an
 * `instanceof Response`). Its own members: `status`, `statusText`, `ok`, and the field list,
 * which {@linkcode responseFieldList} and {@linkcode setResponseField} read and edit without a
 * `Headers`. Every other member (`headers`, `body` when there is one, `bodyUsed` once made,
 * `arrayBuffer()`, `blob()`, `bytes()`, `formData()`, `json()`, `text()`, `textStream()`,
 * `clone()`, `type`,
 * `url`, `redirected`) is delegated to a real `Response` made on first use with the body and the
 * list as it is then (fields appended in order); from then on the real response's `Headers` is
 * the only copy, and the list is no longer read.
 *
 * `Deno.serve` takes only a real `Response`: {@linkcode realResponse} gives it one.
 */
export class FieldResponse extends DelegatedBody<Response> implements Response {
  readonly #status: number;
  readonly #statusText: string;
  readonly #body: Uint8Array<ArrayBuffer> | ReadableStream<Uint8Array> | null;
  readonly #fields: HeaderList;
  #response: Response | undefined;

  /**
   * @param body the body: bytes, a stream, or `null`.
   * @param status the status code: 101 or 200–599, as `Response` takes it.
   * @param statusText the reason phrase, possibly empty (a ByteString).
   * @param fields lower-case names with their values, validated as `Headers` would (the
   *   transport's response parser does); kept and edited in place, not copied.
   * @throws {RangeError} a status `Response` refuses.
   * @throws {TypeError} a body with a null-body status (101, 103, 204, 205, 304).
   */
  constructor(
    body: Uint8Array<ArrayBuffer> | ReadableStream<Uint8Array> | null,
    status: number,
    statusText: string,
    fields: HeaderList,
  ) {
    super();
    if (status !== 101 && !(status >= 200 && status <= 599)) {
      throw new RangeError(
        `The status provided (${status}) is not equal to 101 and outside the range [200, 599]`,
      );
    }
    if (body !== null && NULL_BODY_STATUSES.has(status)) {
      throw new TypeError("Response with null body status cannot have body");
    }
    this.#status = status;
    this.#statusText = statusText;
    this.#body = body;
    this.#fields = fields;
  }

  /** The status code. */
  get status(): number {
    return this.#status;
  }

  /** The reason phrase. */
  get statusText(): string {
    return this.#statusText;
  }

  /** Whether the status is 200–299. */
  get ok(): boolean {
    return this.#status >= 200 && this.#status <= 299;
  }

  /** The response's headers: the real response's, made on first read. */
  get headers(): Headers {
    return this.#real().headers;
  }

  /** The body as a stream (the real response's), `null` without one. */
  get body(): ReadableStream<Uint8Array<ArrayBuffer>> | null {
    return this.#body === null ? null : this.#real().body;
  }

  /** Whether the body was read, as `Response.bodyUsed`. */
  get bodyUsed(): boolean {
    // Without the real response nothing has seen the body: `body` makes it.
    return this.#response === undefined ? false : this.#response.bodyUsed;
  }

  /** As `Response.type`. */
  get type(): ResponseType {
    return this.#real().type;
  }

  /** As `Response.url`. */
  get url(): string {
    return this.#real().url;
  }

  /** As `Response.redirected`. */
  get redirected(): boolean {
    return this.#real().redirected;
  }

  /**
   * As `Response.clone()`: a real `Response`.
   * @throws {TypeError} when the body was already read.
   */
  clone(): Response {
    return this.#real().clone();
  }

  /** Shown by `console.log` and `Deno.inspect` as a response's status. */
  [Symbol.for("Deno.customInspect")](): string {
    return `FieldResponse { status: ${this.#status} }`;
  }

  /** The field list while no real response was made, else `undefined`. */
  get fieldList(): HeaderList | undefined {
    return this.#response === undefined ? this.#fields : undefined;
  }

  /** The real response, made once: the body, the status and the list appended to its Headers. */
  /** @inheritdoc */
  protected real(): Response {
    return this.#real();
  }

  #real(): Response {
    if (this.#response !== undefined) return this.#response;
    const response = new Response(this.#body, {
      status: this.#status,
      statusText: this.#statusText,
    });
    const headers = response.headers;
    const fields = this.#fields;
    for (let i = 0; i < fields.length; i++) {
      const field = fields[i]!;
      headers.append(field[0], field[1]);
    }
    return this.#response = response;
  }

  /** The real response (see {@linkcode realResponse}). */
  toResponse(): Response {
    return this.#real();
  }
}

/**
 * A response's header fields as a list, in order and uncombined, when it is a
 * {@linkcode FieldResponse} whose `headers` was never read: read it instead of
 * `response.headers` (whose `forEach` builds a sorted, combined copy).
 * @param response any response.
 * @returns the list (the response's own: edit it only through {@linkcode setResponseField}),
 *   or `undefined`: then read `response.headers`.
 */
export function responseFieldList(response: Response): HeaderList | undefined {
  return response instanceof FieldResponse ? response.fieldList : undefined;
}

/**
 * Sets a response header as `response.headers.set(name, value)` does (every field of that name
 * replaced by one, the name lower-cased, the value's leading and trailing whitespace trimmed),
 * in the list of a {@linkcode FieldResponse} without making its `Headers`.
 * @param response any response with mutable headers.
 * @param name the field name.
 * @param value the value.
 * @throws {TypeError} as `Headers.set`: a name that is not a token, a value with NUL, CR, LF or
 *   a character above U+00FF; or immutable headers.
 */
export function setResponseField(response: Response, name: string, value: string): void {
  const list = responseFieldList(response);
  if (list === undefined) {
    response.headers.set(name, value);
    return;
  }
  const field = checkedField(name, value);
  let kept = 0;
  for (let i = 0; i < list.length; i++) {
    const line = list[i]!;
    if (line[0] !== field[0]) list[kept++] = line;
  }
  list.length = kept;
  list.push(field);
}

/**
 * The response `Deno.serve` can take: a {@linkcode FieldResponse}'s real response (made now if
 * it was not), any other as it is.
 * @param response any response.
 * @returns a WHATWG `Response`.
 */
export function realResponse(response: Response): Response {
  return response instanceof FieldResponse ? response.toResponse() : response;
}

/** HTTP whitespace (Fetch): what `Headers` trims from a value. */
function isHttpWhitespace(c: number): boolean {
  return c === 32 || c === 9 || c === 10 || c === 13;
}

/** The field as `Headers.set` stores it, or the `TypeError` it throws. */
function checkedField(name: string, value: string): [string, string] {
  if (name.length === 0) throw new TypeError("Header name is not valid.");
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c >= 128 || TCHAR[c] === 0) throw new TypeError(`Header name is not valid: "${name}"`);
  }
  let start = 0;
  let end = value.length;
  while (start < end && isHttpWhitespace(value.charCodeAt(start))) start++;
  while (end > start && isHttpWhitespace(value.charCodeAt(end - 1))) end--;
  const trimmed = start === 0 && end === value.length ? value : value.slice(start, end);
  for (let i = 0; i < trimmed.length; i++) {
    const c = trimmed.charCodeAt(i);
    if (c === 0 || c === 10 || c === 13 || c > 0xff) {
      throw new TypeError(`Header value is not valid: "${name}"`);
    }
  }
  return [name.toLowerCase(), trimmed];
}
