/**
 * Agreement between two raters (a judge and a human) on the same items: Cohen's kappa, nominal or
 * weighted for ordinal labels, computed as scikit-learn's `cohen_kappa_score` computes it (1.9.1:
 * the same confusion matrix, the same float operations, NumPy's pairwise summation), so the numbers
 * are equal to the last bit (test/unit/parity-agreement.test.ts).
 */

/** A label as both raters give it: a category or a number (map booleans to categories first). */
export type AgreementLabel = string | number;

/**
 * `none`: nominal kappa (every disagreement weighs the same). `linear` / `quadratic`: ordinal labels,
 * a disagreement weighs |i − j| or (i − j)² where i, j are the labels' positions in `labels`.
 */
export type KappaWeights = 'none' | 'linear' | 'quadratic';

export interface KappaOptions {
  weights?: KappaWeights;
  /**
   * The label set, in order (it sets the positions weighted kappa measures distances by). Default:
   * every label either rater gave, sorted (numbers ascending, then strings by code point) as
   * scikit-learn sorts them. Pairs with a label outside it are left out, as scikit-learn does.
   */
  labels?: readonly AgreementLabel[];
}

/**
 * Cohen's kappa of two equally long label lists: 1 − Σ w·observed / Σ w·expected. NaN when it is
 * undefined — no pair counted, or both raters used one and the same label throughout (scikit-learn
 * returns nan there too): report it as undefined, never as 0 or 1.
 */
export function cohenKappa(
  rater1: readonly AgreementLabel[],
  rater2: readonly AgreementLabel[],
  options: KappaOptions = {},
): number {
  if (rater1.length !== rater2.length) {
    throw new RangeError(`cohenKappa: the raters label ${rater1.length} and ${rater2.length} items`);
  }
  const labels = options.labels !== undefined ? [...options.labels] : sortedLabels([...rater1, ...rater2]);
  const confusion = confusionMatrix(rater1, rater2, labels);
  const n = labels.length;
  // Column sums (scikit-learn's sum0) and row sums (sum1), then their outer product over the total.
  const sum0 = Array.from({ length: n }, (_, j) =>
    confusion.reduce((total, row) => total + (row[j] as number), 0),
  );
  const sum1 = confusion.map((row) => row.reduce((total, cell) => total + cell, 0));
  const total = numpySum(sum0);
  if (total === 0) return Number.NaN;
  const weight = weightOf(options.weights ?? 'none');
  const observedTerms: number[] = [];
  const expectedTerms: number[] = [];
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      const w = weight(i, j);
      observedTerms.push(w * (confusion[i]?.[j] as number));
      // numpy.outer(sum0, sum1)[i, j] / total, times the weight
      expectedTerms.push(w * (((sum0[i] as number) * (sum1[j] as number)) / total));
    }
  }
  const expected = numpySum(expectedTerms);
  if (expected === 0) return Number.NaN;
  return 1 - numpySum(observedTerms) / expected;
}

/** The share of pairs on which the raters agree (NaN for none). */
export function percentAgreement(
  rater1: readonly AgreementLabel[],
  rater2: readonly AgreementLabel[],
): number {
  if (rater1.length !== rater2.length) {
    throw new RangeError(`percentAgreement: the raters label ${rater1.length} and ${rater2.length} items`);
  }
  if (rater1.length === 0) return Number.NaN;
  let agree = 0;
  for (let i = 0; i < rater1.length; i++)
    if (sameLabel(rater1[i] as AgreementLabel, rater2[i] as AgreementLabel)) agree++;
  return agree / rater1.length;
}

/**
 * The confusion matrix over `labels`: rows rater 1, columns rater 2. Pairs with a label not in
 * `labels` are not counted.
 */
export function confusionMatrix(
  rater1: readonly AgreementLabel[],
  rater2: readonly AgreementLabel[],
  labels: readonly AgreementLabel[],
): number[][] {
  const index = new Map<string, number>();
  labels.forEach((label, i) => {
    const key = labelKey(label);
    if (!index.has(key)) index.set(key, i);
  });
  const matrix = labels.map(() => labels.map(() => 0));
  for (let k = 0; k < rater1.length; k++) {
    const i = index.get(labelKey(rater1[k] as AgreementLabel));
    const j = index.get(labelKey(rater2[k] as AgreementLabel));
    if (i === undefined || j === undefined) continue;
    (matrix[i] as number[])[j] = ((matrix[i] as number[])[j] as number) + 1;
  }
  return matrix;
}

/** Every distinct label, sorted as scikit-learn's `unique_labels` sorts them. */
export function sortedLabels(values: readonly AgreementLabel[]): AgreementLabel[] {
  const byKey = new Map<string, AgreementLabel>();
  for (const value of values) byKey.set(labelKey(value), value);
  return [...byKey.values()].sort(compareLabels);
}

function compareLabels(a: AgreementLabel, b: AgreementLabel): number {
  const rank = (v: AgreementLabel) => (typeof v === 'string' ? 1 : 0);
  if (rank(a) !== rank(b)) return rank(a) - rank(b);
  if (typeof a === 'string' && typeof b === 'string') return compareCodePoints(a, b);
  return (a as number) - (b as number);
}

/** Python's string order (by code point; JavaScript's `<` compares UTF-16 units). */
function compareCodePoints(a: string, b: string): number {
  const x = [...a];
  const y = [...b];
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    const d = (x[i]?.codePointAt(0) as number) - (y[i]?.codePointAt(0) as number);
    if (d !== 0) return d;
  }
  return x.length - y.length;
}

function sameLabel(a: AgreementLabel, b: AgreementLabel): boolean {
  return labelKey(a) === labelKey(b);
}

/** A number and its string are different labels (as in NumPy). */
function labelKey(label: AgreementLabel): string {
  return typeof label === 'string' ? `s:${label}` : `n:${label}`;
}

function weightOf(weights: KappaWeights): (i: number, j: number) => number {
  switch (weights) {
    case 'none':
      return (i, j) => (i === j ? 0 : 1);
    case 'linear':
      return (i, j) => Math.abs(i - j);
    case 'quadratic':
      return (i, j) => (i - j) ** 2;
  }
}

/**
 * `numpy.sum` of a contiguous float64 array: NumPy's pairwise sum (8 accumulators in blocks of up to
 * 128, halves beyond). The same order of additions gives the same double as scikit-learn.
 */
export function numpySum(values: readonly number[]): number {
  return 0 + pairwiseSum(values, 0, values.length);
}

const PAIRWISE_BLOCK = 128;

function pairwiseSum(a: readonly number[], start: number, n: number): number {
  if (n < 8) {
    let sum = -0;
    for (let i = 0; i < n; i++) sum += a[start + i] as number;
    return sum;
  }
  if (n <= PAIRWISE_BLOCK) {
    const r = a.slice(start, start + 8) as number[];
    let i = 8;
    for (; i < n - (n % 8); i += 8) {
      for (let k = 0; k < 8; k++) r[k] = (r[k] as number) + (a[start + i + k] as number);
    }
    let sum =
      (r[0] as number) +
      (r[1] as number) +
      ((r[2] as number) + (r[3] as number)) +
      ((r[4] as number) + (r[5] as number) + ((r[6] as number) + (r[7] as number)));
    for (; i < n; i++) sum += a[start + i] as number;
    return sum;
  }
  let half = Math.floor(n / 2);
  half -= half % 8;
  return pairwiseSum(a, start, half) + pairwiseSum(a, start + half, n - half);
}
