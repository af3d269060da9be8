/**
 * Sticky sessions: a signed cookie pins a client to an upstream, over any strategy.
 *
 * @module
 */

import { type HashKey, hashKeyOf } from "../balancer/mod.ts";
import type { Upstream } from "../pool/mod.ts";
import type { Handler, Middleware, RequestContext } from "./context.ts";
import { requestField } from "./request_field.ts";
import { timingSafeEqual } from "./timing_safe_equal.ts";

/**
 * Signs the cookie values that name upstreams: `<upstream id>.<base64url HMAC-SHA256>`, the MAC
 * over a version tag, the id and the upstream's URL, so a cookie never pins a client to another
 * server that got the same id after a restart with a different backend list.
 *
 * The MAC of an upstream never changes, so each is computed once (Web Crypto, the key imported
 * once) and kept while the upstream exists: verifying a cookie is then a map lookup and a
 * constant-time string comparison, with no cryptography per request.
 */
export class StickySigner {
  readonly #key: Promise<CryptoKey>;
  /** Cookie value per upstream, or its computation while it runs. */
  readonly #values = new WeakMap<Upstream, string | Promise<string>>();

  /**
   * @param secret the HMAC key (its UTF-8 bytes); at least 16 characters, random.
   */
  constructor(secret: string) {
    this.#key = crypto.subtle.importKey(
      "raw",
      new TextEncoder().encode(secret),
      { name: "HMAC", hash: "SHA-256" },
      false,
      ["sign"],
    );
  }

  /**
   * The cookie value that pins a client to `upstream`.
   * @param upstream the upstream to name.
   * @returns the value, at once when it was computed before, else a promise of it.
   */
  valueFor(upstream: Upstream): string | Promise<string> {
    const known = this.#values.get(upstream);
    if (known !== undefined) return known;
    const computing = this.#sign(upstream).then((value) => {
      this.#values.set(upstream, value);
      return value;
    });
    this.#values.set(upstream, computing);
    return computing;
  }

  /**
   * The upstream a cookie value pins to, when its signature is right.
   * @param value the cookie's value as the client sent it.
   * @param lookup finds an upstream by id, e.g. `pool.get`.
   * @returns the upstream, or `undefined` when the value is malformed, names no upstream (any
   * more) or is not signed by this secret for that upstream; a promise of that only while the
   * upstream's value is computed for the first time.
   */
  verify(
    value: string,
    lookup: (id: string) => Upstream | undefined,
  ): Upstream | undefined | Promise<Upstream | undefined> {
    const dot = value.indexOf(".");
    // Only ids of existing upstreams are signed, so a client cannot make Sluice sign others.
    const upstream = dot > 0 ? lookup(value.slice(0, dot)) : undefined;
    if (upstream === undefined) return undefined;
    const expected = this.valueFor(upstream);
    if (typeof expected === "string") {
      return timingSafeEqual(value, expected) ? upstream : undefined;
    }
    return expected.then((known) => timingSafeEqual(value, known) ? upstream : undefined);
  }

  async #sign(upstream: Upstream): Promise<string> {
    const data = new TextEncoder().encode(`${MAC_VERSION}\n${upstream.id}\n${upstream.url}`);
    const mac = new Uint8Array(await crypto.subtle.sign("HMAC", await this.#key, data));
    return `${upstream.id}.${base64url(mac)}`;
  }
}

/** Part of every MAC, so a later cookie format can never verify as this one. */
const MAC_VERSION = "sluice-sticky-v1";

/** Options of {@linkcode sticky}. */
export interface StickyOptions {
  /** The cookie's name, an RFC 6265 token such as `"sluice_upstream"`. */
  cookie: string;
  /** The HMAC key of the cookie values; at least 16 characters, random. */
  secret: string;
  /** Finds an upstream by id, e.g. `(id) => pool.get(id)`. */
  lookup: (id: string) => Upstream | undefined;
}

/**
 * Middleware for sticky sessions. A request whose cookie `options.cookie` carries a valid value
 * gets `ctx.pinned`, and the director sends it there while that upstream is available. When the
 * response came from another upstream (no cookie yet, a tampered or outdated one, or the pinned
 * upstream was unavailable or failed), the response sets the cookie to that upstream:
 * `Set-Cookie: <name>=<value>; Path=/; HttpOnly; SameSite=Lax`, plus `Secure` when the client
 * came over HTTPS (`ctx.protocol`, or `X-Forwarded-Proto: https` from a TLS terminator).
 *
 * Errors thrown below it (no upstream, every attempt failed) set no cookie: place it inside
 * `recover()`. Per request it costs a cookie header scan, and for a cookie a map lookup and a
 * constant-time comparison of about 50 characters (about 0.5 µs in all); the MAC of each
 * upstream is computed once.
 * @param options cookie name, secret and upstream lookup.
 * @returns the middleware.
 */
export function sticky(options: StickyOptions): Middleware {
  const { cookie, lookup } = options;
  const signer = new StickySigner(options.secret);
  // Read as a cookie hash key is (RFC 6265 §5.4, several Cookie fields joined).
  const key: HashKey = { source: "cookie", name: cookie };
  return async function stickyMiddleware(ctx: RequestContext, next: Handler) {
    const presented = hashKeyOf(key, ctx);
    let pinned = presented === undefined ? undefined : signer.verify(presented, lookup);
    if (pinned instanceof Promise) pinned = await pinned;
    ctx.pinned = pinned;
    const response = await next(ctx);
    const chosen = ctx.upstream;
    if (chosen !== undefined && chosen !== pinned) {
      let value = signer.valueFor(chosen);
      if (typeof value !== "string") value = await value;
      response.headers.append("set-cookie", setCookie(cookie, value, isHttps(ctx)));
    }
    return response;
  };
}

/**
 * The `Set-Cookie` field value that pins a client: a session cookie for the whole site, out of
 * reach of scripts, not sent on cross-site subrequests.
 */
function setCookie(name: string, value: string, secure: boolean): string {
  return `${name}=${value}; Path=/; HttpOnly; SameSite=Lax${secure ? "; Secure" : ""}`;
}

function isHttps(ctx: RequestContext): boolean {
  return ctx.protocol === "https" ||
    requestField(ctx, "x-forwarded-proto")?.trim().toLowerCase() === "https";
}

function base64url(bytes: Uint8Array): string {
  return btoa(String.fromCharCode(...bytes)).replaceAll("+", "-").replaceAll("/", "_")
    .replace(/=+$/, "");
}
