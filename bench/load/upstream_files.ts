/**
 * The files the upstreams serve, written into the run's directory.
 *
 * @module
 */

import { LARGE_BODY_BYTES } from "./scenarios.ts";

/** Name of the 1 MiB file, also its path on the upstreams (`/1m`). */
export const LARGE_BODY_PATH_NAME = "1m";

/** The 1 MiB download body: a repeating byte pattern, not compressible to nothing. */
export function largeBody(): Uint8Array<ArrayBuffer> {
  const body = new Uint8Array(LARGE_BODY_BYTES);
  for (let i = 0; i < body.length; i++) body[i] = 97 + (i % 26);
  return body;
}

/**
 * Writes `www/1m` under `dir`, readable by nginx's worker whatever user it runs as.
 * @returns the path of the directory served as nginx's `root`.
 */
export async function writeUpstreamFiles(dir: string): Promise<string> {
  const www = `${dir}/www`;
  await Deno.mkdir(www, { recursive: true, mode: 0o755 });
  await Deno.writeFile(`${www}/${LARGE_BODY_PATH_NAME}`, largeBody(), { mode: 0o644 });
  return www;
}
