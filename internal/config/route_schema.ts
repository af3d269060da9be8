/**
 * The file shape of `routes` (a list, first match wins) as a zod schema, and its validation
 * into `RouteConfig`s. Checks across routes and pools (unknown pool, duplicate names) are
 * `checkRoutes()`'s.
 *
 * @module
 */

import { z } from "zod";
import { showValue } from "./_show.ts";
import type { HeaderRules, RouteConfig, RouteMatch } from "./types.ts";

/** RFC 9110 §5.6.2 token: header names and methods. */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** A header value Sluice may send: visible ASCII, spaces, tabs and obs-text; never CR, LF, NUL. */
const FIELD_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;
/** A host name (RFC 1123 labels) or an IPv4 address, lower case. */
const HOST_NAME = /^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*$/;
/** A pool name, also a metrics label value and a URL segment of the admin API. */
export const POOL_NAME = /^[A-Za-z0-9_.-]+$/;
/** Route names follow pool names. */
const ROUTE_NAME = POOL_NAME;
/** Headers a rule may not set: framing and connection handling are Sluice's. */
const FRAMING_HEADERS: ReadonlySet<string> = new Set([
  "content-length",
  "transfer-encoding",
  "connection",
  "keep-alive",
  "proxy-connection",
  "te",
  "trailer",
  "upgrade",
]);
/** The placeholders of a redirect target. */
const PLACEHOLDER = /\{([^{}]*)\}/g;
const PLACEHOLDERS: ReadonlySet<string> = new Set(["path", "query", "host"]);
const REDIRECT_STATUSES = [301, 302, 303, 307, 308] as const;

function text() {
  return z.string({ error: (issue) => `${showValue(issue.input)} is not a string` });
}

function objectError(issue: { input: unknown; code?: string }): string | undefined {
  return issue.code === "invalid_type"
    ? `${showValue(issue.input)} is not an object (a mapping of keys to values)`
    : undefined;
}

function status(min: number, max: number) {
  return z.number({ error: (issue) => `${showValue(issue.input)} is not an HTTP status` })
    .refine((n) => Number.isInteger(n) && n >= min && n <= max, {
      error: (issue) => `${showValue(issue.input)} is not a status from ${min} to ${max}`,
    });
}

const headerNameSchema = text().superRefine((name, ctx) => {
  if (!TOKEN.test(name)) {
    ctx.addIssue({
      code: "custom",
      message: `${showValue(name)} is not a header name (letters, digits and !#$%&'*+-.^_\`|~)`,
    });
  }
});

const headerValueSchema = text().superRefine((value, ctx) => {
  if (!FIELD_VALUE.test(value)) {
    ctx.addIssue({
      code: "custom",
      message: `${
        showValue(value)
      } contains a control character (CR, LF or NUL would split or end the header)`,
    });
  }
});

/** `{Name: value}` as a list of `[lower-case name, value]`, names checked as tokens. */
function headerMap(options: { settable: boolean }) {
  return z.record(z.string(), headerValueSchema, {
    error: (issue) => `${showValue(issue.input)} is not a mapping of header names to values`,
  }).superRefine((map, ctx) => {
    for (const name of Object.keys(map)) {
      if (!TOKEN.test(name)) {
        ctx.addIssue({
          code: "custom",
          path: [name],
          message: `${showValue(name)} is not a header name (letters, digits and !#$%&'*+-.^_\`|~)`,
        });
      } else if (options.settable && FRAMING_HEADERS.has(name.toLowerCase())) {
        ctx.addIssue({
          code: "custom",
          path: [name],
          message: `${showValue(name)} cannot be set by a rule: Sluice frames messages itself`,
        });
      }
    }
  }).transform((map): [string, string][] =>
    Object.entries(map).map(([name, value]) => [name.toLowerCase(), value])
  );
}

const headerRulesSchema = z.strictObject({
  set: headerMap({ settable: true }).optional(),
  remove: z.array(headerNameSchema, {
    error: (issue) => `${showValue(issue.input)} is not a list of header names`,
  }).optional(),
}, { error: objectError }).transform((rules): HeaderRules => ({
  set: rules.set ?? [],
  remove: (rules.remove ?? []).map((name) => name.toLowerCase()),
}));

const hostPatternSchema = text().transform((value, ctx): string => {
  const host = value.toLowerCase();
  const name = host.startsWith("*.") ? host.slice(2) : host;
  if (!HOST_NAME.test(name)) {
    ctx.addIssue({
      code: "custom",
      message: `${showValue(value)} is not a host name or "*.domain" (no port, no scheme)`,
    });
    return z.NEVER;
  }
  return host;
});

