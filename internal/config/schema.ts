/**
 * The config file's shape (snake_case keys, durations like `"10s"`, sizes like `"64kb"`) as a
 * zod schema, and its validation into the runtime `Config`.
 *
 * Every problem is collected, never only the first, and reported with a path written the way
 * a user reads it: `backends[1].url`, `health.interval`.
 *
 * @module
 */

import { z } from "zod";
import { formatHashKey, parseHashKey } from "./hash_key.ts";
import type { HashKey } from "./types.ts";
import { formatCidr, parseCidr } from "../net/mod.ts";
import { showValue } from "./_show.ts";
import { suggestName } from "./_suggest.ts";
import { CONFIG_DEFAULTS } from "./defaults.ts";
import { formatDuration, parseDuration } from "./duration.ts";
import { ConfigError, type ConfigProblem } from "./errors.ts";
import { isLoopbackHost } from "./loopback.ts";
import { parseSize } from "./size.ts";
import {
  type Config,
  LISTENER_NAMES,
  LOG_FORMATS,
  LOG_LEVELS,
  type LogFormat,
  type PoolConfig,
  type StickyConfig,
  STRATEGY_NAMES,
  TRANSPORT_NAMES,
  type UpstreamConfig,
} from "./types.ts";
import { normalizeBackendUrl } from "./upstream_url.ts";
import {
  localInterfaceAddresses,
  type OwnListener,
  ownListenerMessage,
  ownListenerReached,
} from "./own_address.ts";
import { MATCH_KEYS, POOL_NAME, ROUTE_KEYS, routesSchema } from "./route_schema.ts";
import { inheritPoolSettings, type POOL_LIMIT_KEYS, type POOL_PROXY_KEYS } from "./pool_inherit.ts";
import { tlsSchema, tlsShape } from "./tls.ts";
import { compressionSchema, compressionShape } from "./compression.ts";
import {
  NO_UPSTREAM_TLS,
  upstreamTlsSchema,
  upstreamTlsShape,
  upstreamTlsTransportProblem,
} from "./upstream_tls.ts";

/**
 * Longest accepted duration. Timers fire at once for delays above 2^31-1 ms (about 24.8 days),
 * so a longer interval or timeout would silently become zero.
 */
const MAX_DURATION_MS = 24 * 24 * 3_600_000;
const DIGITS = /^\s*-?\d+\s*$/;

function integer(min: number, max?: number) {
  const describe = (problem: string) => (issue: { input: unknown }): string =>
    `${showValue(issue.input)} is ${max === undefined ? problem : `out of range ${min}-${max}`}`;
  const notInteger = (issue: { input: unknown }): string =>
    `${showValue(issue.input)} is not an integer`;
  const schema = z.number({ error: notInteger })
    .refine(Number.isInteger, { error: notInteger, abort: true })
    .min(min, { error: describe(`less than the minimum ${min}`) })
    .max(max ?? Number.MAX_SAFE_INTEGER, { error: describe("too large") });
  // Flags and environment variables are strings; "8080" means 8080 wherever it comes from.
  return z.preprocess(
    (value) => (typeof value === "string" && DIGITS.test(value) ? Number(value) : value),
    schema,
  );
}

const DECIMAL = /^\s*-?(?:\d+(?:\.\d*)?|\.\d+)\s*$/;

/** A number, fractions allowed (`0.5`), from `min` to `max` inclusive. */
function decimal(min: number, max?: number) {
  const describe = (problem: string) => (issue: { input: unknown }): string =>
    `${showValue(issue.input)} is ${max === undefined ? problem : `out of range ${min}-${max}`}`;
  const schema = z.number({
    error: (issue) =>
      `${showValue(issue.input)} is not ${
        typeof issue.input === "number" ? "a finite number" : "a number"
      }`,
  })
    .min(min, { error: describe(`less than the minimum ${min}`) })
    .max(max ?? Number.MAX_SAFE_INTEGER, { error: describe("too large") });
  return z.preprocess(
    (value) => (typeof value === "string" && DECIMAL.test(value) ? Number(value) : value),
    schema,
  );
}

/** Strings an on/off flag or its environment variable may be set to. */
const SWITCH_WORDS: ReadonlyMap<string, boolean> = new Map([
  ["true", true],
  ["false", false],
  ["1", true],
  ["0", false],
]);

/**
 * An on/off setting: a boolean in the file; `true`, `false`, `1` or `0` from a flag or an
 * environment variable, which are strings.
 */
function onOff() {
  return z.preprocess(
    (value) => (typeof value === "string" ? SWITCH_WORDS.get(value) ?? value : value),
    z.boolean({
      error: (issue) =>
        typeof issue.input === "string"
          ? `${showValue(issue.input)} is not one of true, false, 1, 0`
          : `${showValue(issue.input)} is not true or false`,
    }),
  );
}

function text() {
  return z.string({ error: (issue) => `${showValue(issue.input)} is not a string` });
}

function oneOf<const T extends readonly [string, ...string[]]>(values: T) {
  return z.enum(values, {
    error: (issue) => `${showValue(issue.input)} is not one of ${values.join(", ")}`,
  });
}

/** A duration or size: a string or number run through `parse`, whose errors become issues. */
function measure(
  parse: (value: string | number) => number,
  kind: { what: string; hint: string; allowZero: boolean; max?: { value: number; text: string } },
) {
  return z.unknown().transform((value, ctx): number => {
    if (typeof value !== "string" && typeof value !== "number") {
      ctx.addIssue({
        code: "custom",
        message: `${showValue(value)} is not a ${kind.what} ${kind.hint}`,
      });
      return z.NEVER;
    }
    let amount: number;
    try {
      amount = parse(value);
    } catch (error) {
      ctx.addIssue({ code: "custom", message: (error as Error).message });
      return z.NEVER;
    }
    if (amount === 0 && !kind.allowZero) {
      ctx.addIssue({ code: "custom", message: `${showValue(value)} must be more than 0` });
    } else if (kind.max !== undefined && amount > kind.max.value) {
      ctx.addIssue({
        code: "custom",
        message: `${showValue(value)} is too long (at most ${kind.max.text})`,
      });
    }
    return amount;
  });
}

