/**
 * The `compression` section: on/off, media types, minimum size and codings of the responses
 * Sluice compresses for clients.
 *
 * @module
 */

import { z } from "zod";
import { showValue } from "./_show.ts";
import { parseSize } from "./size.ts";
import type { CompressionConfig } from "./types.ts";

/**
 * Media types compressed by default: text, and the structured and script types that compress
 * well (nginx's `gzip_types` usual list, Caddy `encode`'s defaults). Images, audio, video and
 * archives are compressed already.
 */
export const DEFAULT_COMPRESSION_TYPES: readonly string[] = [
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
];

const SWITCH: ReadonlyMap<string, boolean> = new Map([
  ["true", true],
  ["false", false],
  ["1", true],
  ["0", false],
]);

const MEDIA_TYPE = /^[a-z0-9!#$&^_.+-]+\/(?:\*|[a-z0-9!#$&^_.+-]+)$/;

/** Keys of the file section, for "did you mean" suggestions. */
export const compressionShape = {
  enabled: z.preprocess(
    (value) => (typeof value === "string" ? SWITCH.get(value) ?? value : value),
    z.boolean({
      error: (issue) => `${showValue(issue.input)} is not one of true, false, 1, 0`,
    }),
  ).default(false),
  types: z.array(
    z.string({ error: (issue) => `${showValue(issue.input)} is not a media type` })
      .transform((type) => type.trim().toLowerCase())
      .refine((type) => MEDIA_TYPE.test(type), {
        error: (issue) =>
          `${showValue(issue.input)} is not a media type such as text/html or text/*`,
      }),
    { error: (issue) => `${showValue(issue.input)} is not a list of media types` },
  ).optional(),
  min_size: z.unknown().optional().transform((value, ctx): number => {
    if (value === undefined) return 1024;
    if (typeof value !== "string" && typeof value !== "number") {
      ctx.addIssue({ code: "custom", message: `${showValue(value)} is not a size such as 1kb` });
      return z.NEVER;
    }
    try {
      return parseSize(value);
    } catch (error) {
      ctx.addIssue({ code: "custom", message: (error as Error).message });
      return z.NEVER;
    }
  }),
  algorithms: z.array(
    z.enum(["br", "gzip"], {
      error: (issue) => `${showValue(issue.input)} is not one of br, gzip`,
    }),
    { error: (issue) => `${showValue(issue.input)} is not a list of br, gzip` },
  ).min(1, { error: "is empty (give br, gzip or both)" }).optional(),
};

/** The `compression` section (off unless `enabled`). */
export const compressionSchema = z.strictObject(compressionShape, {
  error: (issue) =>
    issue.code === "invalid_type"
      ? `${showValue(issue.input)} is not an object (a mapping of keys to values)`
      : undefined,
}).transform((section): CompressionConfig => ({
  enabled: section.enabled,
  types: section.types ?? [...DEFAULT_COMPRESSION_TYPES],
  minSizeBytes: section.min_size,
  algorithms: [...new Set<"br" | "gzip">(section.algorithms ?? ["br", "gzip"])],
}));
