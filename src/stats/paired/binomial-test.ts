/**
 * The exact two-sided binomial test, as `scipy.stats.binomtest(k, n, p).pvalue` computes it (SciPy
 * 1.17.1, scipy/stats/_binomtest.py): the probability of every outcome no more likely than the observed
 * one ("minlike"), with SciPy's relative tolerance 1 + 1e-7 on "no more likely" so that outcomes equal
 * to it up to rounding count, found by the same binary search on the other side of the mode.
 */

import { binomialCdf, binomialPmf, binomialSf } from './distributions.js';

const RELATIVE_TOLERANCE = 1 + 1e-7;

/** Two-sided p of k successes in n trials with success probability p (default ½). */
export function binomTestTwoSided(k: number, n: number, p = 0.5): number {
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`binomTestTwoSided: n = ${n} is not a count`);
  if (!Number.isInteger(k) || k < 0 || k > n) {
    throw new RangeError(`binomTestTwoSided: k = ${k} is not a count between 0 and n = ${n}`);
  }
  if (!(p >= 0 && p <= 1)) throw new RangeError(`binomTestTwoSided: p = ${p} is not a probability`);
  const d = binomialPmf(k, n, p);
  const mode = p * n;
  if (k === mode) return 1;
  let pValue: number;
  if (k < mode) {
    // outcomes above the mode with pmf ≤ d·(1 + 1e-7)
    const ix = binarySearch((x) => -binomialPmf(x, n, p), -d * RELATIVE_TOLERANCE, Math.ceil(mode), n);
    const y = n - ix + (d * RELATIVE_TOLERANCE === binomialPmf(ix, n, p) ? 1 : 0);
    pValue = binomialCdf(k, n, p) + binomialSf(n - y, n, p);
  } else {
    const ix = binarySearch((x) => binomialPmf(x, n, p), d * RELATIVE_TOLERANCE, 0, Math.floor(mode));
    const y = ix + 1;
    pValue = binomialCdf(y - 1, n, p) + binomialSf(k - 1, n, p);
  }
  return Math.min(1, pValue);
}

/** SciPy's `_binary_search_for_binom_tst`: i in [lo − 1, hi] with f(i) ≤ target < f(i + 1). */
function binarySearch(f: (x: number) => number, target: number, low: number, high: number): number {
  let lo = low;
  let hi = high;
  while (lo < hi) {
    const mid = lo + Math.floor((hi - lo) / 2);
    const value = f(mid);
    if (value < target) lo = mid + 1;
    else if (value > target) hi = mid - 1;
    else return mid;
  }
  return f(lo) <= target ? lo : lo - 1;
}
