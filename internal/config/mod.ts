/**
 * Sluice's configuration: one schema, four sources, highest first: command-line flags,
 * environment variables (`SLUICE_*`), the config file (`--config`, JSON or YAML), defaults.
 *
 * Invalid input is reported as one `ConfigError` listing every problem with its path
 * (`backends[1].url`, `--port`, `SLUICE_PORT`).
 *
 * @example
 * ```ts
 * import { ConfigError, formatConfigError, loadConfig } from "./internal/config/mod.ts";
 *
 * try {
 *   const result = await loadConfig(Deno.args, { version: "0.1.0" });
 *   if (result.kind !== "config") console.log(result.text);
 * } catch (error) {
 *   if (!(error instanceof ConfigError)) throw error;
 *   console.error(formatConfigError(error));
 *   Deno.exit(2);
 * }
 * ```
 *
 * @module
 */

export type {
  AdminConfig,
  Config,
  HeaderRules,
  HealthConfig,
  LimitsConfig,
  LogFormat,
  LoggingConfig,
  LogLevel,
  PassiveHealthConfig,
  PoolConfig,
  ProxyConfig,
  RouteConfig,
  RouteMatch,
  StickyConfig,
  StrategyName,
  TimeoutsConfig,
  TransportName,
  UpstreamConfig,
} from "./types.ts";
export { LOG_FORMATS, LOG_LEVELS, STRATEGY_NAMES, TRANSPORT_NAMES } from "./types.ts";
export { CONFIG_DEFAULTS, type ConfigDefaults } from "./defaults.ts";
export { ConfigError, type ConfigProblem, formatConfigError } from "./errors.ts";
export { type ConfigSources, loadConfig, type LoadConfigOptions, type LoadResult } from "./load.ts";
export { type ConfigSchemaOptions, validateConfig, type ValidateConfigOptions } from "./schema.ts";
export type { EnvReader, PermissionQuery } from "./env.ts";
export { formatDuration, parseDuration } from "./duration.ts";
export { parseSize } from "./size.ts";
export {
  type DiscoverySource,
  normalizeBackendUrl,
  normalizeUpstreamUrl,
  parseDiscoveryUrl,
} from "./upstream_url.ts";
export {
  localInterfaceAddresses,
  type OwnListener,
  ownListenerMessage,
  ownListenerReached,
} from "./own_address.ts";
export { HELP_TEXT } from "./help.ts";
export { DEFAULT_POOL, defaultPool, resolveRouting, type Routing } from "./routing.ts";
export { redactConfig } from "./redact.ts";
export { isLoopbackHost } from "./loopback.ts";
export { formatHashKey, parseHashKey } from "./hash_key.ts";
