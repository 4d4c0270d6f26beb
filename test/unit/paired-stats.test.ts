import { describe, expect, it } from 'vitest';
import { percentile } from '../../src/stats/paired/bootstrap.js';
import {
  binomialCdf,
  binomialPmf,
  binomialSf,
  chiSquareSf,
  erfc,
  logGamma,
  normalQuantile,
  normalSf,
  regularizedGammaP,
  regularizedGammaQ,
} from '../../src/stats/paired/distributions.js';
import {
  binomTestTwoSided,
  cohensDz,
  holm,
  mcnemar,
  mean,
  pairedBootstrapCi,
  wilcoxonSignedRank,
  wilsonInterval,
  winsLossesTies,
} from '../../src/stats/paired/index.js';
import { seededUniform } from '../../src/stats/paired/random.js';

// The paired statistics on cases worked out by hand (the counts of rank-sum subsets, binomial sums,
// Holm's products); the reference values quoted from SciPy 1.17.1 are for the special functions.
// Parity with SciPy and statsmodels on generated data is in parity-paired.test.ts.

/** Relative closeness. */
const near = (ours: number, expected: number, tolerance = 1e-13) =>
  expect(Math.abs(ours - expected)).toBeLessThanOrEqual(tolerance * Math.abs(expected));

const zeros = (n: number) => new Array<number>(n).fill(0);
const range = (n: number) => Array.from({ length: n }, (_, i) => i + 1);

describe('special functions', () => {
  it('normal tails and quantiles match SciPy to about 1e-13', () => {
    near(normalSf(1.959963984540054), 0.025, 1e-14);
    near(normalSf(-0.3), 0.6179114221889526);
    near(normalSf(8), 6.22096057427174e-16);
    near(normalSf(30), 4.906713927147908e-198, 1e-12);
    near(normalQuantile(0.975), 1.959963984540054, 1e-15);
    near(normalQuantile(0.3), -0.5244005127080409);
    near(normalQuantile(1e-10), -6.361340902404056);
    expect(normalQuantile(0)).toBe(Number.NEGATIVE_INFINITY);
    expect(normalQuantile(1)).toBe(Number.POSITIVE_INFINITY);
    expect(normalQuantile(0.5)).toBe(0);
  });

  it('erfc, the regularized gamma function and χ² tails', () => {
    near(erfc(0.5), 0.4795001221869535);
    near(erfc(-1.3), 1.9340079449406524);
    near(erfc(5), 1.5374597944280347e-12);
    expect(erfc(0)).toBe(1);
    // Q(3, 2) = e^-2 (1 + 2 + 2²/2), by hand
    near(regularizedGammaQ(3, 2), 5 * Math.exp(-2));
    near(regularizedGammaP(3, 2), 1 - 5 * Math.exp(-2));
    near(regularizedGammaQ(0.5, 0.2), 0.5270892568655381);
    near(chiSquareSf(7.84, 1), 0.005110260660855866);
    near(chiSquareSf(1 / 30, 1), 0.8551321405847059);
    near(chiSquareSf(10, 4), 0.04042768199451279);
    near(logGamma(10), Math.log(362880), 1e-15);
    near(logGamma(0.5), 0.5 * Math.log(Math.PI), 1e-15);
  });

  it('binomial pmf, cdf and sf', () => {
    expect(binomialPmf(3, 10, 0.5)).toBeCloseTo(120 / 1024, 15);
    near(binomialPmf(37, 1000, 0.03), 0.030416188037449828);
    near(binomialCdf(20, 1000, 0.03), 0.033280784135194114);
    near(binomialSf(40, 1000, 0.03), 0.03022081509555554);
    expect(binomialCdf(-1, 10, 0.5)).toBe(0);
    expect(binomialCdf(10, 10, 0.5)).toBe(1);
    expect(binomialSf(10, 10, 0.5)).toBe(0);
    expect(binomialPmf(0, 0, 0.3)).toBe(1);
  });
});

describe('mean, effect size, wins/losses/ties', () => {
  it('mean', () => {
    expect(mean([1, 2, 3, 4])).toBe(2.5);
    expect(mean([])).toBeNaN();
  });

  it("Cohen's d_z is mean(d) / sd(d) with n − 1", () => {
    // d = 1, 2, 3: mean 2, sd 1
    expect(cohensDz([0, 0, 0], [1, 2, 3])).toBe(2);
    expect(cohensDz([3, 2, 1], [0, 0, 0])).toBe(-2);
    // the same difference everywhere: no spread
    expect(cohensDz([0, 0, 0], [0.1, 0.1, 0.1])).toBe(Number.POSITIVE_INFINITY);
    expect(cohensDz([1, 1, 1], [0.5, 0.5, 0.5])).toBe(Number.NEGATIVE_INFINITY);
    expect(cohensDz([1, 2, 3], [1, 2, 3])).toBeNaN();
    expect(cohensDz([1], [2])).toBeNaN();
    expect(cohensDz([], [])).toBeNaN();
  });

  it('wins are pairs where B is higher', () => {
    expect(winsLossesTies([1, 2, 3], [2, 2, 1])).toEqual({ wins: 1, losses: 1, ties: 1 });
    expect(winsLossesTies([], [])).toEqual({ wins: 0, losses: 0, ties: 0 });
    expect(() => winsLossesTies([1], [])).toThrow(RangeError);
  });
});