function duration(options: { allowZero: boolean }) {
  const hint = "(use 250ms, 2s, 1m or milliseconds)";
  const max = { value: MAX_DURATION_MS, text: "24 days" };
  return measure(parseDuration, { what: "duration", hint, max, ...options });
}

function size(options: { allowZero: boolean } = { allowZero: true }) {
  const hint = "(use 512kb, 10mb, 1gb or bytes)";
  return measure(parseSize, { what: "size", hint, ...options });
}

/** A YAML section with every line commented out (`health:`) is null; treat it as empty. */
function section<T extends z.ZodType>(schema: T) {
  return z.preprocess((value) => (value === null ? undefined : value), schema);
}

function objectError(issue: { input: unknown; code?: string }): string | undefined {
  return issue.code === "invalid_type"
    ? `${showValue(issue.input)} is not an object (a mapping of keys to values)`
    : undefined;
}

/** A listen address; `portSetting` names where its port is set, e.g. `"port" or --port`. */
function hostSchema(portSetting: string) {
  return text().superRefine((host, ctx) => {
    if (host === "") {
      ctx.addIssue({ code: "custom", message: `"" is empty (use 0.0.0.0 for every interface)` });
    } else if (/[\s/@]/.test(host)) {
      ctx.addIssue({
        code: "custom",
        message: `${showValue(host)} is not a host name or IP address`,
      });
    } else if (/^[^:]+:\d*$/.test(host)) {
      ctx.addIssue({
        code: "custom",
        message: `${showValue(host)} must not include a port (set the port with ${portSetting})`,
      });
    }
  });
}

/** Shortest secret accepted (admin token, sticky secret): 16 random characters resist guessing. */
const MIN_SECRET_LENGTH = 16;

/**
 * A secret such as the admin token, with `check` for what else it must be. Its messages never
 * show the value: they end up in logs and terminals, and even a rejected secret may be the one
 * in use elsewhere.
 */
function secretSchema(
  noun: string,
  check: (secret: string, ctx: z.core.$RefinementCtx<string>) => void = () => {},
) {
  return z.string({ error: "must be a string (quote it in YAML)" })
    .superRefine((secret, ctx) => {
      if (secret === "") {
        ctx.addIssue({
          code: "custom",
          message: `is empty (give at least ${MIN_SECRET_LENGTH} characters, or leave it unset)`,
        });
        return;
      }
      check(secret, ctx);
      if (secret.length < MIN_SECRET_LENGTH) {
        ctx.addIssue({
          code: "custom",
          message: `is ${secret.length} characters long: a ${noun} under ${MIN_SECRET_LENGTH} ` +
            "characters can be guessed (make one with: openssl rand -hex 32)",
        });
      }
    });
}

const tokenSchema = secretSchema("token", (token, ctx) => {
  // It travels in `Authorization: Bearer <token>` (RFC 6750 §2.1), where spaces end it and
  // header values are bytes, so only visible ASCII is safe.
  if (/[^\x21-\x7e]/.test(token)) {
    ctx.addIssue({
      code: "custom",
      message: "must be visible ASCII characters only: no spaces, control characters or " +
        "accented letters (it is sent in an HTTP header)",
    });
  }
});

const healthPathSchema = text().superRefine((path, ctx) => {
  const shown = showValue(path);
  if (!path.startsWith("/")) {
    ctx.addIssue({ code: "custom", message: `${shown} must start with "/"` });
  } else if (path.startsWith("//")) {
    // new URL("//evil.example", upstream) would probe another host.
    ctx.addIssue({ code: "custom", message: `${shown} must not start with "//"` });
  } else if (/[\s\p{Cc}]/u.test(path)) {
    ctx.addIssue({
      code: "custom",
      message: `${shown} must not contain spaces or control characters`,
    });
  }
});

const upstreamUrlSchema = text().transform((value, ctx): string => {
  try {
    return normalizeBackendUrl(value);
  } catch (error) {
    ctx.addIssue({ code: "custom", message: (error as Error).message });
    return z.NEVER;
  }
});

function upstream(url: string, name?: string, weight?: number): UpstreamConfig {
  return { url, name: name ?? new URL(url).host, weight: weight ?? 1 };
}

const backendShape = {
  url: upstreamUrlSchema,
  name: text().min(1, { error: `"" is empty` }).optional(),
  weight: integer(1).optional(),
};

const backendSchema = z.union([
  upstreamUrlSchema.transform((url) => upstream(url)),
  z.strictObject(backendShape, { error: objectError })
    .transform((backend) => upstream(backend.url, backend.name, backend.weight)),
], {
  error: (issue) =>
    `${showValue(issue.input)} is not an upstream (give a URL or an object with url, name, weight)`,
});

const backendsSchema = z.array(backendSchema, {
  error: (issue) => `${showValue(issue.input)} is not a list`,
}).superRefine((backends, ctx) => {
  if (!Array.isArray(backends)) return;
  const firstIndex = new Map<string, number>();
  backends.forEach((backend: unknown, index) => {
    const url = urlOf(backend);
    if (url === undefined) return;
    const first = firstIndex.get(url);
    if (first === undefined) {
      firstIndex.set(url, index);
    } else {
      ctx.addIssue({
        code: "custom",
        path: [index],
        message: `${showValue(url)} is listed more than once (first at backends[${first}])`,
      });
    }
  });
  // Run even when some entry is invalid, so duplicates among the others show in the same run.
}, { when: () => true });

/** The normalised URL of a backend entry, or `undefined` when the entry is itself invalid. */
function urlOf(backend: unknown): string | undefined {
  const raw = typeof backend === "string"
    ? backend
    : typeof backend === "object" && backend !== null && "url" in backend
    ? backend.url
    : undefined;
  if (typeof raw !== "string") return undefined;
  try {
    return normalizeBackendUrl(raw);
  } catch {
    return undefined;
  }
}

const hashKeySchema = text().transform((value, ctx): HashKey => {
  try {
    return parseHashKey(value);
  } catch {
    ctx.addIssue({
      code: "custom",
      message: `${showValue(value)} is not one of ip, path, header:NAME, cookie:NAME ` +
        "(NAME: letters, digits and !#$%&'*+-.^_`|~)",
    });
    return z.NEVER;
  }
});

/** RFC 6265 §4.1.1: a cookie name is an RFC 2616 token. */
const COOKIE_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

