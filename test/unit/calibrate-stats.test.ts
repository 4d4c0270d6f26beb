import { describe, expect, it } from 'vitest';
import { positionConsistency, selfAgreement } from '../../src/stats/consistency.js';
import { fleissKappa, ratingTable } from '../../src/stats/fleiss.js';
import { krippendorffAlpha } from '../../src/stats/krippendorff.js';
import { rankData, spearman, studentTSf } from '../../src/stats/spearman.js';

// The calibration statistics on cases worked out by hand; parity with statsmodels, krippendorff and
// SciPy on generated data is in parity-calibration.test.ts.

describe("Fleiss' kappa", () => {
  it('is (P̄ − P̄e) / (1 − P̄e) on a table worked by hand', () => {
    // 3 items, 2 raters, categories yes/no: [2,0] [0,2] [1,1]
    // P_i = (Σ n² − 2) / 2: 1, 1, 0 → P̄ = 2/3; p_yes = 3/6 = 0.5 → P̄e = 0.5; kappa = (2/3 − 1/2) / (1/2) = 1/3
    expect(
      fleissKappa([
        [2, 0],
        [0, 2],
        [1, 1],
      ]),
    ).toBeCloseTo(1 / 3, 14);
    expect(
      fleissKappa([
        [3, 0],
        [0, 3],
      ]),
    ).toBe(1);
    // one category throughout: chance agreement is 1, kappa undefined
    expect(fleissKappa([[2, 0]])).toBeNaN();
    expect(() =>
      fleissKappa([
        [2, 0],
        [1, 2],
      ]),
    ).toThrow(/same number/);
  });

  it('builds the table from labels per item, categories sorted', () => {
    expect(
      ratingTable([
        ['yes', 'no'],
        ['no', 'no'],
      ]),
    ).toEqual({
      categories: ['no', 'yes'],
      table: [
        [1, 1],
        [2, 0],
      ],
    });
  });
});

describe("Krippendorff's alpha", () => {
  it('nominal: 1 − D_o / D_e from the coincidence matrix, worked by hand', () => {
    // units (a,a) (a,b) (b,b): coincidences o_aa = 2, o_ab = o_ba = 1, o_bb = 2 → n_a = n_b = 3, n = 6
    // D_o = o_ab + o_ba = 2; D_e = 2·3·3 / 5 = 3.6; alpha = 1 − 2 / 3.6 = 4/9
    expect(
      krippendorffAlpha(
        [
          ['a', 'a', 'b'],
          ['a', 'b', 'b'],
        ],
        { level: 'nominal' },
      ),
    ).toBeCloseTo(4 / 9, 14);
  });

  it('leaves out units rated once and is undefined with no pairable unit or one value', () => {
    const withMissing = krippendorffAlpha(
      [
        ['a', 'a', 'b', 'a'],
        ['a', 'b', 'b', null],
      ],
      { level: 'nominal' },
    );
    expect(withMissing).toBeCloseTo(4 / 9, 14);
    expect(
      krippendorffAlpha(
        [
          [1, null],
          [null, 2],
        ],
        { level: 'interval' },
      ),
    ).toBeNaN();
    expect(
      krippendorffAlpha(
        [
          [1, 1],
          [1, 1],
        ],
        { level: 'nominal' },
      ),
    ).toBeNaN();
  });

  it('interval and ordinal weigh distances; string ordinals need a domain', () => {
    // perfect agreement is 1 at every level
    for (const level of ['nominal', 'ordinal', 'interval'] as const)
      expect(
        krippendorffAlpha(
          [
            [1, 2, 3],
            [1, 2, 3],
          ],
          { level },
        ),
      ).toBe(1);
    // a near miss costs less at the interval level than a far one
    const near = krippendorffAlpha(
      [
        [1, 2, 3, 4],
        [1, 2, 3, 3],
      ],
      { level: 'interval' },
    );
    const far = krippendorffAlpha(
      [
        [1, 2, 3, 4],
        [1, 2, 3, 1],
      ],
      { level: 'interval' },
    );
    expect(near).toBeGreaterThan(far);
    expect(() => krippendorffAlpha([['lo', 'hi']], { level: 'ordinal' })).toThrow(/valueDomain/);
  });
});

describe('Spearman', () => {
  it('ranks ties by their mean rank', () => {
    expect(rankData([10, 20, 20, 5])).toEqual([2, 3.5, 3.5, 1]);
  });

  it('is 1 / −1 for monotone pairs, NaN for a constant list, and has the t p-value', () => {
    expect(spearman([1, 2, 3, 4], [10, 20, 30, 400]).rho).toBe(1);
    const down = spearman([1, 2, 3, 4], [4, 3, 2, 1]);
    expect(down.rho).toBe(-1);
    expect(down.pValue).toBe(0);
    expect(spearman([1, 1, 1], [1, 2, 3]).rho).toBeNaN();
    const r = spearman([1, 2, 3, 4, 5], [2, 1, 3, 4, 5]);
    expect(r.rho).toBeCloseTo(0.9, 14);
    // n = 5, Σd² = 2: ρ = 1 − 6·2 / (5·24) = 0.9; t = 0.9·√(3 / 0.19) = 3.5762; two-sided p (3 dof) = 0.03739
    expect(r.pValue).toBeCloseTo(0.037386073, 8);
    // the t tail: P(T₁ > 1) = 1/4 (Cauchy)
    expect(studentTSf(1, 1)).toBeCloseTo(0.25, 14);
  });
});

describe('self-agreement and position consistency', () => {
  it('counts unanimous items and the mean share of agreeing sample pairs', () => {
    const result = selfAgreement([
      ['yes', 'yes', 'yes'], // unanimous, 3/3 pairs
      ['yes', 'no', 'yes'], // 1 of 3 pairs
      ['no'], // one sample: left out
    ]);
    expect(result.items).toBe(2);
    expect(result.unanimous).toBe(0.5);
    expect(result.meanPairwise).toBeCloseTo((1 + 1 / 3) / 2, 14);
    // Fleiss over the two items: P_i = 1, 1/3 → P̄ = 2/3; p_yes = 5/6 → P̄e = 26/36; kappa = (24 − 26) / 10 = −0.2
    expect(result.fleissKappa).toBeCloseTo(-0.2, 14);
    expect(selfAgreement([]).unanimous).toBeNaN();
  });

  it('position consistency: same verdict in both orders, errors left out; first-position share', () => {
    const result = positionConsistency([
      { ab: 'A', ba: 'A' }, // consistent; picks first, then second
      { ab: 'A', ba: 'B' }, // a flip: first both times
      { ab: 'tie', ba: 'tie' },
      { ab: 'error', ba: 'A' },
    ]);
    expect(result).toEqual({ pairs: 3, consistent: 2, rate: 2 / 3, firstPositionRate: 3 / 4 });
  });
});
