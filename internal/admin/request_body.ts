/**
 * Reading and validating JSON request bodies of the admin API.
 *
 * @module
 */

import type { AdminState } from "../pool/mod.ts";
import type { NewUpstream } from "./control_plane.ts";

/** Largest admin request body accepted, bytes. */
export const MAX_BODY_BYTES = 64 * 1024;

/** One problem with a request body, RFC 9457 `invalid-params` style. */
export interface BodyProblem {
  /** JSON path of the member, e.g. `weight`. */
  name: string;
  /** What is wrong, with the value seen. */
  reason: string;
}

/** The outcome of reading a body: a value, or an HTTP status with problems. */
export type ReadResult<T> =
  | { ok: true; value: T }
  | { ok: false; status: 400 | 413 | 415; detail: string; problems?: BodyProblem[] };

/**
 * Reads a JSON object body: `Content-Type: application/json`, at most {@linkcode MAX_BODY_BYTES}.
 * @param request the admin request.
 * @returns the parsed object, or why it was refused (415, 413, 400).
 */
export async function readJsonObject(
  request: Request,
): Promise<ReadResult<Record<string, unknown>>> {
  const type = request.headers.get("content-type") ?? "";
  if (!/^application\/([a-z.+-]*\+)?json\b/i.test(type)) {
    return { ok: false, status: 415, detail: `send Content-Type: application/json, not "${type}"` };
  }
  const declared = Number(request.headers.get("content-length") ?? 0);
  if (declared > MAX_BODY_BYTES) {
    return { ok: false, status: 413, detail: `body is larger than ${MAX_BODY_BYTES} bytes` };
  }
  let bytes: Uint8Array | undefined;
  try {
    bytes = await readAtMost(request.body, MAX_BODY_BYTES);
  } catch {
    return { ok: false, status: 400, detail: "the body ended early (the client went away?)" };
  }
  if (bytes === undefined) {
    return { ok: false, status: 413, detail: `body is larger than ${MAX_BODY_BYTES} bytes` };
  }
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    return { ok: false, status: 400, detail: "body is not valid UTF-8" };
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return {
      ok: false,
      status: 400,
      detail: `body is not valid JSON: ${(error as Error).message}`,
    };
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return { ok: false, status: 400, detail: "body must be a JSON object" };
  }
  return { ok: true, value: value as Record<string, unknown> };
}

/**
 * Reads a body up to `limit` bytes and stops reading (cancelling the stream) past it, so an
 * endless chunked body cannot fill memory.
 * @returns the bytes, or `undefined` when the body is longer than `limit`.
 */
async function readAtMost(
  body: ReadableStream<Uint8Array> | null,
  limit: number,
): Promise<Uint8Array | undefined> {
  if (body === null) return new Uint8Array(0);
  const chunks: Uint8Array[] = [];
  let total = 0;
  const reader = body.getReader();
  try {
    for (let result = await reader.read(); !result.done; result = await reader.read()) {
      total += result.value.byteLength;
      if (total > limit) {
        await reader.cancel("body too large").catch(() => {});
        return undefined;
      }
      chunks.push(result.value);
    }
  } finally {
    reader.releaseLock();
  }
  const bytes = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return bytes;
}

const ADMIN_STATES: readonly AdminState[] = ["ready", "draining", "maintenance"];

function unknownKeys(body: Record<string, unknown>, known: readonly string[]): BodyProblem[] {
  return Object.keys(body).filter((key) => !known.includes(key)).map((key) => ({
    name: key,
    reason: `unknown member (expected ${known.join(", ")})`,
  }));
}

function checkWeight(value: unknown, problems: BodyProblem[]): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "number" || !Number.isInteger(value) || value < 1 || value > 1_000_000) {
    problems.push({
      name: "weight",
      reason: `must be an integer from 1 to 1000000, got ${JSON.stringify(value)}`,
    });
    return undefined;
  }
  return value;
}

/**
 * Validates the body of `POST /api/upstreams`: `{url, name?, weight?}`.
 * @param body the parsed JSON object.
 * @returns the new upstream, or every problem found.
 */
export function parseNewUpstream(body: Record<string, unknown>): ReadResult<NewUpstream> {
  const problems = unknownKeys(body, ["url", "name", "weight"]);
  if (typeof body.url !== "string" || body.url.trim() === "") {
    problems.push({
      name: "url",
      reason: `must be an http(s) URL, got ${JSON.stringify(body.url)}`,
    });
  }
  if (
    body.name !== undefined &&
    (typeof body.name !== "string" || body.name.trim() === "" || body.name.length > 100)
  ) {
    problems.push({
      name: "name",
      reason: `must be a non-empty string of at most 100 characters, got ${
        JSON.stringify(body.name)
      }`,
    });
  }
  const weight = checkWeight(body.weight, problems);
  if (problems.length > 0) return invalid(problems);
  const value: NewUpstream = { url: (body.url as string).trim() };
  if (typeof body.name === "string") value.name = body.name.trim();
  if (weight !== undefined) value.weight = weight;
  return { ok: true, value };
}

/** A change to one upstream: `PATCH /api/upstreams/{id}`. */
export interface UpstreamPatch {
  state?: AdminState;
  weight?: number;
}

/**
 * Validates the body of `PATCH /api/upstreams/{id}`: `{state?, weight?}`, at least one.
 * @param body the parsed JSON object.
 * @returns the patch, or every problem found.
 */
export function parseUpstreamPatch(body: Record<string, unknown>): ReadResult<UpstreamPatch> {
  const problems = unknownKeys(body, ["state", "weight"]);
  if (body.state !== undefined && !ADMIN_STATES.includes(body.state as AdminState)) {
    problems.push({
      name: "state",
      reason: `must be one of ${ADMIN_STATES.join(", ")}, got ${JSON.stringify(body.state)}`,
    });
  }
  const weight = checkWeight(body.weight, problems);
  if (body.state === undefined && body.weight === undefined && problems.length === 0) {
    problems.push({ name: "", reason: "give state, weight or both" });
  }
  if (problems.length > 0) return invalid(problems);
  const patch: UpstreamPatch = {};
  if (body.state !== undefined) patch.state = body.state as AdminState;
  if (weight !== undefined) patch.weight = weight;
  return { ok: true, value: patch };
}

function invalid<T>(problems: BodyProblem[]): ReadResult<T> {
  return {
    ok: false,
    status: 400,
    detail: problems.map((p) => (p.name ? `${p.name}: ${p.reason}` : p.reason)).join("; "),
    problems,
  };
}
