/**
 * Bytes allocated per call, for the micro benchmarks.
 *
 * The method:
 * - V8 allocates young objects by bumping a pointer, and `Deno.memoryUsage().heapUsed` (V8's
 *   used heap size) includes the young generation up to that pointer, byte-exact. So the change
 *   of `heapUsed` across a run of calls is what they allocated, provided no garbage collection
 *   ran in between (a scavenge empties the young generation and the delta turns meaningless,
 *   usually negative).
 * - So the calls run in many chunks, each measured on its own, after a warm-up so the code is
 *   optimised (unoptimised code boxes numbers). The median chunk is reported: with chunks far
 *   smaller than the young generation, a collection lands in few of them. Reading `heapUsed`
 *   allocates its own result object (~100 bytes a chunk).
 * - The method checks itself ({@linkcode assertNotBlind}): a control function allocating one
 *   small object per call must show at least 8 bytes per call.
 *
 * Forcing collections with `gc()` (`--v8-flags=--expose-gc`) would not help: it only shows what
 * survives, not what was allocated and died.
 *
 * @module
 */

/** Options of {@linkcode bytesPerCall}. */
export interface BytesPerCallOptions {
  /** Calls before measuring. @default 100_000 */
  warmUp?: number;
  /** Calls per measured chunk. @default 10_000 */
  chunk?: number;
  /** Chunks measured; the median is reported. @default 100 */
  chunks?: number;
}

/**
 * Bytes allocated per call of `fn`: the median over `chunks` chunks of `chunk` calls of the
 * growth of `heapUsed`, after `warmUp` calls.
 * @param fn the code measured.
 * @param options chunking.
 * @returns bytes per call.
 */
export function bytesPerCall(fn: () => void, options: BytesPerCallOptions = {}): number {
  const { warmUp = 100_000, chunk = 10_000, chunks = 100 } = options;
  for (let i = 0; i < warmUp; i++) fn();
  const deltas = new Float64Array(chunks);
  for (let c = 0; c < chunks; c++) {
    const before = Deno.memoryUsage().heapUsed;
    for (let i = 0; i < chunk; i++) fn();
    deltas[c] = Deno.memoryUsage().heapUsed - before;
  }
  deltas.sort();
  return deltas[chunks >> 1]! / chunk;
}

/**
 * Like {@linkcode bytesPerCall} for an async `fn`, awaited call by call: the bytes include the
 * promises the call creates and awaiting it (as a caller's `await` would).
 * @param fn the code measured.
 * @param options chunking.
 * @returns bytes per call.
 */
export async function bytesPerAsyncCall(
  fn: () => Promise<unknown>,
  options: BytesPerCallOptions = {},
): Promise<number> {
  const { warmUp = 100_000, chunk = 10_000, chunks = 100 } = options;
  for (let i = 0; i < warmUp; i++) await fn();
  const deltas = new Float64Array(chunks);
  for (let c = 0; c < chunks; c++) {
    const before = Deno.memoryUsage().heapUsed;
    for (let i = 0; i < chunk; i++) await fn();
    deltas[c] = Deno.memoryUsage().heapUsed - before;
  }
  deltas.sort();
  return deltas[chunks >> 1]! / chunk;
}

/** Where kept values go, so the optimiser cannot drop the code producing them. */
const sink: unknown[] = [undefined];

/**
 * Fails when the method cannot see a small object per call.
 * @throws {Error} when a small object measures under 8 bytes.
 * @returns the control's bytes per call.
 */
export function assertNotBlind(): number {
  const control = bytesPerCall(() => sink[0] = { at: 1 });
  if (control < 8) {
    throw new Error(`Allocation check is blind: a small object measured ${control} bytes`);
  }
  return control;
}

/** Keeps `value` alive so the optimiser cannot drop the code producing it. */
export function keep(value: unknown): void {
  sink[0] = value;
}
