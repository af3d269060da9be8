/**
 * HAProxy as a peer reverse proxy: 1 thread, HTTP mode, round robin over the three upstreams
 * with TCP health checks (as Sluice's defaults), X-Forwarded-For, keep-alive both sides
 * (HAProxy's default `http-reuse safe`), no logging.
 *
 * @module
 */

/**
 * Renders the HAProxy configuration.
 * @param port the port it listens on, 127.0.0.1.
 * @param upstreams the upstreams' ports on 127.0.0.1.
 */
export function haproxyConfig(port: number, upstreams: readonly number[]): string {
  const servers = upstreams
    .map((up, i) => `  server up${i + 1} 127.0.0.1:${up} check inter 10s`)
    .join("\n");
  return `global
  nbthread 1
  maxconn 4096

defaults
  mode http
  timeout connect 5s
  timeout client 30s
  timeout server 30s
  timeout http-keep-alive 60s
  option forwardfor

frontend bench
  bind 127.0.0.1:${port}
  default_backend pool

backend pool
  balance roundrobin
${servers}
`;
}