const cookieNameSchema = text().superRefine((name, ctx) => {
  if (!COOKIE_NAME.test(name)) {
    ctx.addIssue({
      code: "custom",
      message: `${showValue(name)} is not a cookie name: use letters, digits and ` +
        "!#$%&'*+-.^_`|~ only (an RFC 6265 token), e.g. sluice_upstream",
    });
  }
});

const stickyShape = {
  cookie: cookieNameSchema.optional(),
  secret: secretSchema("secret").optional(),
};

const stickySchema = z.strictObject(stickyShape, { error: objectError })
  .transform((sticky): StickyConfig | undefined => {
    // The cookie name turns stickiness on; a secret alone (e.g. a shared environment) does not.
    if (sticky.cookie === undefined) return undefined;
    return sticky.secret === undefined
      ? { cookie: sticky.cookie, secret: randomSecret(), secretGenerated: true }
      : { cookie: sticky.cookie, secret: sticky.secret, secretGenerated: false };
  });

/** 32 random bytes as hex: the sticky secret of a process that was given none. */
function randomSecret(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  return Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0")).join("");
}

/** Blocks and addresses, as a list or (flags, environment) one comma-separated string. */
const trustedProxiesSchema = z.preprocess(
  (value) =>
    typeof value === "string"
      ? value.split(",").map((item) => item.trim()).filter((item) => item !== "")
      : value,
  z.array(
    text().transform((value, ctx): string => {
      try {
        return formatCidr(parseCidr(value.trim()));
      } catch (error) {
        ctx.addIssue({ code: "custom", message: (error as Error).message });
        return z.NEVER;
      }
    }),
    { error: (issue) => `${showValue(issue.input)} is not a list of IP addresses or CIDR blocks` },
  ).transform((blocks) => [...new Set(blocks)]),
);

/**
 * Whether a section being refined is an object with no issue at any of `keys`, so a check
 * across them can read them while the section's other problems still show in the same run.
 */
function hasNoIssueAt(payload: z.core.ParsePayload<unknown>, keys: readonly string[]): boolean {
  return typeof payload.value === "object" && payload.value !== null &&
    !payload.issues.some((issue) => keys.includes(String(issue.path?.[0])));
}

const healthShape = {
  path: healthPathSchema.optional(),
  interval: duration({ allowZero: false }).default(CONFIG_DEFAULTS.health.intervalMs),
  timeout: duration({ allowZero: false }).optional(),
  healthy_threshold: integer(1).default(CONFIG_DEFAULTS.health.healthyThreshold),
  unhealthy_threshold: integer(1).default(CONFIG_DEFAULTS.health.unhealthyThreshold),
};

const healthSchema = z.strictObject(healthShape, { error: objectError })
  .superRefine((health, ctx) => {
    if (health.timeout !== undefined && health.timeout > health.interval) {
      ctx.addIssue({
        code: "custom",
        path: ["timeout"],
        message: `${formatDuration(health.timeout)} is longer than health.interval (${
          formatDuration(health.interval)
        })`,
      });
    }
  }, {
    // Compare the two even when another health key is wrong, so every problem shows at once.
    when: (payload) => hasNoIssueAt(payload, ["interval", "timeout"]),
  })
  .transform((health): Config["health"] => ({
    path: health.path,
    intervalMs: health.interval,
    // An interval shorter than the default timeout caps the timeout instead of failing.
    timeoutMs: health.timeout ?? Math.min(CONFIG_DEFAULTS.health.timeoutMs, health.interval),
    healthyThreshold: health.healthy_threshold,
    unhealthyThreshold: health.unhealthy_threshold,
  }));

const timeoutsShape = {
  backend: duration({ allowZero: false }).default(CONFIG_DEFAULTS.timeouts.backendMs),
  connect: duration({ allowZero: false }).default(CONFIG_DEFAULTS.timeouts.connectMs),
  idle: duration({ allowZero: true }).default(CONFIG_DEFAULTS.timeouts.idleMs),
  shutdown: duration({ allowZero: true }).default(CONFIG_DEFAULTS.timeouts.shutdownMs),
  client_header: duration({ allowZero: false }).default(CONFIG_DEFAULTS.timeouts.clientHeaderMs),
  client_body: duration({ allowZero: false }).default(CONFIG_DEFAULTS.timeouts.clientBodyMs),
  client_idle: duration({ allowZero: false }).default(CONFIG_DEFAULTS.timeouts.clientIdleMs),
  client_send: duration({ allowZero: false }).default(CONFIG_DEFAULTS.timeouts.clientSendMs),
  tunnel: duration({ allowZero: false }).default(CONFIG_DEFAULTS.timeouts.tunnelMs),
};

const timeoutsSchema = z.strictObject(timeoutsShape, { error: objectError })
  .transform((timeouts): Config["timeouts"] => ({
    backendMs: timeouts.backend,
    connectMs: timeouts.connect,
    idleMs: timeouts.idle,
    shutdownMs: timeouts.shutdown,
    clientHeaderMs: timeouts.client_header,
    clientBodyMs: timeouts.client_body,
    clientIdleMs: timeouts.client_idle,
    clientSendMs: timeouts.client_send,
    tunnelMs: timeouts.tunnel,
  }));

/** Most idle keep-alive connections kept per upstream (`proxy.keepalive`). */
const MAX_KEEPALIVE = 65_536;

const proxyShape = {
  transport: oneOf(TRANSPORT_NAMES).default(CONFIG_DEFAULTS.proxy.transport),
  preserve_host: z.boolean({ error: (issue) => `${showValue(issue.input)} is not true or false` })
    .default(CONFIG_DEFAULTS.proxy.preserveHost),
  retries: integer(0, 10).default(CONFIG_DEFAULTS.proxy.retries),
  retry_non_idempotent: onOff().default(CONFIG_DEFAULTS.proxy.retryNonIdempotent),
  verbose_errors: onOff().default(CONFIG_DEFAULTS.proxy.verboseErrors),
  retry_budget_percent: decimal(0, 100).default(CONFIG_DEFAULTS.proxy.retryBudgetPercent),
  retry_budget_min: integer(0).default(CONFIG_DEFAULTS.proxy.retryBudgetMin),
  retry_buffer: size().default(CONFIG_DEFAULTS.proxy.retryBufferBytes),
  keepalive: integer(0, MAX_KEEPALIVE).default(CONFIG_DEFAULTS.proxy.keepalive),
  keepalive_timeout: duration({ allowZero: false }).default(
    CONFIG_DEFAULTS.proxy.keepaliveTimeoutMs,
  ),
  keepalive_requests: integer(1).default(CONFIG_DEFAULTS.proxy.keepaliveRequests),
};

