/**
 * The `--help` text.
 *
 * @module
 */

import { envVarName, VALUE_FLAGS, type ValueFlag } from "./flags.ts";

const FLAG_COLUMN = 30;
const WIDTH = 100;

function describeFlags(): string {
  const indent = " ".repeat(FLAG_COLUMN);
  return VALUE_FLAGS.map((flag: ValueFlag) => {
    const env = envVarName(flag.name);
    // A secret without a flag is listed by its variable, and where else it may be set.
    const usage = flag.noFlag ? `  ${env}` : `  --${flag.name} ${flag.valueName}`;
    const source = flag.noFlag ? `or ${flag.key} in the file` : `env ${env}`;
    return [
      `${usage.padEnd(FLAG_COLUMN)}${flag.description}`,
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

/**
 * Usage text printed by `--help`: every flag with its environment variable and default, the
 * precedence of the sources, and the value formats.
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
  URL   an http(s) origin such as http://localhost:9001 (no path, query or credentials)
  KEY   ip (the client IP), path (without the query), header:NAME, cookie:NAME
  CIDR  an IPv4 or IPv6 block such as 10.0.0.0/8 or fd00::/8, or one address
The config file (JSON or YAML) also sets backends[].name and backends[].weight,
health.healthy_threshold and health.unhealthy_threshold, proxy.preserve_host,
proxy.retries and proxy.retry_buffer (a size: 512kb, 10mb, 1gb or bytes), sticky.secret.
The client IP (logs, ip_hash, hash key ip) is the socket's peer, or when that is one of
--trusted-proxies, the rightmost address in X-Forwarded-For that is not a trusted proxy.
The admin server (/api, /metrics, /healthz, /readyz, the dashboard at /) runs unless
--admin-port is 0. On an address other than loopback it will not start without a token.
Environment variables are read only with permission, e.g. --allow-env=SLUICE_*.
`;
