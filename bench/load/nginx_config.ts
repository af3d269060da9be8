/**
 * nginx configurations of the harness, as templates: the three upstreams every system proxies
 * to (fixed bodies), and nginx as a peer proxy (1 worker, keep-alive to the upstreams).
 * nginx runs unprivileged-style: pid, logs and temp paths all under the run's directory.
 *
 * @module
 */

import { LARGE_BODY_PATH_NAME } from "./upstream_files.ts";

/** Directives every nginx of the harness starts with. */
function prelude(dir: string, name: string): string {
  return `worker_processes 1;
pid ${dir}/${name}.pid;
error_log ${dir}/${name}.error.log warn;
events {
  worker_connections 4096;
}`;
}

function tempPaths(dir: string, name: string): string {
  return ["client_body", "proxy", "fastcgi", "uwsgi", "scgi"]
    .map((kind) => `  ${kind}_temp_path ${dir}/${name}_${kind}_temp;`)
    .join("\n");
}

/**
 * The upstreams: one nginx worker listening on each port, answering `GET /` with `hello\n`,
 * `GET /1m` with a 1 MiB file and `POST /upload` (up to 8 MiB, body read and discarded) with
 * `ok\n`. Keep-alive requests per connection are not capped, so no proxy's pool is churned.
 * @param dir the run's directory: holds `www/` with the 1 MiB file, pid, logs, temp paths.
 * @param ports the upstreams' ports on 127.0.0.1.
 */
export function nginxUpstreamsConfig(dir: string, ports: readonly number[]): string {
  const listens = ports.map((port) => `    listen 127.0.0.1:${port};`).join("\n");
  return `${prelude(dir, "upstreams")}
http {
  access_log off;
  sendfile on;
  keepalive_requests 100000000;
  keepalive_timeout 300s;
${tempPaths(dir, "upstreams")}
  server {
${listens}
    location = / {
      default_type text/plain;
      return 200 "hello\\n";
    }
    location = /${LARGE_BODY_PATH_NAME} {
      default_type application/octet-stream;
      root ${dir}/www;
    }
    location = /upload {
      client_max_body_size 8m;
      default_type text/plain;
      return 200 "ok\\n";
    }
  }
}
`;
}

/**
 * nginx as a peer reverse proxy, set up as an operator would for a fair comparison: 1 worker,
 * HTTP/1.1 keep-alive pool to the upstreams (`keepalive 64`), round robin, the usual
 * X-Forwarded-* headers, no access log. Request bodies are buffered as nginx does by default,
 * in memory up to 2 MiB: streamed (`proxy_request_buffering off`), an upstream that answers
 * before reading the whole upload (nginx's `return` does) leaves the client body unread and
 * nginx closes the client connection after every upload. Responses go through 8 × 64 KiB
 * proxy buffers without temp files: with the default 4–8 KiB buffers nginx spent 3–5× the CPU
 * per 1 MiB download here and fell to a third of HAProxy's MiB/s.
 * @param dir the run's directory (pid, logs, temp paths).
 * @param port the port it listens on, 127.0.0.1.
 * @param upstreams the upstreams' ports on 127.0.0.1.
 */
export function nginxProxyConfig(dir: string, port: number, upstreams: readonly number[]): string {
  const servers = upstreams.map((up) => `    server 127.0.0.1:${up};`).join("\n");
  return `${prelude(dir, "nginx-proxy")}
http {
  access_log off;
${tempPaths(dir, "nginx-proxy")}
  upstream pool {
${servers}
    keepalive 64;
  }
  server {
    listen 127.0.0.1:${port};
    client_max_body_size 8m;
    client_body_buffer_size 2m;
    location / {
      proxy_pass http://pool;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_set_header X-Forwarded-Proto $scheme;
      proxy_set_header X-Forwarded-Host $host;
      proxy_buffers 8 64k;
      proxy_busy_buffers_size 128k;
      proxy_max_temp_file_size 0;
    }
  }
}
`;
}