const proxySchema = z.strictObject(proxyShape, { error: objectError })
  .transform((proxy): Config["proxy"] => ({
    transport: proxy.transport,
    preserveHost: proxy.preserve_host,
    retries: proxy.retries,
    retryNonIdempotent: proxy.retry_non_idempotent,
    verboseErrors: proxy.verbose_errors,
    retryBudgetPercent: proxy.retry_budget_percent,
    retryBudgetMin: proxy.retry_budget_min,
    retryBufferBytes: proxy.retry_buffer,
    keepalive: proxy.keepalive,
    keepaliveTimeoutMs: proxy.keepalive_timeout,
    keepaliveRequests: proxy.keepalive_requests,
  }));

const passiveShape = {
  failures: integer(0).default(CONFIG_DEFAULTS.passive.failures),
  ejection_time: duration({ allowZero: false }).default(CONFIG_DEFAULTS.passive.ejectionTimeMs),
  max_ejection_time: duration({ allowZero: false }).optional(),
  max_ejection_percent: integer(0, 100).default(CONFIG_DEFAULTS.passive.maxEjectionPercent),
};

const passiveSchema = z.strictObject(passiveShape, { error: objectError })
  .superRefine((passive, ctx) => {
    const max = passive.max_ejection_time;
    if (max !== undefined && max < passive.ejection_time) {
      ctx.addIssue({
        code: "custom",
        path: ["max_ejection_time"],
        message: `${formatDuration(max)} is shorter than the ejection time, ${
          formatDuration(passive.ejection_time)
        } (--ejection-time, SLUICE_EJECTION_TIME or passive.ejection_time)`,
      });
    }
  }, { when: (payload) => hasNoIssueAt(payload, ["ejection_time", "max_ejection_time"]) })
  .transform((passive): Config["passive"] => ({
    failures: passive.failures,
    ejectionTimeMs: passive.ejection_time,
    // As in Envoy, a base ejection time longer than the default maximum raises the maximum.
    maxEjectionTimeMs: passive.max_ejection_time ??
      Math.max(CONFIG_DEFAULTS.passive.maxEjectionTimeMs, passive.ejection_time),
    maxEjectionPercent: passive.max_ejection_percent,
  }));

const limitsShape = {
  max_connections_per_upstream: integer(0).default(
    CONFIG_DEFAULTS.limits.maxConnectionsPerUpstream,
  ),
  queue_size: integer(0).default(CONFIG_DEFAULTS.limits.queueSize),
  queue_timeout: duration({ allowZero: false }).default(CONFIG_DEFAULTS.limits.queueTimeoutMs),
  slow_start: duration({ allowZero: true }).default(CONFIG_DEFAULTS.limits.slowStartMs),
  max_body_size: size().default(CONFIG_DEFAULTS.limits.maxBodyBytes),
  rate_limit: decimal(0).default(CONFIG_DEFAULTS.limits.rateLimitRps),
  rate_burst: integer(1).optional(),
  max_url_length: size({ allowZero: false }).default(CONFIG_DEFAULTS.limits.maxUrlBytes),
  max_header_size: size({ allowZero: false }).default(CONFIG_DEFAULTS.limits.maxHeaderBytes),
  max_client_connections: integer(1).default(CONFIG_DEFAULTS.limits.maxClientConnections),
};

const limitsSchema = z.strictObject(limitsShape, { error: objectError })
  .superRefine((limits, ctx) => {
    if (limits.rate_burst !== undefined && limits.rate_limit === 0) {
      ctx.addIssue({
        code: "custom",
        path: ["rate_burst"],
        message: `${limits.rate_burst} is set but rate limiting is off: set a rate too ` +
          "(--rate-limit, SLUICE_RATE_LIMIT or limits.rate_limit), or leave the burst out",
      });
    }
  }, { when: (payload) => hasNoIssueAt(payload, ["rate_limit", "rate_burst"]) })
  .transform((limits): Config["limits"] => ({
    maxConnectionsPerUpstream: limits.max_connections_per_upstream,
    queueSize: limits.queue_size,
    queueTimeoutMs: limits.queue_timeout,
    slowStartMs: limits.slow_start,
    maxBodyBytes: limits.max_body_size,
    rateLimitRps: limits.rate_limit,
    // A bucket smaller than one request would refuse every request.
    rateBurst: limits.rate_burst ?? Math.max(1, Math.ceil(limits.rate_limit)),
    maxUrlBytes: limits.max_url_length,
    maxHeaderBytes: limits.max_header_size,
    maxClientConnections: limits.max_client_connections,
  }));

/** `Host` values, as a list or (flags, environment) one comma-separated string. */
const allowedHostsSchema = z.preprocess(
  (value) =>
    typeof value === "string"
      ? value.split(",").map((item) => item.trim()).filter((item) => item !== "")
      : value,
  z.array(
    text().transform((value, ctx): string => {
      const host = value.trim().toLowerCase();
      const match =
        /^(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*|\[[0-9a-f:.]+\])(?::(\d{1,5}))?$/
          .exec(host);
      if (match === null || Number(match[1] ?? 0) > 65_535) {
        ctx.addIssue({
          code: "custom",
          message: `${showValue(value)} is not a host name or address with an optional :port`,
        });
        return z.NEVER;
      }
      return host;
    }),
    { error: (issue) => `${showValue(issue.input)} is not a list of host names` },
  ).transform((hosts) => [...new Set(hosts)]),
);

const adminShape = {
  host: hostSchema(`"admin.port" or --admin-port`).default(CONFIG_DEFAULTS.admin.host),
  port: integer(0, 65_535).default(CONFIG_DEFAULTS.admin.port),
  token: tokenSchema.optional(),
  allowed_hosts: allowedHostsSchema.default(() => []),
};

const adminSchema = z.strictObject(adminShape, { error: objectError });
type AdminSection = z.output<typeof adminSchema>;

