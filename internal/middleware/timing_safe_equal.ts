/**
 * Constant-time string comparison for secrets (admin tokens, sticky-cookie MACs).
 *
 * @module
 */

/**
 * Compares two strings in time that depends only on the longer one's length, not on where they
 * first differ, so a secret cannot be guessed code unit by code unit from response times.
 * Allocates nothing.
 * @param a a string.
 * @param b another string.
 * @returns true when equal.
 */
export function timingSafeEqual(a: string, b: string): boolean {
  const length = Math.max(a.length, b.length);
  let difference = a.length ^ b.length;
  for (let i = 0; i < length; i++) {
    // charCodeAt past the end is NaN, and NaN | 0 is 0: the lengths already differ then.
    difference |= (a.charCodeAt(i) ^ b.charCodeAt(i)) | 0;
  }
  return difference === 0;
}
