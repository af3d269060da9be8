/**
 * "Did you mean …?" suggestions for misspelt keys and flags.
 *
 * @module
 */

/**
 * Picks the candidate closest to a misspelt name, if one is close enough to be a likely typo.
 *
 * Names are compared ignoring case, `_` and `-`, so `healthyThreshold` suggests
 * `healthy_threshold`; otherwise the optimal-string-alignment distance (Levenshtein plus
 * transpositions, so `prot` is one edit from `port`) must be at most a third of the name's length.
 *
 * @param name The unknown name as written.
 * @param candidates The names that are valid in that place.
 * @returns The best candidate, or `undefined` when none is close.
 */
export function suggestName(name: string, candidates: readonly string[]): string | undefined {
  const wanted = normalise(name);
  const limit = Math.max(1, Math.floor(wanted.length / 3));
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    const distance = editDistance(wanted, normalise(candidate));
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return bestDistance <= limit ? best : undefined;
}

function normalise(name: string): string {
  return name.toLowerCase().replaceAll(/[-_]/g, "");
}

function editDistance(a: string, b: string): number {
  // rows[i][j] = distance between a[0..i) and b[0..j)
  const rows: number[][] = Array.from(
    { length: a.length + 1 },
    (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  const at = (i: number, j: number): number => rows[i]?.[j] ?? Infinity;
  for (let i = 1; i <= a.length; i++) {
    const row = rows[i] as number[];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let distance = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        distance = Math.min(distance, at(i - 2, j - 2) + 1);
      }
      row[j] = distance;
    }
  }
  return at(a.length, b.length);
}