const poolLimitsSchema = z.strictObject(
  {
    max_connections_per_upstream: limitsShape.max_connections_per_upstream,
    queue_size: limitsShape.queue_size,
    queue_timeout: limitsShape.queue_timeout,
    slow_start: limitsShape.slow_start,
  } satisfies Record<typeof POOL_LIMIT_KEYS[number], unknown>,
  { error: objectError },
)
  .transform((limits): PoolConfig["limits"] => ({
    maxConnectionsPerUpstream: limits.max_connections_per_upstream,
    queueSize: limits.queue_size,
    queueTimeoutMs: limits.queue_timeout,
    slowStartMs: limits.slow_start,
  }));

const poolProxySchema = z.strictObject(
  {
    retries: proxyShape.retries,
    retry_non_idempotent: proxyShape.retry_non_idempotent,
    retry_budget_percent: proxyShape.retry_budget_percent,
    retry_budget_min: proxyShape.retry_budget_min,
  } satisfies Record<typeof POOL_PROXY_KEYS[number], unknown>,
  { error: objectError },
)
  .transform((proxy): PoolConfig["proxy"] => ({
    retries: proxy.retries,
    retryNonIdempotent: proxy.retry_non_idempotent,
    retryBudgetPercent: proxy.retry_budget_percent,
    retryBudgetMin: proxy.retry_budget_min,
  }));

/** One entry of `pools`; settings left out were filled from the top level by the preprocess. */
const poolShape = {
  backends: section(backendsSchema.default(() => [])),
  strategy: oneOf(STRATEGY_NAMES).default(CONFIG_DEFAULTS.strategy),
  hash_key: hashKeySchema.prefault(formatHashKey(CONFIG_DEFAULTS.hashKey)),
  sticky: section(stickySchema.optional()),
  health: section(healthSchema.prefault({})),
  passive: section(passiveSchema.prefault({})),
  limits: section(poolLimitsSchema.prefault({})),
  proxy: section(poolProxySchema.prefault({})),
  upstream_tls: section(upstreamTlsSchema.optional()),
};

const poolsSchema = z.record(
  z.string(),
  section(z.strictObject(poolShape, { error: objectError }).prefault({})),
  { error: (issue) => `${showValue(issue.input)} is not a mapping of pool names to pools` },
).transform((pools): PoolConfig[] =>
  Object.entries(pools).map(([name, pool]) => {
    return {
      name,
      backends: pool.backends,
      strategy: pool.strategy,
      hashKey: pool.hash_key,
      sticky: pool.sticky,
      health: pool.health,
      passive: pool.passive,
      limits: pool.limits,
      proxy: pool.proxy,
      upstreamTls: pool.upstream_tls ?? { ...NO_UPSTREAM_TLS },
    };
  })
);

/** `stdout`, `off`, or a file path (no control characters). */
const accessLogSchema = text().superRefine((value, ctx) => {
  if (value === "") {
    ctx.addIssue({ code: "custom", message: `"" is empty (use stdout, off or a file path)` });
  } else if (/\p{Cc}/u.test(value)) {
    ctx.addIssue({
      code: "custom",
      message: `${showValue(value)} is not stdout, off or a file path`,
    });
  }
});

const discoveryShape = {
  min_interval: duration({ allowZero: false }).default(5_000),
  max_interval: duration({ allowZero: false }).default(300_000),
  // null: as redactConfig writes an unset name server.
  name_server: z.preprocess(
    (value) => (value === null ? undefined : value),
    text().transform((value, ctx): { ipAddr: string; port: number } => {
      const match = /^\[?([0-9a-fA-F:.]+?)\]?(?::(\d{1,5}))?$/.exec(value.trim());
      const port = match?.[2] === undefined ? 53 : Number(match[2]);
      if (match === null || !(port >= 1 && port <= 65_535) || !/[.:]/.test(match[1]!)) {
        ctx.addIssue({
          code: "custom",
          message: `${showValue(value)} is not an IP address with an optional port (10.0.0.2:53)`,
        });
        return z.NEVER;
      }
      return { ipAddr: match[1]!, port };
    }).optional(),
  ),
};

const discoverySchema = z.strictObject(discoveryShape, { error: objectError })
  .superRefine((discovery, ctx) => {
    if (discovery.max_interval < discovery.min_interval) {
      ctx.addIssue({
        code: "custom",
        path: ["max_interval"],
        message: `${formatDuration(discovery.max_interval)} is shorter than ` +
          `discovery.min_interval (${formatDuration(discovery.min_interval)})`,
      });
    }
  }, { when: (payload) => hasNoIssueAt(payload, ["min_interval", "max_interval"]) })
  .transform((discovery): Config["discovery"] => ({
    minIntervalMs: discovery.min_interval,
    maxIntervalMs: discovery.max_interval,
    nameServer: discovery.name_server,
  }));

function loggingShape(defaultFormat: LogFormat) {
  return {
    level: oneOf(LOG_LEVELS).default(CONFIG_DEFAULTS.logging.level),
    access_log: accessLogSchema.default(CONFIG_DEFAULTS.logging.accessLog),
    format: oneOf(LOG_FORMATS).default(defaultFormat),
  };
}

function rootShape(defaultFormat: LogFormat) {
  return {
    host: hostSchema(`"port" or --port`).default(CONFIG_DEFAULTS.host),
    port: integer(0, 65_535).default(CONFIG_DEFAULTS.port),
    listener: oneOf(LISTENER_NAMES).default(CONFIG_DEFAULTS.listener),
    strategy: oneOf(STRATEGY_NAMES).default(CONFIG_DEFAULTS.strategy),
    hash_key: hashKeySchema.prefault(formatHashKey(CONFIG_DEFAULTS.hashKey)),
    sticky: section(stickySchema.optional()),
    trusted_proxies: section(trustedProxiesSchema.default(() => [])),
    backends: section(backendsSchema.default(() => [])),
    health: section(healthSchema.prefault({})),
    timeouts: section(timeoutsSchema.prefault({})),
    proxy: section(proxySchema.prefault({})),
    passive: section(passiveSchema.prefault({})),
    limits: section(limitsSchema.prefault({})),
    logging: section(
      z.strictObject(loggingShape(defaultFormat), { error: objectError }).prefault({}),
    ),
    admin: section(adminSchema.prefault({})),
    pools: section(poolsSchema.default(() => [])),
    routes: section(routesSchema.default(() => [])),
    upstream_tls: section(upstreamTlsSchema.optional()),
    tls: section(tlsSchema.optional()),
    compression: section(compressionSchema.prefault({})),
    discovery: section(discoverySchema.prefault({})),
  };
}

