/**
 * The `tls` section: TLS termination on the proxy listener (certificate and key files, an
 * optional plain-HTTP port that redirects to HTTPS), its checks and reading its PEM files.
 *
 * @module
 */

import { z } from "zod";
import { showValue } from "./_show.ts";
import type { ConfigProblem } from "./errors.ts";
import type { TlsConfig } from "./types.ts";
import { keyPairProblem } from "./upstream_tls.ts";

function path() {
  return z.string({ error: (issue) => `${showValue(issue.input)} is not a file path` })
    .min(1, { error: `"" is empty (give a PEM file path, or leave the key out)` });
}

const DIGITS = /^\s*\d+\s*$/;

/** Keys of the file section, for "did you mean" suggestions. */
export const tlsShape = {
  cert: path().optional(),
  key: path().optional(),
  redirect_http_port: z.preprocess(
    (value) => (typeof value === "string" && DIGITS.test(value) ? Number(value) : value),
    z.number({ error: (issue) => `${showValue(issue.input)} is not an integer` })
      .int({ error: (issue) => `${showValue(issue.input)} is not an integer` })
      .min(1, { error: (issue) => `${showValue(issue.input)} is out of range 1-65535` })
      .max(65_535, { error: (issue) => `${showValue(issue.input)} is out of range 1-65535` }),
  ).optional(),
};

/**
 * The `tls` section: `cert` and `key` together turn TLS on; `redirect_http_port` needs them.
 * `undefined` when neither is set.
 */
export const tlsSchema = z.strictObject(tlsShape, {
  error: (issue) =>
    issue.code === "invalid_type"
      ? `${showValue(issue.input)} is not an object (a mapping of keys to values)`
      : undefined,
}).superRefine((tls, ctx) => {
  if ((tls.cert === undefined) !== (tls.key === undefined)) {
    const missing = tls.cert === undefined ? "cert" : "key";
    ctx.addIssue({
      code: "custom",
      path: [missing],
      message: `is required with tls.${missing === "cert" ? "key" : "cert"}: HTTPS needs a ` +
        "certificate and its private key",
    });
  } else if (tls.cert === undefined && tls.redirect_http_port !== undefined) {
    ctx.addIssue({
      code: "custom",
      path: ["redirect_http_port"],
      message: `${tls.redirect_http_port} redirects to HTTPS, which needs tls.cert and tls.key`,
    });
  }
}).transform((tls): TlsConfig | undefined =>
  tls.cert === undefined || tls.key === undefined ? undefined : {
    certFile: tls.cert,
    keyFile: tls.key,
    redirectHttpPort: tls.redirect_http_port,
    pem: undefined,
  }
);

/**
 * Reads and checks the certificate and key of `tls`: both parse and the key belongs to the
 * certificate (`node:crypto`).
 * @param tls the validated section.
 * @param readTextFile reads a file.
 * @returns the PEM text (`undefined` when a file could not be read or the pair is bad) and the
 *   problems found (path `tls.cert` or `tls.key`).
 */
export async function readTlsFiles(
  tls: TlsConfig,
  readTextFile: (path: string) => Promise<string>,
): Promise<{ pem: { cert: string; key: string } | undefined; problems: ConfigProblem[] }> {
  const problems: ConfigProblem[] = [];
  const read = async (key: string, file: string): Promise<string | undefined> => {
    try {
      return await readTextFile(file);
    } catch (error) {
      problems.push({
        path: `tls.${key}`,
        message: `${showValue(file)} cannot be read: ${(error as Error).message}`,
      });
      return undefined;
    }
  };
  const [cert, key] = await Promise.all([read("cert", tls.certFile), read("key", tls.keyFile)]);
  if (cert === undefined || key === undefined) return { pem: undefined, problems };
  const problem = keyPairProblem(cert, key);
  if (problem !== undefined) {
    problems.push({ path: "tls.cert", message: problem });
    return { pem: undefined, problems };
  }
  return { pem: { cert, key }, problems };
}
