/**
 * The `upstream_tls` section: CA bundle, SNI name and client certificate for `https://`
 * upstreams, its checks, and reading its PEM files.
 *
 * @module
 */

import { createPrivateKey, X509Certificate } from "node:crypto";
import { z } from "zod";
import { showValue } from "./_show.ts";
import type { ConfigProblem } from "./errors.ts";
import type { TransportName, UpstreamTlsConfig, UpstreamTlsPem } from "./types.ts";

function path() {
  return z.string({ error: (issue) => `${showValue(issue.input)} is not a file path` })
    .min(1, { error: `"" is empty (give a PEM file path, or leave the key out)` });
}

/** Optional; `null` (as `redactConfig` writes an unset key) is the same as leaving it out. */
function unset<T extends z.ZodType>(schema: T) {
  return z.preprocess((value) => (value === null ? undefined : value), schema.optional());
}

/** A DNS name or IP address, as SNI and certificate verification take it. */
const serverNameSchema = z.string({
  error: (issue) => `${showValue(issue.input)} is not a host name`,
}).superRefine((name, ctx) => {
  if (!/^[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?$|^[0-9a-fA-F:.]+$/.test(name)) {
    ctx.addIssue({
      code: "custom",
      message: `${showValue(name)} is not a host name (letters, digits, dots and hyphens)`,
    });
  }
});

/** Keys of the file section, for "did you mean" suggestions. */
export const upstreamTlsShape = {
  ca: unset(path()),
  server_name: unset(serverNameSchema),
  cert: unset(path()),
  key: unset(path()),
  insecure_skip_verify: z.boolean({
    error: (issue) => `${showValue(issue.input)} is not true or false`,
  }).optional(),
};

/**
 * The `upstream_tls` section, checked on its own: `cert` and `key` together;
 * `insecure_skip_verify: true` refused (Deno verifies every TLS connection it opens, and offers
 * no per-connection switch: `Deno.connectTls` and `Deno.createHttpClient` have none); a
 * `server_name` with a client certificate refused (`Deno.startTls`, which sends a separate SNI
 * name, presents no client certificate).
 */
export const upstreamTlsSchema = z.strictObject(upstreamTlsShape, {
  error: (issue) =>
    issue.code === "invalid_type"
      ? `${showValue(issue.input)} is not an object (a mapping of keys to values)`
      : undefined,
}).superRefine((tls, ctx) => {
  if (tls.insecure_skip_verify === true) {
    ctx.addIssue({
      code: "custom",
      path: ["insecure_skip_verify"],
      message: "true cannot be honoured: Deno verifies every upstream certificate and has no " +
        "per-connection switch to skip it. Trust the upstream's CA with upstream_tls.ca " +
        "(--upstream-tls-ca) instead",
    });
  }
  if ((tls.cert === undefined) !== (tls.key === undefined)) {
    const missing = tls.cert === undefined ? "cert" : "key";
    ctx.addIssue({
      code: "custom",
      path: [missing],
      message: `is required with upstream_tls.${missing === "cert" ? "key" : "cert"}: a client ` +
        "certificate needs its private key and the key its certificate",
    });
  }
  if (tls.server_name !== undefined && tls.cert !== undefined) {
    ctx.addIssue({
      code: "custom",
      path: ["server_name"],
      message: `${showValue(tls.server_name)} cannot be combined with a client certificate ` +
        "(upstream_tls.cert): Deno.startTls, which sends a separate SNI name, cannot present " +
        "one. Give the upstream by that name in its URL instead",
    });
  }
}).transform((tls): UpstreamTlsConfig => ({
  caFile: tls.ca,
  serverName: tls.server_name,
  certFile: tls.cert,
  keyFile: tls.key,
  pem: undefined,
}));

/** `upstream_tls` when the file leaves it out. */
export const NO_UPSTREAM_TLS: Readonly<UpstreamTlsConfig> = {
  caFile: undefined,
  serverName: undefined,
  certFile: undefined,
  keyFile: undefined,
  pem: undefined,
};

/**
 * A problem of `upstream_tls` against the transport: fetch cannot send an SNI name other than
 * the URL's host.
 * @param tls the section.
 * @param transport `proxy.transport`.
 * @returns the problem's message, or `undefined`.
 */
export function upstreamTlsTransportProblem(
  tls: UpstreamTlsConfig,
  transport: TransportName,
): string | undefined {
  if (tls.serverName === undefined || transport !== "fetch") return undefined;
  return `${showValue(tls.serverName)} needs proxy.transport http1: the fetch transport sends ` +
    "the URL's host as the TLS server name and cannot send another";
}

/**
 * Reads and checks the PEM files of `upstream_tls`: every certificate parses (`node:crypto`
 * `X509Certificate`), the key parses and matches the client certificate.
 * @param tls the validated section.
 * @param readTextFile reads a file.
 * @returns the PEM text (`undefined` when no file is set) and the problems found (path
 *   `upstream_tls.ca` etc.).
 */
export async function readUpstreamTlsFiles(
  tls: UpstreamTlsConfig,
  readTextFile: (path: string) => Promise<string>,
): Promise<{ pem: UpstreamTlsPem | undefined; problems: ConfigProblem[] }> {
  const problems: ConfigProblem[] = [];
  if (tls.caFile === undefined && tls.certFile === undefined && tls.keyFile === undefined) {
    return { pem: undefined, problems };
  }
  const read = async (key: string, file: string | undefined): Promise<string | undefined> => {
    if (file === undefined) return undefined;
    try {
      return await readTextFile(file);
    } catch (error) {
      problems.push({
        path: `upstream_tls.${key}`,
        message: `${showValue(file)} cannot be read: ${(error as Error).message}`,
      });
      return undefined;
    }
  };
  const [ca, cert, key] = await Promise.all([
    read("ca", tls.caFile),
    read("cert", tls.certFile),
    read("key", tls.keyFile),
  ]);
  if (ca !== undefined) {
    const problem = certificateProblem(ca);
    if (problem) problems.push({ path: "upstream_tls.ca", message: `${tls.caFile}: ${problem}` });
  }
  if (cert !== undefined && key !== undefined) {
    const problem = keyPairProblem(cert, key);
    if (problem) problems.push({ path: "upstream_tls.cert", message: problem });
  }
  return { pem: { ca, cert, key }, problems };
}

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/**
 * What is wrong with a PEM bundle of certificates, or `undefined` when each one parses.
 * @param pem PEM text.
 * @returns a message, or `undefined`.
 */
export function certificateProblem(pem: string): string | undefined {
  const blocks = pem.match(PEM_CERTIFICATE) ?? [];
  if (blocks.length === 0) return "holds no PEM certificate (-----BEGIN CERTIFICATE-----)";
  for (const [i, block] of blocks.entries()) {
    try {
      new X509Certificate(block);
    } catch (error) {
      return `certificate ${i + 1} does not parse: ${(error as Error).message}`;
    }
  }
  return undefined;
}

/**
 * What is wrong with a certificate chain and its key, or `undefined` when both parse and the
 * key belongs to the first certificate.
 * @param certPem the chain, leaf first.
 * @param keyPem the leaf's private key.
 * @returns a message, or `undefined`.
 */
export function keyPairProblem(certPem: string, keyPem: string): string | undefined {
  const problem = certificateProblem(certPem);
  if (problem !== undefined) return `the certificate ${problem}`;
  let key;
  try {
    key = createPrivateKey(keyPem);
  } catch (error) {
    return `the private key does not parse: ${(error as Error).message}`;
  }
  const leaf = new X509Certificate(certPem.match(PEM_CERTIFICATE)![0]!);
  if (!leaf.checkPrivateKey(key)) {
    return "the private key does not belong to the certificate (a mismatched pair)";
  }
  return undefined;
}