function pathSchema(what: string) {
  return text().superRefine((path, ctx) => {
    if (!path.startsWith("/")) {
      ctx.addIssue({ code: "custom", message: `${showValue(path)} must start with "/"` });
    } else if (/[\s\p{Cc}?#]/u.test(path)) {
      ctx.addIssue({
        code: "custom",
        message: `${showValue(path)} must be a ${what} only: no spaces, control characters, ? or #`,
      });
    }
  });
}

const matchShape = {
  host: hostPatternSchema.optional(),
  path_prefix: pathSchema("path").optional(),
  path: pathSchema("path").optional(),
  methods: z.array(
    text().superRefine((method, ctx) => {
      if (!TOKEN.test(method)) {
        ctx.addIssue({ code: "custom", message: `${showValue(method)} is not a method name` });
      }
    }),
    { error: (issue) => `${showValue(issue.input)} is not a list of methods` },
  ).min(1, { error: "is empty (leave methods out to match every method)" }).optional(),
  headers: headerMap({ settable: false }).optional(),
};

const matchSchema = z.strictObject(matchShape, { error: objectError })
  .transform((match): RouteMatch => ({
    host: match.host,
    // "/static/" and "/static" are the same prefix on whole segments.
    pathPrefix: match.path_prefix === undefined || match.path_prefix === "/"
      ? match.path_prefix
      : match.path_prefix.replace(/\/+$/, "") || "/",
    path: match.path,
    methods: match.methods,
    headers: match.headers ?? [],
  }));

const redirectSchema = z.strictObject({
  to: text().min(1, { error: `"" is empty` }).superRefine((to, ctx) => {
    if (/[\s\p{Cc}]/u.test(to)) {
      ctx.addIssue({
        code: "custom",
        message: `${showValue(to)} must not contain spaces or control characters`,
      });
    }
    for (const [, name] of to.matchAll(PLACEHOLDER)) {
      if (!PLACEHOLDERS.has(name!)) {
        ctx.addIssue({
          code: "custom",
          message: `{${name}} is not a placeholder (use {path}, {query} or {host})`,
        });
      }
    }
  }),
  status: z.union(REDIRECT_STATUSES.map((s) => z.literal(s)), {
    error: (issue) =>
      `${showValue(issue.input)} is not a redirect status (${REDIRECT_STATUSES.join(", ")})`,
  }).default(302),
}, { error: objectError });

const respondSchema = z.strictObject({
  status: status(200, 599).default(200),
  body: text().default(""),
}, { error: objectError });

/** Keys of one entry of `routes`, for "did you mean" suggestions. */
export const ROUTE_KEYS: readonly string[] = [
  "name",
  "match",
  "pool",
  "strip_prefix",
  "request_headers",
  "response_headers",
  "redirect",
  "respond",
];
/** Keys of a route's `match`. */
export const MATCH_KEYS: readonly string[] = Object.keys(matchShape);

const routeSchema = z.strictObject({
  name: text().superRefine((name, ctx) => {
    if (!ROUTE_NAME.test(name)) {
      ctx.addIssue({
        code: "custom",
        message: `${showValue(name)} is not a route name (letters, digits, _ . -)`,
      });
    }
  }).optional(),
  match: matchSchema.optional(),
  pool: text().min(1, { error: `"" is empty` }).optional(),
  strip_prefix: z.boolean({ error: (issue) => `${showValue(issue.input)} is not true or false` })
    .default(false),
  request_headers: headerRulesSchema.optional(),
  response_headers: headerRulesSchema.optional(),
  redirect: redirectSchema.optional(),
  respond: respondSchema.optional(),
}, { error: objectError }).superRefine((route, ctx) => {
  const targets = (["pool", "redirect", "respond"] as const).filter((key) =>
    route[key] !== undefined
  );
  if (targets.length === 0) {
    ctx.addIssue({
      code: "custom",
      message: "has no target: give one of pool, redirect or respond",
    });
  } else if (targets.length > 1) {
    ctx.addIssue({
      code: "custom",
      path: [targets[1]!],
      message: `is given with ${targets[0]}: a route has one target (pool, redirect or respond)`,
    });
  }
  if (route.strip_prefix && route.match?.pathPrefix === undefined) {
    ctx.addIssue({
      code: "custom",
      path: ["strip_prefix"],
      message: "needs match.path_prefix (the prefix to strip)",
    });
  }
  if (route.pool === undefined && route.request_headers !== undefined) {
    ctx.addIssue({
      code: "custom",
      path: ["request_headers"],
      message: "applies only to a route with a pool (nothing is sent upstream otherwise)",
    });
  }
});

/** The `routes` list: route names default to `route<N>`. */
export const routesSchema = z.array(routeSchema, {
  error: (issue) => `${showValue(issue.input)} is not a list of routes`,
}).transform((routes): RouteConfig[] =>
  routes.map((route, index): RouteConfig => {
    // Unique names are checked with the pools (schema.ts), on input that may be invalid.
    const name = route.name ?? `route${index + 1}`;
    return {
      name,
      match: route.match ??
        {
          host: undefined,
          pathPrefix: undefined,
          path: undefined,
          methods: undefined,
          headers: [],
        },
      pool: route.pool,
      stripPrefix: route.strip_prefix,
      requestHeaders: route.request_headers ?? { set: [], remove: [] },
      responseHeaders: route.response_headers ?? { set: [], remove: [] },
      redirect: route.redirect,
      respond: route.respond,
    };
  })
);
