/**
 * The `--help` text.
 *
 * @module
 */

import { envVarName, VALUE_FLAGS, type ValueFlag } from "./flags.ts";

const FLAG_COLUMN = 30;

function describeFlags(): string {
  return VALUE_FLAGS.map((flag: ValueFlag) => {
    const usage = `  --${flag.name} ${flag.valueName}`;
    const indent = " ".repeat(FLAG_COLUMN);
    return [
      `${usage.padEnd(FLAG_COLUMN)}${flag.description}`,
      `${indent}env ${envVarName(flag.name)}; default: ${flag.defaultText}`,
      ...(flag.note === undefined ? [] : [`${indent}${flag.note}`]),
    ].join("\n");
  }).join("\n");
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
The config file (JSON or YAML) also sets backends[].name and backends[].weight,
health.healthy_threshold and health.unhealthy_threshold, proxy.preserve_host,
proxy.retries and proxy.retry_buffer (a size: 512kb, 10mb, 1gb or bytes).
The admin server (/api, /metrics, /healthz, /readyz, the dashboard at /) runs unless
--admin-port is 0. On an address other than loopback it will not start without a token.
Environment variables are read only with permission, e.g. --allow-env=SLUICE_*.
`;
