/**
 * Shared request fixtures of the hot-path benches: a browser's request headers and the
 * forwarding information Sluice adds, so every bench measures the same request.
 *
 * @module
 */

/** Headers of a typical browser request (8 fields, with a hop-by-hop `connection`). */
export const browserHeaders: Headers = new Headers({
  "host": "shop.example",
  "user-agent": "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko)",
  "accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
  "accept-language": "en-GB,en;q=0.9",
  "accept-encoding": "gzip, deflate, br",
  "connection": "keep-alive",
  "cookie": "session=abc123; theme=dark",
  "x-forwarded-for": "203.0.113.9",
});

/** The forwarding information of that request (`upstreamRequestHeaders`' second argument). */
export const info = {
  clientAddress: "10.1.2.3",
  protocol: "http" as const,
  requestId: "9b2c6a0e-2f4d-4c1b-8a47-3f0f0f6c0d11",
  preserveHost: true,
  authority: "shop.example",
};
