/**
 * The Wilson score interval for a proportion, as statsmodels 0.15.0's
 * `proportion_confint(successes, n, alpha=1 − confidence, method='wilson')` computes it (the same
 * formula in the same order, clipped to [0, 1]). The bounds at 0 and n successes are exactly 0 and 1
 * (statsmodels can land a rounding error either side before clipping). n = 0: [0, 1], nothing known.
 */

import { normalQuantile } from './distributions.js';

export function wilsonInterval(
  successes: number,
  n: number,
  confidence = 0.95,
): { low: number; high: number } {
  if (!(confidence > 0 && confidence < 1)) {
    throw new RangeError(`wilsonInterval: confidence ${confidence} is not between 0 and 1`);
  }
  if (!(n >= 0) || !(successes >= 0) || successes > n) {
    throw new RangeError(`wilsonInterval: ${successes} successes in ${n} trials`);
  }
  if (n === 0) return { low: 0, high: 1 };
  const alpha = (1 - confidence) / 2;
  const crit = -normalQuantile(alpha); // norm.isf(alpha)
  const crit2 = crit ** 2;
  const q = successes / n;
  const denominator = 1 + crit2 / n;
  const center = (q + crit2 / (2 * n)) / denominator;
  let dist = crit * Math.sqrt((q * (1 - q)) / n + crit2 / (4 * n ** 2));
  dist /= denominator;
  const low = successes === 0 ? 0 : clip(center - dist);
  const high = successes === n ? 1 : clip(center + dist);
  return { low, high };
}

function clip(x: number): number {
  return Math.min(1, Math.max(0, x));
}