/** Keys allowed in each object of the file shape, for "did you mean" suggestions. */
const KNOWN_KEYS: ReadonlyMap<string, readonly string[]> = new Map([
  ["", Object.keys(rootShape("json"))],
  ["backends[]", Object.keys(backendShape)],
  ["sticky", Object.keys(stickyShape)],
  ["health", Object.keys(healthShape)],
  ["timeouts", Object.keys(timeoutsShape)],
  ["proxy", Object.keys(proxyShape)],
  ["passive", Object.keys(passiveShape)],
  ["limits", Object.keys(limitsShape)],
  ["logging", Object.keys(loggingShape("json"))],
  ["admin", Object.keys(adminShape)],
  ["routes[]", ROUTE_KEYS],
  ["routes[].match", MATCH_KEYS],
  ["upstream_tls", Object.keys(upstreamTlsShape)],
  ["tls", Object.keys(tlsShape)],
  ["compression", Object.keys(compressionShape)],
  ["discovery", Object.keys(discoveryShape)],
]);

/** Options of `createConfigSchema`. */
export interface ConfigSchemaOptions {
  /**
   * `logging.format` when the configuration does not set it.
   * @default "json"
   */
  defaultLogFormat?: LogFormat;
}

/**
 * Builds the zod schema that checks the config file shape and transforms it into a `Config`.
 *
 * Unknown keys are errors at every level. Integers also accept strings of digits, since flags
 * and environment variables are merged into the same shape as strings.
 *
 * Settings are also checked against each other: an admin server on an address other than
 * loopback needs `admin.token`, and cannot share the proxy's port on an address both listen on;
 * `health.timeout` is at most `health.interval`, `passive.max_ejection_time` at least
 * `passive.ejection_time`; `limits.rate_burst` needs `limits.rate_limit`.
 *
 * @param options See `ConfigSchemaOptions`.
 * @returns A schema whose input is the file shape (snake_case keys, `"10s"` durations, `"64kb"`
 * sizes) and whose output is the runtime `Config` (camelCase keys, ms, bytes).
 */
export function createConfigSchema(options: ConfigSchemaOptions = {}): z.ZodType<Config> {
  const root = z.strictObject(rootShape(options.defaultLogFormat ?? "json"), { error: objectError })
    .superRefine((file, ctx) => checkAdminToken(file.admin, ctx), {
      when: (payload) => isValidAt(payload, [["admin", "host"], ["admin", "port"]]),
    })
    .superRefine((file, ctx) => checkAdminPort(file, ctx), {
      when: (payload) =>
        isValidAt(payload, [["host"], ["port"], ["admin", "host"], ["admin", "port"]]),
    })
    .superRefine((file, ctx) => checkOwnAddresses(file, ctx), {
      when: (payload) =>
        isValidAt(payload, [["host"], ["port"], ["admin", "host"], ["admin", "port"]]),
    })
    // Names are checked whatever else is wrong, so every problem shows in one run.
    .superRefine((file, ctx) => checkRouting(file, ctx), { when: () => true })
    .superRefine((file, ctx) => {
      const check = (tls: Config["upstreamTls"] | undefined, path: string[]) => {
        if (tls === undefined) return;
        const problem = upstreamTlsTransportProblem(tls, file.proxy.transport);
        if (problem === undefined) return;
        ctx.addIssue({
          code: "custom",
          path: [...path, "upstream_tls", "server_name"],
          params: { [ACROSS_SETTINGS]: true },
          message: problem,
        });
      };
      check(file.upstream_tls, []);
      // A pool's server_name inherited from the top level was reported there.
      for (const pool of file.pools) {
        if (pool.upstreamTls.serverName !== file.upstream_tls?.serverName) {
          check(pool.upstreamTls, ["pools", pool.name]);
        }
      }
    }, {
      when: (payload) => isValidAt(payload, [["upstream_tls"], ["proxy", "transport"], ["pools"]]),
    })
    .transform((file): Config => ({
      host: file.host,
      port: file.port,
      listener: file.listener,
      backends: file.backends,
      strategy: file.strategy,
      hashKey: file.hash_key,
      sticky: file.sticky,
      trustedProxies: file.trusted_proxies,
      health: file.health,
      timeouts: file.timeouts,
      proxy: file.proxy,
      passive: file.passive,
      limits: file.limits,
      logging: {
        level: file.logging.level,
        format: file.logging.format,
        accessLog: file.logging.access_log,
      },
      admin: {
        host: file.admin.host,
        port: file.admin.port,
        token: file.admin.token,
        allowedHosts: file.admin.allowed_hosts,
      },
      pools: file.pools,
      routes: file.routes,
      upstreamTls: file.upstream_tls ?? { ...NO_UPSTREAM_TLS },
      tls: file.tls,
      compression: file.compression,
      discovery: file.discovery,
    }));
  // A pool's settings left out are the top-level ones (flags and environment included).
  return z.preprocess(inheritPoolSettings, root);
}

/**
 * Checks across pools and routes, on values that may be partly invalid: pool names are
 * `[A-Za-z0-9_.-]+`; route names are unique; a route names a declared pool (or `default`, the
 * top-level `backends`); `pools.default` and top-level `backends` are not both given.
 */
