/**
 * Fleiss' kappa: agreement among a fixed number of raters per item, beyond chance — computed as
 * statsmodels 0.15.0's `statsmodels.stats.inter_rater.fleiss_kappa(table, method="fleiss")` computes
 * it (the same float operations in the same order, NumPy's pairwise sums), so the numbers are equal to
 * the last bit (test/unit/parity-calibration.test.ts).
 */
import { type AgreementLabel, numpySum, sortedLabels } from './agreement.js';

/**
 * Fleiss' kappa of a subjects × categories table of counts (row i: how many raters put item i in each
 * category). Every row must sum to the same number of raters (at least 2), as statsmodels assumes.
 * NaN when undefined: no item, or every rating in one category (chance agreement is 1).
 */
export function fleissKappa(table: readonly (readonly number[])[]): number {
  const subjects = table.length;
  if (subjects === 0) return Number.NaN;
  const categories = (table[0] as readonly number[]).length;
  const raters = table.map((row) => numpySum(row));
  const perItem = Math.max(...raters);
  if (raters.some((n) => n !== perItem))
    throw new RangeError('fleissKappa: every item needs the same number of ratings');
  if (perItem < 2) throw new RangeError('fleissKappa: every item needs at least two ratings');
  const total = numpySum(table.flat());
  // Column sums run down the rows one by one (NumPy's axis-0 reduction); the counts are exact anyway.
  const pCategory = Array.from({ length: categories }, (_, j) => {
    let sum = 0;
    for (const row of table) sum += row[j] as number;
    return sum / total;
  });
  const pItem = table.map(
    (row) => (numpySum(row.map((count) => count * count)) - perItem) / (perItem * (perItem - 1)),
  );
  const pMean = numpySum(pItem) / subjects;
  const pExpected = numpySum(pCategory.map((p) => p * p));
  return (pMean - pExpected) / (1 - pExpected);
}

/**
 * The subjects × categories table from each item's labels (statsmodels' `aggregate_raters`): the
 * categories are every label given, sorted as `sortedLabels` sorts them.
 */
export function ratingTable(items: readonly (readonly AgreementLabel[])[]): {
  categories: AgreementLabel[];
  table: number[][];
} {
  const categories = sortedLabels(items.flat());
  const index = new Map(categories.map((label, i) => [labelKey(label), i]));
  const table = items.map((labels) => {
    const row = categories.map(() => 0);
    for (const label of labels) {
      const i = index.get(labelKey(label)) as number;
      row[i] = (row[i] as number) + 1;
    }
    return row;
  });
  return { categories, table };
}

function labelKey(label: AgreementLabel): string {
  return typeof label === 'string' ? `s:${label}` : `n:${label}`;
}
