/**
 * A percentile bootstrap confidence interval for the mean paired difference mean(b − a): `resamples`
 * times, n pairs are drawn with replacement (pair indices from a seeded xoshiro128** stream, so the
 * interval is the same for the same seed everywhere) and the mean difference of the draw recorded.
 *
 * Percentile rule: the bounds are the (1 − confidence)/2 and (1 + confidence)/2 quantiles of the
 * sorted resampled means, interpolated linearly between neighbouring order statistics at position
 * q·(R − 1) (0-based; NumPy's default `percentile` method 'linear', R's type 7).
 */

import { pairedDifferences } from './descriptive.js';
import { seededUniform, uniformIndex } from './random.js';

export interface BootstrapOptions {
  /** Resamples drawn (default 10 000). */
  resamples?: number;
  /** Coverage of the interval, in (0, 1) (default 0.95). */
  confidence?: number;
  /** Seed of the resampling stream (default 0). */
  seed?: number;
}

/** The interval; NaN bounds when there is no pair. */
export function pairedBootstrapCi(
  a: readonly number[],
  b: readonly number[],
  opts: BootstrapOptions = {},
): { low: number; high: number } {
  const resamples = opts.resamples ?? 10_000;
  const confidence = opts.confidence ?? 0.95;
  const seed = opts.seed ?? 0;
  if (!Number.isInteger(resamples) || resamples < 1) {
    throw new RangeError(`pairedBootstrapCi: resamples ${resamples} is not a positive whole number`);
  }
  if (!(confidence > 0 && confidence < 1)) {
    throw new RangeError(`pairedBootstrapCi: confidence ${confidence} is not between 0 and 1`);
  }
  const d = pairedDifferences(a, b, 'pairedBootstrapCi');
  const n = d.length;
  if (n === 0) return { low: Number.NaN, high: Number.NaN };
  const next = seededUniform(seed);
  const means = new Float64Array(resamples);
  for (let r = 0; r < resamples; r++) {
    let sum = 0;
    for (let i = 0; i < n; i++) sum += d[uniformIndex(next, n)] as number;
    means[r] = sum / n;
  }
  means.sort();
  const tail = (1 - confidence) / 2;
  return { low: percentile(means, tail), high: percentile(means, 1 - tail) };
}

/** Linear interpolation between order statistics at q·(R − 1) of ascending `sorted`. */
export function percentile(sorted: Float64Array, q: number): number {
  const position = q * (sorted.length - 1);
  const below = Math.floor(position);
  const above = Math.min(below + 1, sorted.length - 1);
  const low = sorted[below] as number;
  const high = sorted[above] as number;
  return low + (position - below) * (high - low);
}
