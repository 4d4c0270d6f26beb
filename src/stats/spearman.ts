/**
 * Spearman's rank correlation with ties (average ranks) and its two-sided p-value, as SciPy 1.17.1's
 * `scipy.stats.spearmanr(x, y)` computes them: ρ is Pearson's r of the ranks through NumPy's
 * `corrcoef` (the ranks are half-integers, so its sums are exact and ρ is equal to the last bit); the
 * p-value is the Student t tail of t = ρ·√((n − 2) / ((1 + ρ)(1 − ρ))) with n − 2 degrees of freedom,
 * from the regularized incomplete beta function here (relative error around 1e-14 against SciPy's
 * `stdtr`; test/unit/parity-calibration.test.ts).
 */
import { logGamma } from './paired/distributions.js';

export interface SpearmanResult {
  /** ρ; NaN when undefined (fewer than two pairs, or either list constant — SciPy returns nan there). */
  rho: number;
  /** Two-sided p-value of ρ = 0; NaN with ρ, and for two pairs (no degree of freedom). */
  pValue: number;
  n: number;
}

export function spearman(x: readonly number[], y: readonly number[]): SpearmanResult {
  if (x.length !== y.length)
    throw new RangeError(`spearman: ${x.length} and ${y.length} values are not pairs`);
  const n = x.length;
  const undefinedResult = { rho: Number.NaN, pValue: Number.NaN, n };
  if (n <= 1) return undefinedResult;
  if (x.every((v) => v === x[0]) || y.every((v) => v === y[0])) return undefinedResult;
  if (x.some(Number.isNaN) || y.some(Number.isNaN)) return undefinedResult;
  const rx = rankData(x);
  const ry = rankData(y);
  // numpy.cov: centre on the means, dot products, times 1/(n − 1); corrcoef divides by both deviations.
  const mx = sum(rx) / n;
  const my = sum(ry) / n;
  let sxx = 0;
  let syy = 0;
  let sxy = 0;
  for (let i = 0; i < n; i++) {
    const dx = (rx[i] as number) - mx;
    const dy = (ry[i] as number) - my;
    sxx += dx * dx;
    syy += dy * dy;
    sxy += dx * dy;
  }
  const factor = 1 / (n - 1);
  const cxy = sxy * factor;
  const stdX = Math.sqrt(sxx * factor);
  const stdY = Math.sqrt(syy * factor);
  const rho = Math.min(1, Math.max(-1, cxy / stdY / stdX));
  const dof = n - 2;
  if (dof === 0) return { rho, pValue: Number.NaN, n };
  const t = rho * Math.sqrt(Math.max(0, dof / ((rho + 1) * (1 - rho))));
  return { rho, pValue: 2 * studentTSf(Math.abs(t), dof), n };
}

/** Ranks 1..n, ties given the mean of the ranks they span (SciPy's `rankdata`, method "average"). */
export function rankData(values: readonly number[]): number[] {
  const order = values
    .map((_, i) => i)
    .sort((a, b) => (values[a] as number) - (values[b] as number) || a - b);
  const ranks = new Array<number>(values.length);
  let start = 0;
  while (start < order.length) {
    let end = start + 1;
    while (end < order.length && values[order[end] as number] === values[order[start] as number]) end++;
    // positions start..end−1 hold ranks start+1..end; their mean, as SciPy forms it from cumulative counts
    const rank = 0.5 * (end + start + 1);
    for (let k = start; k < end; k++) ranks[order[k] as number] = rank;
    start = end;
  }
  return ranks;
}

/** P(T > t) for Student's t with `dof` degrees of freedom, t ≥ 0: ½·I_{ν/(ν+t²)}(ν/2, ½). */
export function studentTSf(t: number, dof: number): number {
  if (Number.isNaN(t)) return Number.NaN;
  if (t === Number.POSITIVE_INFINITY) return 0;
  if (t === 0) return 0.5;
  const t2 = t * t;
  // x and 1 − x from the same quotient, so neither is formed by a cancelling subtraction
  const x = dof / (dof + t2);
  const complement = t2 / (dof + t2);
  return 0.5 * regularizedBeta(x, complement, dof / 2, 0.5);
}

/**
 * The regularized incomplete beta function I_x(a, b), with y = 1 − x given separately: the continued
 * fraction (modified Lentz) where it converges fast, else through I_x(a, b) = 1 − I_y(b, a).
 */
export function regularizedBeta(x: number, y: number, a: number, b: number): number {
  if (x <= 0) return 0;
  if (y <= 0) return 1;
  const logFront = logGamma(a + b) - logGamma(a) - logGamma(b) + a * Math.log(x) + b * Math.log(y);
  if (x < (a + 1) / (a + b + 2)) return (Math.exp(logFront) * betaFraction(x, a, b)) / a;
  return 1 - (Math.exp(logFront) * betaFraction(y, b, a)) / b;
}

const TINY = 1e-300;

function betaFraction(x: number, a: number, b: number): number {
  let c = 1;
  let d = 1 - ((a + b) * x) / (a + 1);
  if (Math.abs(d) < TINY) d = TINY;
  d = 1 / d;
  let h = d;
  for (let m = 1; m <= 10_000; m++) {
    const m2 = 2 * m;
    let aa = (m * (b - m) * x) / ((a + m2 - 1) * (a + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < TINY) d = TINY;
    c = 1 + aa / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    h *= d * c;
    aa = (-(a + m) * (a + b + m) * x) / ((a + m2) * (a + m2 + 1));
    d = 1 + aa * d;
    if (Math.abs(d) < TINY) d = TINY;
    c = 1 + aa / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    const delta = d * c;
    h *= delta;
    if (Math.abs(delta - 1) < Number.EPSILON) return h;
  }
  return h;
}

function sum(values: readonly number[]): number {
  let total = 0;
  for (const v of values) total += v;
  return total;
}
