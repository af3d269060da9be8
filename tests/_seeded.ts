/**
 * A seeded pseudo-random generator for the differential and fuzz tests, so that every run
 * generates the same corpus and a failure can be replayed.
 *
 * @module
 */

/**
 * Mulberry32: a small 32-bit seeded generator (not for anything but test corpora).
 * @param seed any integer; the same seed gives the same sequence.
 * @returns a function giving the next number in [0, 1).
 */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
