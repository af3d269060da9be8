/**
 * Validation and normalisation of upstream (backend) URLs.
 *
 * @module
 */

/**
 * Checks that `value` names an upstream by origin only and returns that origin.
 *
 * The same check applies to the config file, `--backends`, and upstreams added at run time
 * through the admin API, so an upstream is always identified by one spelling.
 *
 * @example
 * ```ts
 * normalizeUpstreamUrl("HTTP://LocalHost:9001/"); // "http://localhost:9001"
 * normalizeUpstreamUrl("https://example.com:443"); // "https://example.com"
 * ```
 *
 * @param value An `http:` or `https:` URL with no path other than `/`, no query, no fragment
 * and no credentials.
 * @returns The URL's origin (`scheme://host[:port]`, lower-case host, default port dropped, no
 * trailing slash).
 * @throws {TypeError} When `value` is not such a URL. The message shows the value with any
 * password masked, e.g. `"localhost:9001" is not an http(s) URL (did you mean
 * "http://localhost:9001"?)`.
 */
export function normalizeUpstreamUrl(value: string): string {
  const url = URL.parse(value);
  if (url === null || (url.protocol !== "http:" && url.protocol !== "https:")) {
    throw new TypeError(`${JSON.stringify(value)} is not an http(s) URL${schemeHint(value)}`);
  }
  if (url.username !== "" || url.password !== "") {
    const masked = url.password === "" ? url : Object.assign(new URL(url), { password: "***" });
    throw new TypeError(
      `${JSON.stringify(masked.href)} must not contain credentials (user:password@)`,
    );
  }
  const extras = [
    url.pathname === "/" ? undefined : `the path "${url.pathname}"`,
    url.search === "" ? undefined : `the query "${url.search}"`,
    url.hash === "" ? undefined : `the fragment "${url.hash}"`,
  ].filter((extra) => extra !== undefined);
  if (extras.length > 0) {
    throw new TypeError(
      `${JSON.stringify(value)} must be an origin only (${url.origin}), without ${
        extras.join(", ")
      }`,
    );
  }
  return url.origin;
}

function schemeHint(value: string): string {
  if (value.includes("://")) return "";
  const guess = URL.parse(`http://${value}`);
  return guess !== null && guess.pathname === "/" && guess.host !== ""
    ? ` (did you mean "http://${value}"?)`
    : "";
}

/** A backend found through DNS (see {@linkcode parseDiscoveryUrl}). */
export type DiscoverySource =
  | { kind: "a"; name: string; port: number; url: string }
  | { kind: "srv"; name: string; url: string };

const DNS_NAME =
  /^(?=.{1,253}$)[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,62})(?:\.[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,62}))*\.?$/;

/**
 * Parses a backend that DNS resolves: `dns://name:port` (its A and AAAA records, each address an
 * upstream `http://address:port`) or `dns+srv://_service._proto.name` (its SRV records, each
 * target's addresses at the record's port).
 * @param value the backend URL.
 * @returns the source with its canonical URL (lower-case name), or `undefined` when `value`
 *   is not a `dns:` or `dns+srv:` URL at all.
 * @throws {TypeError} when it is one but malformed (no port for `dns:`, a path, a bad name).
 */
export function parseDiscoveryUrl(value: string): DiscoverySource | undefined {
  const match = /^(dns|dns\+srv):\/\/([^/?#:]*)(?::(\d*))?\/?$/i.exec(value.trim());
  if (match === null) {
    if (/^dns(\+srv)?:/i.test(value.trim())) {
      throw new TypeError(
        `${JSON.stringify(value)} is not a DNS backend: use dns://name:port or ` +
          "dns+srv://_service._proto.name (no path, query or credentials)",
      );
    }
    return undefined;
  }
  const scheme = match[1]!.toLowerCase();
  const name = match[2]!.toLowerCase();
  if (!DNS_NAME.test(name)) {
    throw new TypeError(`${JSON.stringify(value)}: ${JSON.stringify(name)} is not a DNS name`);
  }
  if (scheme === "dns+srv") {
    if (match[3] !== undefined) {
      throw new TypeError(
        `${JSON.stringify(value)}: an SRV record gives the port, drop ":${match[3]}"`,
      );
    }
    return { kind: "srv", name, url: `dns+srv://${name}` };
  }
  const port = Number(match[3]);
  if (match[3] === undefined || match[3] === "" || !(port >= 1 && port <= 65_535)) {
    throw new TypeError(`${JSON.stringify(value)} needs a port 1-65535: dns://name:port`);
  }
  return { kind: "a", name, port, url: `dns://${name}:${port}` };
}

/**
 * A backend of the configuration: an http(s) origin ({@linkcode normalizeUpstreamUrl}) or a DNS
 * source ({@linkcode parseDiscoveryUrl}), in its canonical spelling.
 * @param value the backend URL.
 * @returns the canonical URL.
 * @throws {TypeError} when it is neither.
 */
export function normalizeBackendUrl(value: string): string {
  return parseDiscoveryUrl(value)?.url ?? normalizeUpstreamUrl(value);
}