describe('Wilcoxon signed-rank', () => {
  it('exact: d = 1, −2, 3..7 has R− = 2; 3 of the 128 sign patterns have R+ ≤ 2', () => {
    const result = wilcoxonSignedRank(zeros(7), [1, -2, 3, 4, 5, 6, 7]);
    expect(result).toEqual({ statistic: 2, pValue: (2 * 3) / 128, method: 'exact', zeros: 0, n: 7 });
  });

  it('ties and a zero below 14 pairs: exact over the tied ranks (SciPy enumerates the sign flips)', () => {
    // non-zero d: 1, −1, 3, 3, 6, 7 → ranks 1.5, 1.5, 3.5, 3.5, 5, 6; R− = 1.5, R+ = 19.5.
    // R+ ≤ 1.5 for {}, {first 1.5}, {second 1.5}: 3 of 64
    const result = wilcoxonSignedRank(zeros(7), [0, 1, -1, 3, 3, 6, 7]);
    expect(result).toEqual({ statistic: 1.5, pValue: (2 * 3) / 64, method: 'exact', zeros: 1, n: 6 });
  });

  it('ties beyond 13 pairs: normal approximation with the tie-corrected variance', () => {
    // 14 |d| = 1 (rank 7.5), 6 |d| = 2 (rank 17.5): R+ = 10·7.5 + 6·17.5 = 180, R− = 30, mean 105,
    // variance (20·21·41 − (14³ − 14 + 6³ − 6)/2) / 24 = 656.25
    const b = [...new Array(10).fill(1), ...new Array(4).fill(-1), ...new Array(6).fill(2)];
    const result = wilcoxonSignedRank(zeros(20), b);
    expect(result.statistic).toBe(30);
    expect(result.method).toBe('approx');
    near(result.pValue, 2 * normalSf(75 / Math.sqrt(656.25)), 1e-15);
    near(result.pValue, 0.0034147911781178164); // scipy.stats.wilcoxon
  });

  it("switches method where SciPy's 'auto' does: 50/51 pairs, 13/14 with a zero", () => {
    expect(wilcoxonSignedRank(zeros(50), range(50)).method).toBe('exact');
    expect(wilcoxonSignedRank(zeros(51), range(51)).method).toBe('approx');
    const withZero = (n: number) => wilcoxonSignedRank(zeros(n), [0, ...range(n - 1)]);
    expect(withZero(13).method).toBe('exact');
    expect(withZero(14).method).toBe('approx');
    // all 50 positive: only the full set reaches R+ = 1275, so p = 2 / 2^50
    expect(wilcoxonSignedRank(zeros(50), range(50)).pValue).toBe(2 / 2 ** 50);
  });

  it('edge cases: no pair, all zeros, all ties, a single pair', () => {
    expect(wilcoxonSignedRank([], [])).toEqual({ statistic: 0, pValue: 1, method: 'exact', zeros: 0, n: 0 });
    expect(wilcoxonSignedRank([1, 2, 3], [1, 2, 3])).toEqual({
      statistic: 0,
      pValue: 1,
      method: 'exact',
      zeros: 3,
      n: 0,
    });
    // SciPy gives nan here (normal approximation with zero variance); p = 1 is documented
    expect(wilcoxonSignedRank(zeros(30), zeros(30)).pValue).toBe(1);
    // all |d| tied: 8 of rank 4.5, 6 positive; R+ ≤ 9 (two negatives) for C(8,0..2) = 37 of 256
    const tied = wilcoxonSignedRank(zeros(8), [1, 1, -1, 1, 1, 1, -1, 1]);
    expect(tied.statistic).toBe(9);
    expect(tied.pValue).toBe((2 * 37) / 256);
    // one pair: R+ = 1 or 0 each with ½, p = 1
    expect(wilcoxonSignedRank([0], [3])).toEqual({
      statistic: 0,
      pValue: 1,
      method: 'exact',
      zeros: 0,
      n: 1,
    });
    expect(() => wilcoxonSignedRank([1, 2], [1])).toThrow(RangeError);
    expect(() => wilcoxonSignedRank([1], [Number.NaN])).toThrow(RangeError);
  });
});

