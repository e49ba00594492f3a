/**
 * Names from `candidates` that `name` is likely meant as, closest first (at most `limit`),
 * ignoring case: those within `max(1, floor(name.length / 3))` edits (insertions, deletions,
 * substitutions, swaps of two neighbours) that keep at least one character, and those that
 * it starts, or that start it, when the shorter is at least 3 characters and half the longer
 * ("arith" for "arithmetic"). A short name inside another ("e" in "nope") is no suggestion:
 * none is better than a wrong one.
 */
export function closestNames(name: string, candidates: Iterable<string>, limit = 3): string[] {
  const lower = name.toLowerCase();
  const maxDistance = Math.max(1, Math.floor(name.length / 3));
  const scored: { candidate: string; distance: number }[] = [];
  for (const candidate of candidates) {
    const c = candidate.toLowerCase();
    const [short, long] = c.length < lower.length ? [c, lower] : [lower, c];
    const isPrefix = short.length >= 3 && 2 * short.length >= long.length && long.startsWith(short);
    // Lengths further apart than the limit cannot be within it: skip the table.
    if (!isPrefix && long.length - short.length > maxDistance) continue;
    const distance = editDistance(lower, c);
    // A distance as long as the longer name replaces every character ("x" for "y").
    if (isPrefix || (distance <= maxDistance && distance < long.length)) {
      scored.push({ candidate, distance });
    }
  }
  scored.sort((x, y) => x.distance - y.distance || x.candidate.localeCompare(y.candidate));
  return scored.slice(0, limit).map((s) => s.candidate);
}

/**
 * Damerau–Levenshtein distance (optimal string alignment): a swap of two neighbouring
 * characters, the commonest typo, counts as one edit rather than two.
 */
export function editDistance(a: string, b: string): number {
  let before: number[] = [];
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        d = Math.min(d, before[j - 2]! + 1);
      }
      current[j] = d;
    }
    before = previous;
    previous = current;
  }
  return previous[b.length]!;
}