function checkRouting(file: Record<string, unknown>, ctx: RefinementContext): void {
  const pools = file.pools;
  // The pools section before its transform (a mapping) or after it (a list of PoolConfig).
  const names = Array.isArray(pools)
    ? pools.map((pool: { name: string }) => pool.name)
    : typeof pools === "object" && pools !== null
    ? Object.keys(pools)
    : [];
  const declared = new Set(names);
  for (const name of names) {
    if (!POOL_NAME.test(name)) {
      ctx.addIssue({
        code: "custom",
        path: ["pools", name],
        message: `${showValue(name)} is not a pool name (letters, digits, _ . -)`,
      });
    }
  }
  if (declared.has("default") && Array.isArray(file.backends) && file.backends.length > 0) {
    ctx.addIssue({
      code: "custom",
      path: ["pools", "default"],
      message: "is also given by the top-level backends (which are the pool default): " +
        "keep one of them",
    });
  }
  if (!Array.isArray(file.routes)) return;
  const seen = new Map<string, number>();
  file.routes.forEach((route: unknown, index) => {
    if (typeof route !== "object" || route === null) return;
    const { name, pool } = route as { name?: unknown; pool?: unknown };
    if (typeof name === "string") {
      const first = seen.get(name);
      if (first === undefined) seen.set(name, index);
      else {
        ctx.addIssue({
          code: "custom",
          path: ["routes", index, "name"],
          message: `${showValue(name)} is also the name of routes[${first}]`,
        });
      }
    }
    if (typeof pool !== "string" || pool === "" || pool === "default" || declared.has(pool)) {
      return;
    }
    const suggestion = suggestName(pool, [...declared, "default"]);
    ctx.addIssue({
      code: "custom",
      path: ["routes", index, "pool"],
      message: `${showValue(pool)} is not a pool (declared: ${[...declared].join(", ") || "none"}${
        suggestion === undefined ? "" : `; did you mean ${JSON.stringify(suggestion)}?`
      })`,
    });
  });
}

type RefinementPayload = z.core.ParsePayload<unknown>;
type RefinementContext = z.core.$RefinementCtx<unknown>;

/**
 * Whether the object being refined has no issue at, above or below any of `paths`, so a check
 * across settings can read them; the other settings' problems, and other checks across
 * settings, do not stop it, so every problem still shows in one run.
 */
function isValidAt(payload: RefinementPayload, paths: readonly (readonly string[])[]): boolean {
  const { value } = payload;
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  return !payload.issues.some((issue) => {
    // Unknown keys are reported on the object itself, but leave its known settings intact.
    if (issue.code === "unrecognized_keys" || isAcrossSettings(issue)) return false;
    const at = issue.path ?? [];
    return paths.some((path) =>
      path.slice(0, Math.min(path.length, at.length)).every((key, i) => key === at[i])
    );
  });
}

/** Marks a problem whose path, unless a flag or variable set it, is replaced by another. */
const PATH_IF_NOT_OVERRIDDEN = "pathIfNotOverridden";
/** Marks a problem of a check across settings: the settings themselves are valid. */
const ACROSS_SETTINGS = "acrossSettings";

function isAcrossSettings(issue: z.core.$ZodRawIssue): boolean {
  return issue.code === "custom" && issue.params?.[ACROSS_SETTINGS] === true;
}

/**
 * An admin server reachable from the network must ask for a token: its API adds, drains and
 * removes upstreams. The problem is reported under the flag or variable that set the host, else
 * under `admin.token`, the setting to add.
 */
function checkAdminToken(admin: AdminSection, ctx: RefinementContext): void {
  if (admin.port === 0 || admin.token !== undefined || isLoopbackHost(admin.host)) return;
  ctx.addIssue({
    code: "custom",
    path: ["admin", "host"],
    params: { [ACROSS_SETTINGS]: true, [PATH_IF_NOT_OVERRIDDEN]: "admin.token" },
    message: `the admin API on ${showValue(admin.host)} needs a token (--admin-token, ` +
      "SLUICE_ADMIN_TOKEN or admin.token): without one anyone who can reach it can change " +
      "the pool",
  });
}

/** The admin server cannot share the proxy's port on an address both would listen on. */
function checkAdminPort(
  file: { host: string; port: number; admin: AdminSection },
  ctx: RefinementContext,
): void {
  const { admin } = file;
  if (admin.port === 0 || admin.port !== file.port) return;
  const proxyHost = canonicalHost(file.host);
  const adminHost = canonicalHost(admin.host);
  const wildcard = [proxyHost, adminHost].find((host) => WILDCARD_HOSTS.includes(host));
  if (proxyHost !== adminHost && wildcard === undefined) return;
  const clash = proxyHost === adminHost
    ? `on ${showValue(file.host)}`
    : `and ${showValue(wildcard === proxyHost ? file.host : admin.host)} is every address`;
  ctx.addIssue({
    code: "custom",
    path: ["admin", "port"],
    params: { [ACROSS_SETTINGS]: true },
    message: `${admin.port} is also the proxy's port ${clash}: use another port, or 0 to turn ` +
      "the admin server off",
  });
}

/**
 * No upstream may be Sluice itself: the proxy's or the admin server's listen address (any local
 * address when they listen on a wildcard). Checks the top-level backends and every pool's.
 */
function checkOwnAddresses(
  file: {
    host: string;
    port: number;
    admin: AdminSection;
    backends?: unknown;
    pools?: unknown;
  },
  ctx: RefinementContext,
): void {
  const listeners: OwnListener[] = [
    { what: "the proxy", host: file.host, port: file.port },
    { what: "the admin server", host: file.admin.host, port: file.admin.port },
  ];
  let local: string[] | undefined;
  const check = (backends: unknown, path: (string | number)[]) => {
    if (!Array.isArray(backends)) return;
    backends.forEach((backend: unknown, index) => {
      const url = typeof backend === "object" && backend !== null && "url" in backend
        ? backend.url
        : undefined;
      if (typeof url !== "string") return;
      const own = ownListenerReached(url, listeners, local ??= localInterfaceAddresses());
      if (own === undefined) return;
      ctx.addIssue({
        code: "custom",
        path: [...path, index],
        params: { [ACROSS_SETTINGS]: true },
        message: ownListenerMessage(url, own),
      });
    });
  };
  check(file.backends, ["backends"]);
  if (Array.isArray(file.pools)) {
    for (const pool of file.pools as { name?: unknown; backends?: unknown }[]) {
      if (typeof pool?.name === "string") check(pool.backends, ["pools", pool.name, "backends"]);
    }
  }
}

const WILDCARD_HOSTS: readonly string[] = ["0.0.0.0", "[::]"];

/** Lower case, IPv6 in its shortest bracketed form, so `::` and `[0::0]` compare equal. */
function canonicalHost(host: string): string {
  const lower = host.toLowerCase();
  if (!lower.includes(":")) return lower;
  const bare = lower.startsWith("[") && lower.endsWith("]") ? lower.slice(1, -1) : lower;
  try {
    return new URL(`http://[${bare}]/`).hostname;
  } catch {
    return lower;
  }
}

