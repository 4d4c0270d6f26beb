/**
 * Krippendorff's alpha for any number of raters with missing ratings, at the nominal, ordinal or
 * interval level — computed as the `krippendorff` package (PyPI, 0.9.0) computes `alpha` (the same
 * coincidence matrix, the same float operations in the same order, NumPy's pairwise sums), so the
 * numbers are equal to the last bit (test/unit/parity-calibration.test.ts).
 */
import { type AgreementLabel, numpySum, sortedLabels } from './agreement.js';

/** `nominal`: labels are categories. `ordinal`: ranked (distance by the counts between ranks). `interval`: numbers. */
export type AlphaLevel = 'nominal' | 'ordinal' | 'interval';

export interface AlphaOptions {
  level?: AlphaLevel;
  /**
   * The possible values, in order (ordinal ranks them by position; string labels need it for ordinal).
   * Default: every value given, sorted (numbers ascending, strings by code point).
   */
  valueDomain?: readonly AgreementLabel[];
}

/**
 * Krippendorff's alpha of reliability data: one list per rater, one entry per unit, `null` where that
 * rater gave no rating. 1 − D_o / D_e from the coincidence matrix of the pairable values (units rated
 * at least twice). NaN when it is undefined: fewer than two values in the domain, no unit rated twice,
 * or no expected disagreement (the package raises or returns nan there).
 */
export function krippendorffAlpha(
  reliability: readonly (readonly (AgreementLabel | null)[])[],
  options: AlphaOptions = {},
): number {
  const level = options.level ?? 'interval';
  const units = reliability[0]?.length ?? 0;
  if (reliability.some((rater) => rater.length !== units))
    throw new RangeError('krippendorffAlpha: every rater needs one entry per unit (null when missing)');
  const given = reliability.flat().filter((v): v is AgreementLabel => v !== null);
  if (given.some((v) => typeof v === 'string') && given.some((v) => typeof v === 'number'))
    throw new RangeError('krippendorffAlpha: labels mix numbers and strings');
  if (level !== 'nominal' && options.valueDomain === undefined && given.some((v) => typeof v === 'string'))
    throw new RangeError(
      `krippendorffAlpha: string labels need an ordered valueDomain at the ${level} level`,
    );
  if (level === 'interval' && options.valueDomain?.some((v) => typeof v !== 'number'))
    throw new RangeError('krippendorffAlpha: the interval level needs numbers');
  const domain = options.valueDomain !== undefined ? [...options.valueDomain] : sortedLabels(given);
  const index = new Map(domain.map((value, i) => [key(value), i]));
  for (const value of given)
    if (!index.has(key(value)))
      throw new RangeError(`krippendorffAlpha: ${JSON.stringify(value)} is not in the value domain`);
  const V = domain.length;
  if (V <= 1) return Number.NaN;

  // value counts: units × values
  const counts = Array.from({ length: units }, () => new Array<number>(V).fill(0));
  reliability.forEach((rater) => {
    rater.forEach((value, u) => {
      if (value === null) return;
      const row = counts[u] as number[];
      const i = index.get(key(value)) as number;
      row[i] = (row[i] as number) + 1;
    });
  });
  if (counts.every((row) => numpySum(row) <= 1)) return Number.NaN;

  // Coincidences: Σ over units (in order, NumPy's axis-0 reduction) of (n_ui·n_uj − [i=j]·n_ui) / (m_u − 1).
  const o = Array.from({ length: V }, () => new Array<number>(V).fill(0));
  for (const row of counts) {
    const pairable = Math.max(numpySum(row), 2);
    for (let i = 0; i < V; i++)
      for (let j = 0; j < V; j++) {
        const unnormalized = (row[i] as number) * (row[j] as number) - (i === j ? (row[i] as number) : 0);
        (o[i] as number[])[j] = ((o[i] as number[])[j] as number) + unnormalized / (pairable - 1);
      }
  }
  const nV = Array.from({ length: V }, (_, j) => {
    let sum = 0;
    for (let i = 0; i < V; i++) sum += (o[i] as number[])[j] as number;
    return sum;
  });
  const n = numpySum(nV);
  const e = nV.map((ni, i) => nV.map((nj, j) => (ni * nj - (i === j ? ni : 0)) / (n - 1)));
  const distance = distanceOf(level, domain, nV);
  const observed: number[] = [];
  const expected: number[] = [];
  for (let i = 0; i < V; i++)
    for (let j = 0; j < V; j++) {
      const d = distance(i, j);
      observed.push(((o[i] as number[])[j] as number) * d);
      expected.push(((e[i] as number[])[j] as number) * d);
    }
  return 1 - numpySum(observed) / numpySum(expected);
}

function distanceOf(
  level: AlphaLevel,
  domain: readonly AgreementLabel[],
  nV: readonly number[],
): (i: number, j: number) => number {
  switch (level) {
    case 'nominal':
      return (i, j) => (i === j ? 0 : 1);
    case 'interval':
      return (i, j) => {
        const diff = (domain[i] as number) - (domain[j] as number);
        return diff * diff;
      };
    case 'ordinal':
      // (Σ_{g=min..max} n_g − (n_i + n_j) / 2)². NumPy's reduceat adds a segment as its first
      // element plus the pairwise sum of the rest; the same order gives the same double.
      return (i, j) => {
        const low = Math.min(i, j);
        const high = Math.max(i, j);
        const between = (nV[low] as number) + numpySum(nV.slice(low + 1, high + 1));
        const diff = between - ((nV[i] as number) + (nV[j] as number)) / 2;
        return diff * diff;
      };
  }
}

function key(value: AgreementLabel): string {
  return typeof value === 'string' ? `s:${value}` : `n:${value}`;
}
