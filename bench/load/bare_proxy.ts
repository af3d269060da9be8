/**
 * The reference floor: a bare reverse proxy in 20 lines of Deno — `Deno.serve` plus `fetch`,
 * round robin, nothing else (no header rewriting, health, limits or logs). Whatever Sluice does
 * with the same runtime is measured against it.
 *
 * Run: `deno run --allow-net bench/load/bare_proxy.ts PORT UPSTREAM_URL...`
 *
 * @module
 */

if (import.meta.main) {
  const [port, ...upstreams] = Deno.args;
  let next = 0;
  Deno.serve({ hostname: "127.0.0.1", port: Number(port), onListen() {} }, (request) => {
    const url = new URL(request.url);
    const origin = upstreams[next++ % upstreams.length];
    return fetch(`${origin}${url.pathname}${url.search}`, {
      method: request.method,
      headers: request.headers,
      body: request.body,
      redirect: "manual",
    });
  });
}
