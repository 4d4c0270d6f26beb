/**
 * The Wilcoxon signed-rank test on paired numbers, as `scipy.stats.wilcoxon(b - a)` computes it with
 * its defaults in SciPy 1.17.1 (zero_method='wilcox', correction=False, alternative='two-sided',
 * method='auto'; scipy/stats/_wilcoxon.py):
 *
 * - zero differences are dropped before ranking (but still count as pairs for the choice below);
 * - |d| is ranked with average ranks for ties; the statistic is min(R+, R−);
 * - method 'auto', by the number of pairs n (zeros included):
 *   - n ≤ 50, no tied |d| and no zero: the exact null distribution of R+;
 *   - n ≤ 13 with ties or zeros: SciPy's permutation test, which at that size enumerates all 2^n sign
 *     flips — the exact distribution of R+ over the tied ranks, computed here by the same dynamic
 *     programme (on doubled ranks, so half ranks stay whole);
 *   - otherwise the normal approximation, the variance reduced by Σ(t³ − t)/48 over tie groups of
 *     size t, without continuity correction.
 *   Both exact routes give p = min(1, 2·min(P(R+ ≤ r), P(R+ ≥ r))).
 *
 * Where SciPy returns nan — no pair, or every difference zero with more than 13 pairs (with at most
 * 13 its permutation test gives 1) — this returns p = 1 and statistic 0: no evidence of a difference,
 * and a number that multiple-comparison corrections and verdicts can take.
 */

import { normalSf } from './distributions.js';

export interface WilcoxonResult {
  /** min(R+, R−), SciPy's two-sided statistic. */
  statistic: number;
  pValue: number;
  /** 'exact': the exact null distribution (SciPy's exact or full-enumeration permutation test). */
  method: 'exact' | 'approx';
  /** Pairs whose difference is 0, dropped before ranking. */
  zeros: number;
  /** Non-zero differences ranked (zeros + n = the number of pairs). */
  n: number;
}

/** Largest sample (zeros included) SciPy's method='auto' tests exactly. */
const EXACT_MAX = 50;
/** Largest sample SciPy's permutation test (default 9999 resamples) enumerates completely. */
const PERMUTATION_MAX = 13;

export function wilcoxonSignedRank(a: readonly number[], b: readonly number[]): WilcoxonResult {
  if (a.length !== b.length) {
    throw new RangeError(`wilcoxonSignedRank: ${a.length} and ${b.length} values are not paired`);
  }
  const differences: number[] = [];
  for (let i = 0; i < a.length; i++) {
    const d = (b[i] as number) - (a[i] as number);
    if (!Number.isFinite(d)) throw new RangeError(`wilcoxonSignedRank: pair ${i} differs by ${d}`);
    differences.push(d);
  }
  const pairs = differences.length;
  const nonzero = differences.filter((d) => d !== 0);
  const zeros = pairs - nonzero.length;
  const n = nonzero.length;
  if (n === 0) return { statistic: 0, pValue: 1, method: 'exact', zeros, n };

  const { ranks, tieGroups } = averageRanks(nonzero.map(Math.abs));
  let rPlus = 0;
  let rMinus = 0;
  for (let i = 0; i < n; i++) {
    if ((nonzero[i] as number) > 0) rPlus += ranks[i] as number;
    else rMinus += ranks[i] as number;
  }
  const statistic = Math.min(rPlus, rMinus);
  const hasTies = tieGroups.some((t) => t > 1);

  const exact = pairs <= EXACT_MAX && (!(hasTies || zeros > 0) || pairs <= PERMUTATION_MAX);
  if (exact) return { statistic, pValue: exactPValue(ranks, rPlus), method: 'exact', zeros, n };

  const mean = n * (n + 1) * 0.25;
  let tieCorrection = 0;
  for (const t of tieGroups) tieCorrection += t ** 3 - t;
  const se = Math.sqrt((n * (n + 1) * (2 * n + 1) - tieCorrection / 2) / 24);
  const z = (rPlus - mean) / se;
  // SciPy: 2 · norm.sf(|z|)
  return { statistic, pValue: 2 * normalSf(Math.abs(z)), method: 'approx', zeros, n };
}

/**
 * Average ranks (1-based) of `values`, in their order, and the sizes of their tie groups (values
 * equal as doubles), as SciPy's `_rankdata(..., 'average')`.
 */
export function averageRanks(values: readonly number[]): { ranks: number[]; tieGroups: number[] } {
  const order = values.map((_, i) => i).sort((i, j) => (values[i] as number) - (values[j] as number));
  const ranks = new Array<number>(values.length).fill(0);
  const tieGroups: number[] = [];
  let start = 0;
  while (start < order.length) {
    let end = start + 1;
    while (end < order.length && values[order[end] as number] === values[order[start] as number]) end++;
    const rank = (start + 1 + end) / 2;
    for (let k = start; k < end; k++) ranks[order[k] as number] = rank;
    tieGroups.push(end - start);
    start = end;
  }
  return { ranks, tieGroups };
}

/**
 * Two-sided p of R+ = `rPlus` under the null that each difference is positive or negative with
 * probability ½: the distribution of the sum of a random subset of `ranks`, counted by dynamic
 * programming over doubled rank sums (whole numbers, since average ranks are multiples of ½). The
 * counts stay exact in doubles: at most 2^50 subsets for SciPy's largest exact n.
 */
export function exactPValue(ranks: readonly number[], rPlus: number): number {
  const doubled = ranks.map((r) => Math.round(2 * r));
  const total = doubled.reduce((s, r) => s + r, 0);
  let counts = new Float64Array(total + 1);
  counts[0] = 1;
  let reach = 0;
  for (const r of doubled) {
    const next = new Float64Array(total + 1);
    for (let s = 0; s <= reach; s++) {
      const c = counts[s] as number;
      if (c === 0) continue;
      next[s] = (next[s] as number) + c;
      next[s + r] = (next[s + r] as number) + c;
    }
    reach += r;
    counts = next;
  }
  const observed = Math.round(2 * rPlus);
  let atMost = 0;
  let atLeast = 0;
  for (let s = 0; s <= total; s++) {
    const c = counts[s] as number;
    if (s <= observed) atMost += c;
    if (s >= observed) atLeast += c;
  }
  const subsets = 2 ** ranks.length;
  return Math.min(1, (2 * Math.min(atMost, atLeast)) / subsets);
}
