/**
 * The `--help` text.
 *
 * @module
 */

import { CONFIG_DEFAULTS } from "./defaults.ts";
import { formatDuration } from "./duration.ts";
import { envVarName, type Flag, FLAGS, isBooleanFlag } from "./flags.ts";

const FLAG_COLUMN = 30;
const WIDTH = 100;

function describeFlags(): string {
  const indent = " ".repeat(FLAG_COLUMN);
  return FLAGS.map((flag: Flag) => {
    const env = envVarName(flag.name);
    const noFlag = !isBooleanFlag(flag) && flag.noFlag === true;
    // A secret without a flag is listed by its variable, and where else it may be set.
    const usage = noFlag
      ? `  ${env}`
      : isBooleanFlag(flag)
      ? `  --${flag.name}`
      : `  --${flag.name} ${flag.valueName}`;
    const source = noFlag
      ? `or ${flag.key} in the file`
      : isBooleanFlag(flag)
      ? `env ${env}=true|false|1|0`
      : `env ${env}`;
    // A usage wider than its column pushes the description along rather than onto a new line.
    const first = usage.length < FLAG_COLUMN
      ? `${usage.padEnd(FLAG_COLUMN)}${flag.description}`
      : `${usage}  ${flag.description}`;
    return [
      first,
      `${indent}${source}; default: ${flag.defaultText}`,
      ...wrap(flag.note ?? "", WIDTH - FLAG_COLUMN).map((line) => `${indent}${line}`),
    ].join("\n");
  }).join("\n");
}

/** Splits `text` at spaces into lines of at most `width` characters (none for ""). */
function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  for (const word of text.split(" ").filter((word) => word !== "")) {
    const last = lines.at(-1);
    if (last !== undefined && last.length + 1 + word.length <= width) {
      lines[lines.length - 1] = `${last} ${word}`;
    } else {
      lines.push(word);
    }
  }
  return lines;
}

/** A default size in the unit users write, e.g. `32kb`. */
function kilobytes(bytes: number): string {
  return bytes % 1_024 === 0 ? `${bytes / 1_024}kb` : String(bytes);
}

const { timeouts, proxy, passive, limits } = CONFIG_DEFAULTS;

/** Settings only the config file sets, with their defaults. */
const FILE_ONLY = [
  "The config file (JSON or YAML) also sets, with their defaults:",
  "  backends[].name (the URL's host:port), backends[].weight (1), sticky.secret (see above)",
  "  health.healthy_threshold (2), health.unhealthy_threshold (3)",
  `  timeouts.idle (${formatDuration(timeouts.idleMs)}): longest gap within a response body, ` +
  "0 is off",
  `  timeouts.client_body (${formatDuration(timeouts.clientBodyMs)}): longest wait for the ` +
  "next bytes of a request body,",
  "  else 408 (listener http1)",
  `  timeouts.tunnel (${formatDuration(timeouts.tunnelMs)}): an idle WebSocket tunnel is ` +
  "closed (listener http1)",
  `  proxy.preserve_host (${proxy.preserveHost}), proxy.retry_buffer ` +
  `(${kilobytes(proxy.retryBufferBytes)}): request body kept to resend it`,
  `  proxy.retry_budget_percent (${proxy.retryBudgetPercent}): retries in flight as a share ` +
  "of requests in flight",
  `  proxy.retry_budget_min (${proxy.retryBudgetMin}): retries in flight allowed whatever ` +
  "the budget",
  `  proxy.keepalive (${proxy.keepalive}): idle connections kept per upstream, 0 is off ` +
  "(http1 transport)",
  `  proxy.keepalive_timeout (${formatDuration(proxy.keepaliveTimeoutMs)}), ` +
  `proxy.keepalive_requests (${proxy.keepaliveRequests}): an upstream connection is closed`,
  "  after that idle time or that many requests",
  `  passive.max_ejection_time (${formatDuration(passive.maxEjectionTimeMs)}, or the ` +
  "ejection time if longer): longest ejection",
  `  passive.max_ejection_percent (${passive.maxEjectionPercent}): most of the pool ejected ` +
  "at once (one always may be)",
  `  limits.queue_size (${limits.queueSize}), limits.queue_timeout ` +
  `(${formatDuration(limits.queueTimeoutMs)}): requests waiting for a free upstream`,
  "  limits.slow_start (off): time over which a new or recovered upstream ramps up, e.g. 30s",
  `  limits.max_url_length (${kilobytes(limits.maxUrlBytes)}), limits.max_header_size ` +
  `(${kilobytes(limits.maxHeaderBytes)})`,
  "  pools (none: the backends above are the pool default): named pools of upstreams, each",
  "    with its own backends, strategy, hash_key, sticky, health, passive, limits, proxy,",
  "    upstream_tls",
  "  routes (one catch-all to default): host/path/method/header matches, first match wins,",
  "    to a pool, a redirect or a fixed response (see the README's Routing section)",
  "  compression.types (text/*, JSON, JavaScript, XML, SVG, wasm), compression.min_size (1kb),",
  "    compression.algorithms ([br, gzip]): what --compression compresses, and how",
  "  discovery.min_interval (5s), discovery.max_interval (5m), discovery.name_server (the",
  "    system's): DNS lookups of dns://name:port and dns+srv://_svc._tcp.name backends",
].join("\n");

/**
 * Usage text printed by `--help`: every flag with its environment variable and default, the
 * precedence of the sources, the value formats and the settings only the file sets.
 */
export const HELP_TEXT: string = `Sluice: an L7 HTTP load balancer.

Usage:
  deno run --allow-net [--allow-read] [--allow-env=SLUICE_*] main.ts [--config FILE] [options]
  deno task start [--config FILE] [options]

Options (each flag can also be set by the environment variable shown):
${describeFlags()}
${"  -h, --help".padEnd(FLAG_COLUMN)}show this help and exit
${"  --version".padEnd(FLAG_COLUMN)}show the version and exit

Precedence, highest first: flags, environment variables, config file, defaults.
Values:
  DUR   a duration: 250ms, 2s, 1m, 1h, 1m30s, or a number of milliseconds
  SIZE  a size: 512kb, 10mb, 1gb (1024-based), or a number of bytes
  RPS   requests per second, fractions allowed: 100, 0.5
  URL   an http(s) origin such as http://localhost:9001 (no path, query or credentials)
  KEY   ip (the client IP), path (without the query), header:NAME, cookie:NAME
  CIDR  an IPv4 or IPv6 block such as 10.0.0.0/8 or fd00::/8, or one address
${FILE_ONLY}
The client IP (logs, ip_hash, hash key ip, rate limit) is the socket's peer, or when that is one
of --trusted-proxies, the rightmost address in X-Forwarded-For that is not a trusted proxy.
The admin server (/api, /metrics, /healthz, /readyz, the dashboard at /) runs unless
--admin-port is 0. On an address other than loopback it will not start without a token.
Environment variables are read only with permission, e.g. --allow-env=SLUICE_*.
`;
