/**
 * Shared fixtures of the end-to-end tests: real upstream servers on loopback and Sluice
 * started through the same code path as `main.ts`.
 *
 * @module
 */

import type { Variant } from "./_matrix.ts";
import { type App, startFromArgs } from "../internal/app/mod.ts";

/** What an upstream saw of one request. */
export interface SeenRequest {
  method: string;
  /** Path and query exactly as received on the wire. */
  target: string;
  headers: Headers;
}

/** A real HTTP server on 127.0.0.1 used as an upstream. */
export interface TestUpstream extends AsyncDisposable {
  /** Origin, e.g. `http://127.0.0.1:41234`. */
  readonly url: string;
  readonly port: number;
  /** Every request received, in order. */
  readonly seen: SeenRequest[];
  /** Stops the server (graceful, then waits). Idempotent. */
  close(): Promise<void>;
}

/** Handles a request to a {@linkcode TestUpstream}. */
export type UpstreamHandler = (request: Request) => Response | Promise<Response>;

/**
 * Starts an upstream on 127.0.0.1. The default handler answers `200` with body `name`.
 * @param name text the default handler answers with.
 * @param handler replaces the default handler.
 * @param port fixed port (to restart an upstream where it was); 0 picks a free one.
 */
export function startUpstream(
  name: string,
  handler?: UpstreamHandler,
  port = 0,
): TestUpstream {
  const seen: SeenRequest[] = [];
  const server = Deno.serve(
    { hostname: "127.0.0.1", port, onListen() {} },
    (request) => {
      seen.push({
        method: request.method,
        target: request.url.slice(request.url.indexOf("/", request.url.indexOf("//") + 2)),
        headers: request.headers,
      });
      return handler ? handler(request) : new Response(name);
    },
  );
  let closing: Promise<void> | undefined;
  const close = () => closing ??= server.shutdown().then(() => server.finished);
  return {
    url: `http://127.0.0.1:${server.addr.port}`,
    port: server.addr.port,
    seen,
    close,
    [Symbol.asyncDispose]: close,
  };
}

/** Options of {@linkcode startSluice} with plain arguments. */
export interface StartSluiceOptions {
  /** Receives each access log line (JSON, with its `\n`) when its request has ended. */
  accessLogLines?: (line: string) => void;
}

/** A Sluice started in this process for a test. */
export interface TestSluice extends AsyncDisposable {
  readonly app: App;
  /** Origin of the proxy listener, e.g. `http://127.0.0.1:41235`. */
  readonly url: string;
  /** Origin of the admin server, `undefined` when it is off. */
  readonly adminUrl: string | undefined;
  /** Starts the graceful shutdown and waits until it has finished. Idempotent. */
  stop(): Promise<void>;
}

/**
 * A TCP port that was free a moment ago on 127.0.0.1 (for listeners where 0 means "off", such
 * as `--admin-port`).
 */
export function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr;
  listener.close();
  return port;
}

/**
 * Starts Sluice via `startFromArgs` (what `main.ts` runs) on 127.0.0.1 and a free port, with
 * the admin server off unless `args` has `--admin-port`. Logging is left unconfigured, so tests
 * print nothing; `--host`/`--port` may be overridden.
 * Called as `startSluice(variant, args)` (a proxy-path test from `tests/_matrix.ts`), the
 * variant's arguments come first.
 * @param args command-line arguments, e.g. `["--backends", up.url]`.
 * @param options `accessLogLines`: receives each access log line (JSON, with its `\n`) as the
 *   request ends, an event a test can wait on.
 */