describe('McNemar', () => {
  const verdicts = (aOnly: number, bOnly: number, both = 3, neither = 2) => {
    const a: boolean[] = [];
    const b: boolean[] = [];
    const push = (n: number, x: boolean, y: boolean) => {
      for (let i = 0; i < n; i++) {
        a.push(x);
        b.push(y);
      }
    };
    push(both, true, true);
    push(aOnly, true, false);
    push(bOnly, false, true);
    push(neither, false, false);
    return [a, b] as const;
  };

  it('exact below 25 discordant pairs: 2·P(X ≤ min) for X ~ Binomial(m, ½)', () => {
    // 1 vs 5: 2·(C(6,0) + C(6,1)) / 64
    expect(mcnemar(...verdicts(1, 5))).toEqual({
      statistic: 1,
      pValue: 14 / 64,
      exact: true,
      discordant: 6,
      aOnly: 1,
      bOnly: 5,
    });
    expect(mcnemar(...verdicts(0, 10)).pValue).toBe(2 / 1024);
    expect(mcnemar(...verdicts(12, 12)).pValue).toBe(1);
    expect(mcnemar(...verdicts(0, 24)).exact).toBe(true);
  });

  it('χ² with continuity correction from 25 discordant pairs', () => {
    const result = mcnemar(...verdicts(5, 20));
    expect(result.exact).toBe(false);
    expect(result.statistic).toBe(196 / 25); // (|5 − 20| − 1)² / 25
    near(result.pValue, 0.005110260660855866);
    // statsmodels' formula also when both are equal: (0 − 1)² / 30
    expect(mcnemar(...verdicts(15, 15)).statistic).toBe(1 / 30);
  });

  it('no discordant pair: p = 1; no pair at all: the same', () => {
    expect(mcnemar(...verdicts(0, 0))).toMatchObject({ statistic: 0, pValue: 1, exact: true, discordant: 0 });
    expect(mcnemar([], [])).toMatchObject({ statistic: 0, pValue: 1, discordant: 0 });
    expect(() => mcnemar([true], [])).toThrow(RangeError);
  });
});

describe('two-sided binomial test', () => {
  it('by hand at p = ½ and the degenerate cases', () => {
    // 3 of 10: 2·(1 + 10 + 45 + 120) / 1024
    near(binomTestTwoSided(3, 10), 352 / 1024);
    expect(binomTestTwoSided(5, 10)).toBe(1);
    expect(binomTestTwoSided(0, 0)).toBe(1); // SciPy refuses n = 0
    near(binomTestTwoSided(0, 10), 2 / 1024);
    expect(binomTestTwoSided(1, 3, 1 / 3)).toBe(1); // k = n·p
  });

  it('asymmetric p: outcomes no more likely than the observed one, on both sides', () => {
    near(binomTestTwoSided(7, 20, 0.3), 0.6294979666766769); // scipy.stats.binomtest
    // p = 0.1, n = 5, k = 0 is the mode: every outcome is at most as likely
    expect(binomTestTwoSided(0, 5, 0.1)).toBe(1);
  });

  it('rejects what is not a count or a probability', () => {
    expect(() => binomTestTwoSided(4, 3)).toThrow(RangeError);
    expect(() => binomTestTwoSided(1.5, 3)).toThrow(RangeError);
    expect(() => binomTestTwoSided(1, 3, 1.2)).toThrow(RangeError);
  });
});

describe('Wilson interval', () => {
  it('the score interval, clipped, exact at 0 and n', () => {
    const { low, high } = wilsonInterval(7, 20);
    near(low, 0.18119182410108203); // statsmodels proportion_confint(7, 20, method='wilson')
    near(high, 0.5671457233147638);
    expect(wilsonInterval(0, 10).low).toBe(0);
    expect(wilsonInterval(10, 10).high).toBe(1);
    expect(wilsonInterval(0, 0)).toEqual({ low: 0, high: 1 });
    // wider at 99%
    expect(wilsonInterval(7, 20, 0.99).low).toBeLessThan(low);
    expect(() => wilsonInterval(3, 2)).toThrow(RangeError);
    expect(() => wilsonInterval(1, 2, 1)).toThrow(RangeError);
  });
});

describe('Holm', () => {
  it('sorted p times (m − i), running maximum, capped at 1, in input order', () => {
    // 0.01·4 = 0.04; 0.03·3 = 0.09; 0.04·2 = 0.08 → 0.09; 0.5·1 = 0.5
    const adjusted = holm([0.01, 0.04, 0.03, 0.5]);
    expect(adjusted.map((p) => Number(p.toFixed(12)))).toEqual([0.04, 0.09, 0.09, 0.5]);
    expect(holm([0.02, 0.02, 0.02])).toEqual([0.06, 0.06, 0.06]);
    expect(holm([0.6, 0.7])).toEqual([1, 1]);
    expect(holm([0.3])).toEqual([0.3]);
    expect(holm([])).toEqual([]);
    expect(() => holm([Number.NaN])).toThrow(RangeError);
  });
});

