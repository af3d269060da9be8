/**
 * Caddy as a peer reverse proxy: its JSON config with the admin API off, plain HTTP, round
 * robin over the three upstreams (Caddy's own defaults otherwise: keep-alive, X-Forwarded-For).
 *
 * @module
 */

/**
 * The Caddy JSON configuration (`caddy run --config FILE`).
 * @param port the port it listens on, 127.0.0.1.
 * @param upstreams the upstreams' ports on 127.0.0.1.
 */
export function caddyConfig(port: number, upstreams: readonly number[]): unknown {
  return {
    admin: { disabled: true },
    apps: {
      http: {
        servers: {
          bench: {
            listen: [`127.0.0.1:${port}`],
            automatic_https: { disable: true },
            routes: [{
              handle: [{
                handler: "reverse_proxy",
                upstreams: upstreams.map((up) => ({ dial: `127.0.0.1:${up}` })),
                load_balancing: { selection_policy: { policy: "round_robin" } },
              }],
            }],
          },
        },
      },
    },
  };
}
