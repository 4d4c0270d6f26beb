import { describe, expect, it } from 'vitest';
import { cohenKappa } from '../../src/stats/agreement.js';
import { runParity } from '../helpers/parity.js';
import { kappaCases } from '../parity/agreement/cases.js';

// Cohen's kappa against scikit-learn 1.9.1's cohen_kappa_score, computed in this run
// (python/requirements/parity/agreement.txt). Equality is exact: the same float operations in the
// same order (NumPy's pairwise sums) give the same doubles; nan (undefined) is NaN here.

const SCRIPT = 'test/parity/agreement/kappa_reference.py';

interface Reference {
  kappas: Array<number | null>;
  versions: Record<string, string>;
}

describe("Cohen's kappa, parity with scikit-learn", () => {
  it('equals cohen_kappa_score on 600 generated label pairs and the degenerate cases', () => {
    const cases = kappaCases(13, 600);
    const reference = runParity<Reference>(
      SCRIPT,
      [],
      JSON.stringify({
        cases: cases.map((c) => ({
          y1: c.y1,
          y2: c.y2,
          weights: c.weights === 'none' ? null : c.weights,
          labels: c.labels ?? null,
        })),
      }),
    );
    expect(reference.versions['scikit-learn']).toBe('1.9.1');
    const mismatches: string[] = [];
    let undefinedCount = 0;
    cases.forEach((c, i) => {
      const ours = cohenKappa(c.y1, c.y2, {
        weights: c.weights,
        ...(c.labels !== undefined ? { labels: c.labels } : {}),
      });
      const expected = reference.kappas[i];
      if (expected === null) {
        undefinedCount++;
        if (!Number.isNaN(ours)) mismatches.push(`case ${i}: ${ours} vs nan in ${JSON.stringify(c)}`);
      } else if (ours !== expected) {
        mismatches.push(`case ${i}: ${ours} vs ${expected} in ${JSON.stringify(c).slice(0, 300)}`);
      }
    });
    expect(mismatches).toEqual([]);
    // the degenerate cases are in there: one label throughout is undefined in both
    expect(undefinedCount).toBeGreaterThanOrEqual(9);
  });
});
