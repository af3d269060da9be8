/**
 * Transports send one request to one upstream and return its streaming response.
 *
 * @module
 */

import type { UpstreamTlsOptions } from "../net/mod.ts";
import type { HeaderList } from "./headers.ts";
import { Cancellation } from "./cancellation.ts";

/** One request as the transport sends it. */
export interface UpstreamRequest {
  /** Absolute URL: the upstream's origin followed by the client's path and query. */
  url: string;
  /**
   * The upstream's origin (`scheme://host[:port]`, no path) when the caller has it apart from
   * the request target: then `url` is exactly `origin + target`, and a transport may use the two
   * rather than split `url` again (the http1 transport does; fetch takes `url`).
   */
  origin?: string;
  /** The request target in origin form (`/path?query`), given with `origin`. */
  target?: string;
  /** Request method, as the client sent it. */
  method: string;
  /** Headers to send, already rewritten for the upstream. */
  headers: HeaderList;
  /** Body: a stream (sent chunked), whole bytes (sent with Content-Length), or `null`. */
  body: ReadableStream<Uint8Array> | Uint8Array<ArrayBuffer> | null;
  /**
   * Aborts the request and its response body: an `AbortSignal`, or the cheaper
   * {@linkcode Cancellation} that `forward` passes (the transport puts what it must close in its
   * slot, and throws its `reason` as the failure).
   */
  signal: AbortSignal | Cancellation;
}

/**
 * The outcome of {@linkcode Transport.upgrade}: the upstream's answer to a request that asked
 * for a protocol upgrade (`Connection: upgrade` and `Upgrade`, RFC 9110 §7.8).
 */
export interface UpstreamUpgrade {
  /**
   * The upstream's response. On `101 Switching Protocols` it carries the headers only (no
   * body); on any other status it is a normal response whose body streams as with `send`.
   */
  response: Response;
  /**
   * On 101: the raw upstream connection, removed from any pool and owned by the caller, who
   * must close it. `null` on any other status.
   */
  socket: Deno.Conn | null;
  /** On 101: bytes the upstream sent after the 101 head, already read (to be relayed first). */
  head: Uint8Array;
}

/**
 * Sends requests to upstreams. Implementations resolve with the response as soon as its
 * headers arrive (the body streams) and reject with the transport's own error otherwise; the
 * caller classifies failures with `isConnectFailure` (internal/health).
 */
export interface Transport {
  /**
   * @param request what to send.
   * @returns the upstream's response, body unread.
   */
  send(request: UpstreamRequest): Promise<Response>;
  /**
   * Sends a request that asks for a protocol upgrade (WebSocket, RFC 6455), with its
   * `Connection: upgrade` and `Upgrade` headers as given. Optional: transports without it
   * (FetchTransport) cannot tunnel.
   * @param request what to send; its headers must include `connection` and `upgrade`.
   * @returns on 101 the response head, the upstream socket and any bytes read past the head;
   *   otherwise a normal response and `socket: null`.
   * @throws the same errors as `send`.
   */
  upgrade?(request: UpstreamRequest): Promise<UpstreamUpgrade>;
  /**
   * Closes the connection a response came on, after the proxy refused that response (see
   * `invalidResponseReason`): its framing cannot be trusted, so the connection must not be
   * reused. Optional: a transport whose own parser refuses such responses never needs it.
   * @param response the refused response, as `send` returned it.
   */
  discardConnection?(response: Response): void;
  /** Releases pooled connections. */
  close(): void;
  /**
   * True when the platform instruments this transport with OpenTelemetry and adds its own
   * `traceparent` (Deno's fetch with `OTEL_DENO=true`): Sluice then sends none of its own,
   * which would make two.
   */
  readonly injectsTraceContext?: boolean;
  /**
   * True when every `Response` from `send` is built for that request alone, its headers
   * editable and its hop-by-hop fields (RFC 9110 §7.6.1) already removed: the proxy then
   * passes it on as it is instead of copying it into a new `Response` (Deno's fetch returns
   * responses with immutable headers, so `FetchTransport` leaves this unset).
   */
  readonly clientReadyResponses?: boolean;
  /**
   * True when the transport's own response parser refuses every response that
   * `invalidResponseReason` looks for (both Content-Length and Transfer-Encoding, a 101 to a
   * request without an upgrade, a status outside 200–599), so the proxy does not read the
   * headers again to check.
   */
  readonly refusesInvalidResponses?: boolean;
}

/**
 * The responses without a body (HEAD, 204, 304, 205) of a transport with
 * `clientReadyResponses`: the proxy asks here instead of reading `response.body`, whose getter
 * turns a byte body into a stream that `Deno.serve` then pumps through JS instead of writing
 * the bytes at once.
 */
