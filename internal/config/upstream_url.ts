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
