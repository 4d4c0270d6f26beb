/**
 * Holm's step-down adjustment of p-values for several tests at once, as statsmodels 0.15.0's
 * `multipletests(p, method='holm')[1]`: sorted ascending, the i-th smallest (0-based) times (m − i),
 * running maximum, capped at 1, returned in the input order.
 */

export function holm(pValues: readonly number[]): number[] {
  for (const p of pValues) {
    if (!(p >= 0 && p <= 1)) throw new RangeError(`holm: ${p} is not a p-value`);
  }
  const m = pValues.length;
  const order = pValues.map((_, i) => i).sort((i, j) => (pValues[i] as number) - (pValues[j] as number));
  const adjusted = new Array<number>(m).fill(0);
  let running = 0;
  order.forEach((index, rank) => {
    running = Math.max(running, (pValues[index] as number) * (m - rank));
    adjusted[index] = Math.min(1, running);
  });
  return adjusted;
}