export const BODILESS_RESPONSES: WeakSet<Response> = new WeakSet();

/**
 * The bytes of the responses with a whole byte body (`new Response(bytes)`) of a transport with
 * `clientReadyResponses`, the exact bytes the response was built from: a listener that writes
 * bodies itself (the HTTP/1.1 listener) takes them from here instead of reading
 * `response.body`, whose getter would turn them into a stream read chunk by chunk.
 */
export const BYTE_BODIES: WeakMap<Response, Uint8Array> = new WeakMap();

/** Options of {@linkcode FetchTransport}. */
export interface FetchTransportOptions {
  /** Allow a `Host` header different from the URL's (needed to preserve the client's). @default true */
  allowHost?: boolean;
  /** Idle keep-alive connections kept per upstream. @default fetch's own default */
  poolMaxIdlePerHost?: number;
  /**
   * TLS settings for `https:` upstreams: CA bundle and client certificate. fetch sends the
   * URL's host as SNI name, so `serverName` must be unset.
   * @default the system's roots, no client certificate
   */
  tls?: UpstreamTlsOptions;
}

/**
 * Transport over Deno's `fetch` with its own `Deno.HttpClient` (pooled keep-alive HTTP/1.1
 * and HTTP/2). Redirects are passed to the client, never followed. Known traits of fetch, all
 * documented in the README: it adds `accept`, `accept-language` and `user-agent` when absent,
 * removes dot segments from the path (WHATWG URL parsing), and decompresses bodies unless the
 * request asks for `Accept-Encoding: identity` (which `send` therefore always sets).
 */
export class FetchTransport implements Transport {
  /** Deno's fetch adds `traceparent` itself when its OpenTelemetry is on. */
  readonly injectsTraceContext = true;
  readonly #options: Deno.CreateHttpClientOptions & { allowHost?: boolean };
  #client: Deno.HttpClient;

  /**
   * @param options Host, pool and TLS settings.
   * @throws {TypeError} when `options.tls.serverName` is set (fetch cannot send another SNI name).
   */
  constructor(options: FetchTransportOptions = {}) {
    const clientOptions: Deno.CreateHttpClientOptions & { allowHost?: boolean } = {
      allowHost: options.allowHost ?? true,
      ...fetchTlsOptions(options.tls ?? {}),
    };
    if (options.poolMaxIdlePerHost !== undefined) {
      clientOptions.poolMaxIdlePerHost = options.poolMaxIdlePerHost;
    }
    this.#options = clientOptions;
    this.#client = Deno.createHttpClient(clientOptions);
  }

  /**
   * @inheritdoc
   * Sends `Accept-Encoding: identity` whatever the client asked: fetch transparently
   * decompresses any other response while keeping its `Content-Encoding` header, which would
   * corrupt the body for the client. The list is edited in place.
   */
  send(request: UpstreamRequest): Promise<Response> {
    const headers = request.headers;
    let i = 0;
    while (i < headers.length && headers[i]![0] !== "accept-encoding") i++;
    headers[i] = ["accept-encoding", "identity"];
    return fetch(request.url, {
      method: request.method,
      headers,
      body: request.body,
      signal: request.signal instanceof Cancellation ? request.signal.toSignal() : request.signal,
      redirect: "manual",
      client: this.#client,
    });
  }

  /**
   * fetch cannot close one pooled connection, and by the time a small response's headers are
   * seen its connection is often back in the pool: so the whole client is replaced. Requests
   * in flight on the old one finish (Deno keeps a closed client alive for them); its idle
   * connections, the refused one among them, are closed. Costs new connections to every
   * upstream, which only a response that breaks the protocol triggers (passive health ejects
   * an upstream that keeps sending them).
   */
  discardConnection(_response: Response): void {
    const old = this.#client;
    this.#client = Deno.createHttpClient(this.#options);
    old.close();
  }

  /** @inheritdoc */
  close(): void {
    this.#client.close();
  }
}

/**
 * The `Deno.createHttpClient` options for upstream TLS settings: CA bundle, client certificate.
 * @param tls the settings.
 * @returns options to spread into `Deno.createHttpClient`.
 * @throws {TypeError} when `tls.serverName` is set: fetch sends the URL's host as SNI name.
 */
export function fetchTlsOptions(tls: UpstreamTlsOptions): Deno.CreateHttpClientOptions {
  if (tls.serverName !== undefined) {
    throw new TypeError(
      `the fetch transport cannot send the TLS server name ${tls.serverName}: use http1`,
    );
  }
  const options: Deno.CreateHttpClientOptions = {};
  if (tls.ca !== undefined) options.caCerts = [tls.ca];
  if (tls.cert !== undefined && tls.key !== undefined) {
    Object.assign(options, { cert: tls.cert, key: tls.key });
  }
  return options;
}