describe('paired bootstrap', () => {
  const a = [3, 5, 2, 8, 6, 4, 7, 5, 6, 3, 4, 9];
  const b = [4, 6, 2, 9, 8, 4, 8, 7, 6, 5, 5, 9];

  it('is deterministic for a seed and brackets the mean difference', () => {
    const first = pairedBootstrapCi(a, b, { seed: 7 });
    expect(pairedBootstrapCi(a, b, { seed: 7 })).toEqual(first);
    // (another seed can land on the same order statistics of these few whole-number means; with
    // continuous differences it does not)
    const continuous = b.map((x, i) => x + i / 7);
    expect(pairedBootstrapCi(a, continuous, { seed: 8 })).not.toEqual(
      pairedBootstrapCi(a, continuous, { seed: 7 }),
    );
    const diff = mean(b) - mean(a);
    expect(first.low).toBeLessThan(diff);
    expect(first.high).toBeGreaterThan(diff);
    // differences 1,1,0,1,2,0,1,2,0,2,1,0: every resampled mean lies in [0, 2]
    expect(first.low).toBeGreaterThanOrEqual(0);
    expect(first.high).toBeLessThanOrEqual(2);
  });

  it('is about the normal-theory interval for a larger sample', () => {
    const next = seededUniform(3);
    const d = Array.from({ length: 400 }, () => next() * 2 - 0.5); // uniform on [−0.5, 1.5)
    const m = mean(d);
    const sd = Math.sqrt(d.reduce((s, x) => s + (x - m) ** 2, 0) / (d.length - 1));
    const { low, high } = pairedBootstrapCi(zeros(400), d, { seed: 1 });
    const half = (1.959963984540054 * sd) / Math.sqrt(d.length);
    expect(Math.abs(low - (m - half))).toBeLessThan(0.1 * half);
    expect(Math.abs(high - (m + half))).toBeLessThan(0.1 * half);
    // a narrower interval at 80%
    const eighty = pairedBootstrapCi(zeros(400), d, { seed: 1, confidence: 0.8 });
    expect(eighty.high - eighty.low).toBeLessThan(high - low);
  });

  it('edge cases: no pair, a single pair, one difference throughout', () => {
    const none = pairedBootstrapCi([], []);
    expect(none.low).toBeNaN();
    expect(none.high).toBeNaN();
    expect(pairedBootstrapCi([1], [3])).toEqual({ low: 2, high: 2 });
    expect(pairedBootstrapCi([1, 2, 3], [1.5, 2.5, 3.5], { resamples: 50 })).toEqual({ low: 0.5, high: 0.5 });
    expect(() => pairedBootstrapCi([1], [2], { resamples: 0 })).toThrow(RangeError);
    expect(() => pairedBootstrapCi([1], [2], { confidence: 95 })).toThrow(RangeError);
    expect(() => pairedBootstrapCi([1, 2], [2])).toThrow(RangeError);
  });

  it('percentile rule: linear between order statistics at q·(R − 1)', () => {
    const sorted = Float64Array.from([1, 2, 3, 4, 5]);
    expect(percentile(sorted, 0.25)).toBe(2);
    expect(percentile(sorted, 0.1)).toBeCloseTo(1.4, 15);
    expect(percentile(sorted, 1)).toBe(5);
    expect(percentile(sorted, 0)).toBe(1);
  });
});

describe('seeded generator', () => {
  it('repeats for a seed, differs across seeds (high bits included), stays in [0, 1)', () => {
    const draw = (seed: number) => {
      const next = seededUniform(seed);
      return Array.from({ length: 5 }, () => next());
    };
    expect(draw(42)).toEqual(draw(42));
    expect(draw(42)).not.toEqual(draw(43));
    expect(draw(0)).not.toEqual(draw(2 ** 32));
    expect(draw(1)).not.toEqual(draw(-1));
    const next = seededUniform(5);
    let sum = 0;
    let lowest = 1;
    let highest = 0;
    for (let i = 0; i < 100_000; i++) {
      const u = next();
      sum += u;
      lowest = Math.min(lowest, u);
      highest = Math.max(highest, u);
    }
    expect(lowest).toBeGreaterThanOrEqual(0);
    expect(highest).toBeLessThan(1);
    expect(Math.abs(sum / 100_000 - 0.5)).toBeLessThan(0.005);
    expect(() => seededUniform(Number.NaN)).toThrow(RangeError);
  });
});
