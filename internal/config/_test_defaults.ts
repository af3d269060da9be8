/**
 * Expectations shared by the configuration tests (`load_test.ts`, `schema_test.ts`); imported
 * only by tests.
 *
 * @module
 */

import type { Config } from "./types.ts";

/** The whole configuration an empty file or no input at all gives, spelt out literally. */
export const DEFAULTS: Config = {
  host: "0.0.0.0",
  port: 8080,
  listener: "http1",
  strategy: "round_robin",
  hashKey: { source: "ip" },
  sticky: undefined,
  trustedProxies: [],
  backends: [],
  health: {
    path: undefined,
    intervalMs: 10_000,
    timeoutMs: 2_000,
    healthyThreshold: 2,
    unhealthyThreshold: 3,
  },
  timeouts: {
    backendMs: 30_000,
    connectMs: 5_000,
    idleMs: 60_000,
    shutdownMs: 30_000,
    clientHeaderMs: 10_000,
    clientBodyMs: 60_000,
    clientIdleMs: 60_000,
    clientSendMs: 60_000,
    tunnelMs: 3_600_000,
  },
  proxy: {
    transport: "http1",
    preserveHost: true,
    retries: 1,
    retryNonIdempotent: false,
    verboseErrors: false,
    retryBudgetPercent: 20,
    retryBudgetMin: 3,
    retryBufferBytes: 65_536,
    keepalive: 256,
    keepaliveTimeoutMs: 4_000,
    keepaliveRequests: 1_000,
  },
  passive: {
    failures: 5,
    ejectionTimeMs: 30_000,
    maxEjectionTimeMs: 300_000,
    maxEjectionPercent: 10,
  },
  limits: {
    maxConnectionsPerUpstream: 0,
    queueSize: 100,
    queueTimeoutMs: 5_000,
    slowStartMs: 0,
    maxBodyBytes: 0,
    rateLimitRps: 0,
    rateBurst: 1,
    maxUrlBytes: 8_192,
    maxHeaderBytes: 32_768,
    maxClientConnections: 10_000,
  },
  logging: { level: "info", format: "json", accessLog: "stdout" },
  admin: { host: "127.0.0.1", port: 8090, token: undefined, allowedHosts: [] },
  pools: [],
  routes: [],
  upstreamTls: {
    caFile: undefined,
    serverName: undefined,
    certFile: undefined,
    keyFile: undefined,
    pem: undefined,
  },
  tls: undefined,
  compression: {
    enabled: false,
    types: [
      "text/*",
      "application/json",
      "application/javascript",
      "application/xml",
      "application/xhtml+xml",
      "application/rss+xml",
      "application/atom+xml",
      "application/ld+json",
      "application/manifest+json",
      "application/wasm",
      "image/svg+xml",
    ],
    minSizeBytes: 1024,
    algorithms: ["br", "gzip"],
  },
  discovery: { minIntervalMs: 5_000, maxIntervalMs: 300_000, nameServer: undefined },
};

/** The strategies, as the problem for an unknown `strategy` lists them. */
export const STRATEGIES = "round_robin, random, weighted_round_robin, least_connections, " +
  "power_of_two_choices, least_time, ip_hash, consistent_hash";