/** Options of `validateConfig`. */
export interface ValidateConfigOptions extends ConfigSchemaOptions {
  /**
   * Rewrites the path of each problem, e.g. `port` to `--port` when that value came from a flag.
   * @default the identity
   */
  renamePath?: (path: string) => string;
}

/**
 * Validates a file-shaped configuration object and returns the runtime `Config`.
 *
 * @example
 * ```ts
 * const config = validateConfig({ port: 8080, backends: [{ url: "http://localhost:9001" }] });
 * config.backends[0]?.name; // "localhost:9001"
 * ```
 *
 * @param input The parsed config file (or flags and environment merged into that shape).
 * @param options See `ValidateConfigOptions`.
 * @returns The validated configuration with every default filled in.
 * @throws {ConfigError} Listing every problem found, each with its path, e.g.
 * `backends[1].url: "localhost:9001" is not an http(s) URL` and `port: 99999 is out of range 0-65535`.
 */
export function validateConfig(input: unknown, options: ValidateConfigOptions = {}): Config {
  const result = createConfigSchema(options).safeParse(input, {
    reportInput: true,
    error: fallbackMessage,
  });
  if (result.success) return result.data;
  const renamePath = options.renamePath ?? ((path: string) => path);
  throw new ConfigError(
    withoutInheritedDuplicates(toProblems(result.error.issues, [])).map((problem) => {
      const renamed = renamePath(problem.path);
      const fallback = problem.pathIfNotOverridden;
      return {
        path: renamed === problem.path && fallback !== undefined ? fallback : renamed,
        message: problem.message,
      };
    }),
  );
}

/**
 * Drops `pools.<name>.<setting>` problems that repeat a top-level setting's problem: the pool
 * inherited the bad value, which is reported once, where it is written.
 */
function withoutInheritedDuplicates(problems: FoundProblem[]): FoundProblem[] {
  const seen = new Set(problems.map((problem) => `${problem.path}\n${problem.message}`));
  return problems.filter((problem) => {
    const inherited = /^pools(?:\.[A-Za-z_][\w-]*|\["(?:[^"\\]|\\.)*"\])\.(.+)$/.exec(problem.path);
    return inherited === null || !seen.has(`${inherited[1]}\n${problem.message}`);
  });
}

/** A problem as found in the file shape, before its path is renamed for its source. */
interface FoundProblem extends ConfigProblem {
  /** The path to report when no flag or variable set `path`. */
  readonly pathIfNotOverridden?: string;
}

function fallbackMessage(issue: z.core.$ZodRawIssue): string | undefined {
  const input = showValue(issue.input);
  switch (issue.code) {
    case "invalid_type":
      return `${input} is not ${issue.expected === "int" ? "an integer" : `a ${issue.expected}`}`;
    case "too_small":
      return `${input} is less than the minimum ${issue.minimum}`;
    case "too_big":
      return `${input} is more than the maximum ${issue.maximum}`;
    case "invalid_value":
      return `${input} is not one of ${issue.values.map(String).join(", ")}`;
    default:
      return undefined;
  }
}

function toProblems(
  issues: readonly z.core.$ZodIssue[],
  base: readonly PropertyKey[],
): FoundProblem[] {
  const problems: FoundProblem[] = [];
  for (const issue of issues) {
    const path = [...base, ...issue.path];
    if (issue.code === "unrecognized_keys") {
      for (const key of issue.keys) {
        problems.push({ path: formatPath([...path, key]), message: unknownKeyMessage(path, key) });
      }
    } else if (issue.code === "invalid_union") {
      const branch = likelyBranch(issue.errors);
      problems.push(
        ...(branch === undefined
          ? [{ path: formatPath(path), message: issue.message }]
          : toProblems(branch, path)),
      );
    } else if (issue.code === "custom" && issue.params?.[PATH_IF_NOT_OVERRIDDEN] !== undefined) {
      problems.push({
        path: formatPath(path),
        message: issue.message,
        pathIfNotOverridden: String(issue.params[PATH_IF_NOT_OVERRIDDEN]),
      });
    } else {
      const missing = issue.code === "invalid_type" && issue.input === undefined;
      problems.push({ path: formatPath(path), message: missing ? "is required" : issue.message });
    }
  }
  return problems;
}

/**
 * The union member the user evidently meant: the only one that did not reject the value's type
 * outright (a string entry of `backends` is a URL, an object entry is `{url, name, weight}`).
 */
function likelyBranch(
  branches: readonly (readonly z.core.$ZodIssue[])[],
): readonly z.core.$ZodIssue[] | undefined {
  const plausible = branches.filter((issues) =>
    !issues.every((issue) => issue.code === "invalid_type" && issue.path.length === 0)
  );
  return plausible.length === 1 ? plausible[0] : undefined;
}

function unknownKeyMessage(objectPath: readonly PropertyKey[], key: string): string {
  const where = objectPath.map((segment) => (typeof segment === "number" ? "[]" : String(segment)))
    .join(".").replaceAll(".[]", "[]");
  let suggestion = suggestName(key, KNOWN_KEYS.get(where) ?? []);
  if (suggestion === undefined) {
    // A key put at the wrong level, e.g. `retries` at the top instead of under `proxy`.
    for (const [section, keys] of KNOWN_KEYS) {
      const match = keys.find((known) => suggestName(key, [known]) !== undefined);
      if (section !== where && !section.includes("[]") && match !== undefined) {
        suggestion = section === "" ? match : `${section}.${match}`;
        break;
      }
    }
  }
  return `unknown key ${JSON.stringify(key)}${
    suggestion === undefined ? "" : ` (did you mean ${JSON.stringify(suggestion)}?)`
  }`;
}

/**
 * Formats a path as `backends[1].url`; a key that is not a plain word is quoted (`["my key"]`).
 * The empty path (the configuration as a whole) is `""`.
 */
function formatPath(path: readonly PropertyKey[]): string {
  let formatted = "";
  for (const segment of path) {
    if (typeof segment === "number") {
      formatted += `[${segment}]`;
    } else if (/^[A-Za-z_][\w-]*$/.test(String(segment))) {
      formatted += formatted === "" ? String(segment) : `.${String(segment)}`;
    } else {
      formatted += `[${JSON.stringify(String(segment))}]`;
    }
  }
  return formatted;
}
