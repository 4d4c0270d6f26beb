import { describe, expect, it } from 'vitest';
import {
  cohenKappa,
  confusionMatrix,
  numpySum,
  percentAgreement,
  sortedLabels,
} from '../../src/stats/agreement.js';

// Cohen's kappa on tables worked out by hand; parity with scikit-learn on generated pairs is in
// parity-agreement.test.ts.

/** Rater lists from a 2×2 table: [yes-yes, yes-no, no-yes, no-no]. */
function fromTable([a, b, c, d]: [number, number, number, number]): [string[], string[]] {
  const r1: string[] = [];
  const r2: string[] = [];
  const push = (n: number, x: string, y: string) => {
    for (let i = 0; i < n; i++) {
      r1.push(x);
      r2.push(y);
    }
  };
  push(a, 'yes', 'yes');
  push(b, 'yes', 'no');
  push(c, 'no', 'yes');
  push(d, 'no', 'no');
  return [r1, r2];
}

describe("Cohen's kappa", () => {
  it('is (p_o − p_e) / (1 − p_e) for two raters on yes/no', () => {
    // p_o = 35/50 = 0.7; p_e = 0.5·0.6 + 0.5·0.4 = 0.5; kappa = 0.2 / 0.5 = 0.4
    const [r1, r2] = fromTable([20, 5, 10, 15]);
    expect(cohenKappa(r1, r2)).toBeCloseTo(0.4, 12);
    expect(percentAgreement(r1, r2)).toBeCloseTo(0.7, 12);
    expect(cohenKappa(...fromTable([10, 0, 0, 10]))).toBe(1);
    expect(cohenKappa(...fromTable([0, 10, 10, 0]))).toBe(-1);
    // agreement at chance level: kappa 0 although the raters agree half the time
    expect(cohenKappa(...fromTable([5, 5, 5, 5]))).toBe(0);
  });

  it('is undefined (NaN) when both raters use one label throughout, or nothing is rated', () => {
    expect(cohenKappa(['yes', 'yes'], ['yes', 'yes'])).toBeNaN();
    expect(cohenKappa([], [])).toBeNaN();
    expect(percentAgreement([], [])).toBeNaN();
    // one rater constant, the other not: defined, and 0
    expect(cohenKappa(['yes', 'yes', 'yes', 'yes'], ['yes', 'no', 'yes', 'no'])).toBe(0);
  });

  it('weights ordinal disagreements by distance: linear |i−j|, quadratic (i−j)²', () => {
    const human = [1, 2, 3, 4, 5, 5];
    const judge = [1, 2, 3, 4, 4, 1];
    const labels = [1, 2, 3, 4, 5];
    const nominal = cohenKappa(human, judge, { labels });
    const linear = cohenKappa(human, judge, { labels, weights: 'linear' });
    const quadratic = cohenKappa(human, judge, { labels, weights: 'quadratic' });
    // by hand: observed Σw·o over the 2 disagreements (5→4, 5→1); expected from the margins
    const margins1 = [1, 1, 1, 1, 2];
    const margins2 = [2, 1, 1, 2, 0];
    const expected = (w: (i: number, j: number) => number) => {
      let sum = 0;
      for (let i = 0; i < 5; i++)
        for (let j = 0; j < 5; j++) sum += (w(i, j) * margins1[i]! * margins2[j]!) / 6;
      return sum;
    };
    expect(linear).toBeCloseTo(1 - (1 + 4) / expected((i, j) => Math.abs(i - j)), 12);
    expect(quadratic).toBeCloseTo(1 - (1 + 16) / expected((i, j) => (i - j) ** 2), 12);
    expect(nominal).toBeCloseTo(1 - 2 / expected((i, j) => (i === j ? 0 : 1)), 12);
    // a near miss costs less than a far one
    const near = cohenKappa([1, 2, 3, 4, 5], [1, 2, 3, 4, 4], { labels, weights: 'quadratic' });
    const far = cohenKappa([1, 2, 3, 4, 5], [1, 2, 3, 4, 1], { labels, weights: 'quadratic' });
    expect(near).toBeGreaterThan(far);
  });

  it('measures distance on the label list it is given (default: the labels seen, sorted)', () => {
    expect(sortedLabels([5, 'b', 1, 'a', 5])).toEqual([1, 5, 'a', 'b']);
    // without the full range 1..5, labels 2 and 5 are neighbours (distance 1, not 3)
    const a = [1, 2, 5, 5, 1];
    const b = [1, 5, 5, 2, 2];
    expect(cohenKappa(a, b, { weights: 'linear' })).toBeCloseTo(0.347826, 6);
    expect(cohenKappa(a, b, { weights: 'linear', labels: [1, 2, 3, 4, 5] })).toBeCloseTo(0.255319, 6);
    // pairs outside the list are not counted
    expect(confusionMatrix(['yes', 'maybe', 'no'], ['yes', 'yes', 'no'], ['yes', 'no'])).toEqual([
      [1, 0],
      [0, 1],
    ]);
    expect(() => cohenKappa(['yes'], [])).toThrow(RangeError);
  });

  it('sums as numpy.sum does (pairwise, 8 accumulators)', () => {
    expect(numpySum([])).toBe(0);
    expect(numpySum([0.1, 0.2, 0.3])).toBe(0.1 + 0.2 + 0.3);
    const values = Array.from({ length: 9 }, (_, i) => 0.1 * (i + 1));
    // 8 accumulators, combined pairwise, then the ninth
    expect(numpySum(values)).toBe(
      values[0]! +
        values[1]! +
        (values[2]! + values[3]!) +
        (values[4]! + values[5]! + (values[6]! + values[7]!)) +
        values[8]!,
    );
  });
});