export function startSluice(args: string[], options?: StartSluiceOptions): Promise<TestSluice>;
export function startSluice(variant: Variant, args: string[]): Promise<TestSluice>;
export async function startSluice(
  first: string[] | Variant,
  second: string[] | StartSluiceOptions = [],
): Promise<TestSluice> {
  const rest = Array.isArray(second) ? second : [];
  const options = Array.isArray(second) ? {} : second;
  const args = Array.isArray(first) ? first : [...first.args, ...rest];
  const lines = options.accessLogLines;
  const controller = new AbortController();
  const admin = args.some((arg) => arg.startsWith("--admin-port")) ? [] : ["--admin-port", "0"];
  const result = await startFromArgs(["--host", "127.0.0.1", "--port", "0", ...admin, ...args], {
    signal: controller.signal,
    configureLogging: false,
    load: { env: () => undefined },
    ...(lines ? { accessLogLines: () => lines } : {}),
  });
  if (result.kind !== "started") throw new Error(`expected a start, got ${result.kind}`);
  const app = result.app;
  const stop = async () => {
    controller.abort();
    await app.finished;
  };
  return {
    app,
    url: `http://127.0.0.1:${app.addr.port}`,
    adminUrl: app.adminAddr ? `http://127.0.0.1:${app.adminAddr.port}` : undefined,
    stop,
    [Symbol.asyncDispose]: stop,
  };
}

/**
 * Resolves when `predicate` holds, re-checking on every change of the app's pool (health,
 * admin state, membership); rejects after `timeoutMs`. Waits on the event, not on a sleep.
 * @param app the running app.
 * @param predicate the condition over the pool.
 * @param timeoutMs bound on the wait, ms.
 * @param what description for the timeout error.
 */
export function waitForPool(
  app: App,
  predicate: () => boolean,
  timeoutMs: number,
  what: string,
): Promise<void> {
  if (predicate()) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const off = app.pool.onChange(() => {
      if (!predicate()) return;
      off();
      clearTimeout(timer);
      resolve();
    });
    const timer = setTimeout(() => {
      off();
      reject(new Error(`timed out after ${timeoutMs}ms waiting for ${what}`));
    }, timeoutMs);
  });
}

/**
 * Fetches and reads the whole body as text (so no body is left open).
 * @returns status, headers and text.
 */
export async function get(
  url: string,
  init?: RequestInit,
): Promise<{ status: number; headers: Headers; text: string }> {
  const response = await fetch(url, init);
  return { status: response.status, headers: response.headers, text: await response.text() };
}

/**
 * Rejects when `promise` has not settled within `ms`; the timer is always cleared.
 * @param promise what to wait for.
 * @param ms bound on the wait, ms.
 * @param what description for the timeout error.
 */
export async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms}ms: ${what}`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Holds the first request for `/hold` at whichever upstream it reaches, until released; other
 * paths are answered at once with the upstream's name. Disposing releases the held request.
 */
export class Hold implements Disposable {
  readonly #arrived = Promise.withResolvers<string>();
  readonly #released = Promise.withResolvers<void>();

  /**
   * A handler for an upstream called `name`.
   * @param name the upstream's name, answered on other paths and in `held by <name>`.
   */
  handler(name: string): UpstreamHandler {
    return async (request) => {
      if (new URL(request.url).pathname !== "/hold") return new Response(name);
      this.#arrived.resolve(name);
      await this.#released.promise;
      return new Response(`held by ${name}`);
    };
  }

  /** Resolves with the name of the upstream holding the request (rejects after 2s). */
  arrived(): Promise<string> {
    return within(this.#arrived.promise, 2_000, "the held request reaching an upstream");
  }

  /** Lets the held request be answered. Idempotent. */
  release(): void {
    this.#released.resolve();
  }

  [Symbol.dispose](): void {
    this.release();
  }
}

/**
 * Sends `GET /hold` through the proxy on a connection of its own.
 * @param sluice the running Sluice.
 * @param client an HTTP client of its own, so the held request does not block others.
 * @returns status and text of the answer.
 */
export async function heldRequest(
  sluice: TestSluice,
  client: Deno.HttpClient,
): Promise<{ status: number; text: string }> {
  const response = await fetch(sluice.url + "/hold", { client });
  return { status: response.status, text: await response.text() };
}
