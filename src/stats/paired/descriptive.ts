/**
 * Means, the paired effect size and the win/loss/tie count of two equally long value lists
 * (A then B, difference d = b − a).
 */

/** The arithmetic mean; NaN for no values. */
export function mean(xs: readonly number[]): number {
  if (xs.length === 0) return Number.NaN;
  let sum = 0;
  for (const x of xs) sum += x;
  return sum / xs.length;
}

/** b − a, pair by pair. */
export function pairedDifferences(a: readonly number[], b: readonly number[], caller: string): number[] {
  if (a.length !== b.length)
    throw new RangeError(`${caller}: ${a.length} and ${b.length} values are not paired`);
  return a.map((x, i) => (b[i] as number) - x);
}

/**
 * Cohen's d_z: mean(d) / sd(d) with the n − 1 denominator. When every difference is the same the
 * standard deviation is 0 and d_z is ±Infinity (NaN when that difference is 0, no effect and no
 * spread). Fewer than two pairs: NaN (no standard deviation).
 */
export function cohensDz(a: readonly number[], b: readonly number[]): number {
  const d = pairedDifferences(a, b, 'cohensDz');
  if (d.length < 2) return Number.NaN;
  const m = mean(d);
  // Tested as equality, not from the two-pass sum: mean(d) of equal values can be off by an ulp,
  // and the spread would then be a rounding error rather than 0.
  if (d.every((x) => x === d[0])) return (d[0] as number) === 0 ? Number.NaN : (d[0] as number) / 0;
  let squares = 0;
  for (const x of d) squares += (x - m) ** 2;
  return m / Math.sqrt(squares / (d.length - 1));
}

/** Pairs where B is higher (wins), lower (losses), equal (ties). Direction is the caller's to flip. */
export function winsLossesTies(
  a: readonly number[],
  b: readonly number[],
): { wins: number; losses: number; ties: number } {
  if (a.length !== b.length) {
    throw new RangeError(`winsLossesTies: ${a.length} and ${b.length} values are not paired`);
  }
  let wins = 0;
  let losses = 0;
  let ties = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] as number;
    const y = b[i] as number;
    if (y > x) wins++;
    else if (y < x) losses++;
    else ties++;
  }
  return { wins, losses, ties };
}
