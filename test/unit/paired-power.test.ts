import { describe, expect, it } from 'vitest';
import { holm, mcnemar, pairedBootstrapCi, wilcoxonSignedRank } from '../../src/stats/paired/index.js';
import { seededUniform, type UniformSource } from '../../src/stats/paired/random.js';

// Seeded synthetic comparisons, 400 seeds each, tested at alpha = 0.05:
//
// - null (A and B from the same distribution): declared significant in at most 8% of seeds. Under a
//   level-5% test the count is Binomial(400, ≤ 0.05): 8% (32 seeds) is 2.7 standard deviations above
//   5%, so a test that keeps its level passes and one that does not (e.g. a 10% false-positive rate)
//   fails. Holm over the three null metrics of a seed keeps the family-wise rate at most 8% too.
// - known effect: detected in at least 90% of seeds —
//   pass/fail: pass rate 0.6 (A) vs 0.8 (B), 200 rows, McNemar (power ≈ 99%);
//   numeric: B − A shifted by 0.5 standard deviations of the difference, 60 rows, Wilcoxon
//   (power ≈ 96%), and the 95% bootstrap interval excludes 0 as often.
// Observed with these seeds: null — McNemar 2.75% (the continuity-corrected and exact tests are
// conservative), Wilcoxon 4.0% (continuous) and 3.5% (1–5 ratings, ties and zeros), bootstrap interval
// missing 0 4.0%, any of the three 10.0% unadjusted and 3.25% after Holm; effect — McNemar 98.5%,
// Wilcoxon 95.75%, bootstrap interval above 0 97.25%. The rates are in the assertions' messages.

const SEEDS = 400;
const ALPHA = 0.05;

function normal(next: UniformSource): number {
  const u = 1 - next();
  const v = next();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

/** Pass/fail verdicts on `rows` rows; B copies A's verdict on a share of rows (paired rows). */
function verdicts(next: UniformSource, rows: number, passA: number, passB: number, copy: number) {
  const a: boolean[] = [];
  const b: boolean[] = [];
  for (let i = 0; i < rows; i++) {
    const x = next() < passA;
    a.push(x);
    b.push(passA === passB && next() < copy ? x : next() < passB);
  }
  return [a, b] as const;
}

/** Numeric scores: a row effect shared by both, B − A ~ N(shift, 1). */
function scores(next: UniformSource, rows: number, shift: number) {
  const a: number[] = [];
  const b: number[] = [];
  for (let i = 0; i < rows; i++) {
    const x = 2 * normal(next) + normal(next);
    a.push(x);
    b.push(x + shift + normal(next));
  }
  return [a, b] as const;
}

/** 1–5 ratings from the same rounded latent score for both, plus noise: ties and zeros. */
function ratings(next: UniformSource, rows: number) {
  const rate = (z: number) => Math.min(5, Math.max(1, Math.round(3 + z)));
  const a: number[] = [];
  const b: number[] = [];
  for (let i = 0; i < rows; i++) {
    const z = normal(next);
    a.push(rate(z + 0.6 * normal(next)));
    b.push(rate(z + 0.6 * normal(next)));
  }
  return [a, b] as const;
}

const rate = (hits: number) => hits / SEEDS;

describe('paired tests on seeded synthetic comparisons (400 seeds, alpha 0.05)', () => {
  it('null comparisons are significant at most 8% of the time, each test and Holm across them', () => {
    let passFail = 0;
    let numeric = 0;
    let likert = 0;
    let unadjustedAny = 0;
    let holmAny = 0;
    let ciMissesZero = 0;
    for (let seed = 0; seed < SEEDS; seed++) {
      const next = seededUniform(seed);
      const p1 = mcnemar(...verdicts(next, 200, 0.7, 0.7, 0.5)).pValue;
      const [a, b] = scores(next, 60, 0);
      const p2 = wilcoxonSignedRank(a, b).pValue;
      const p3 = wilcoxonSignedRank(...ratings(next, 60)).pValue;
      const ci = pairedBootstrapCi(a, b, { seed, resamples: 1000 });
      if (p1 < ALPHA) passFail++;
      if (p2 < ALPHA) numeric++;
      if (p3 < ALPHA) likert++;
      if (ci.low > 0 || ci.high < 0) ciMissesZero++;
      if (Math.min(p1, p2, p3) < ALPHA) unadjustedAny++;
      if (holm([p1, p2, p3]).some((p) => p < ALPHA)) holmAny++;
    }
    const rates = {
      passFail: rate(passFail),
      numeric: rate(numeric),
      likert: rate(likert),
      ciMissesZero: rate(ciMissesZero),
      unadjustedAny: rate(unadjustedAny),
      holmAny: rate(holmAny),
    };
    const message = JSON.stringify(rates);
    expect(rates.passFail, message).toBeLessThanOrEqual(0.08);
    expect(rates.numeric, message).toBeLessThanOrEqual(0.08);
    expect(rates.likert, message).toBeLessThanOrEqual(0.08);
    expect(rates.ciMissesZero, message).toBeLessThanOrEqual(0.08);
    expect(rates.holmAny, message).toBeLessThanOrEqual(0.08);
    // three tests without correction: about 1 − 0.95³ ≈ 14% — what Holm is there for
    expect(rates.unadjustedAny, message).toBeGreaterThan(rates.holmAny);
    // and the tests are not trivially silent: some null seeds do cross 5%
    expect(passFail + numeric + likert, message).toBeGreaterThan(0);
  });

  it('a known effect is detected at least 90% of the time, in the right direction', () => {
    let passFail = 0;
    let numeric = 0;
    let ciExcludesZero = 0;
    for (let seed = 0; seed < SEEDS; seed++) {
      const next = seededUniform(10_000 + seed);
      const result = mcnemar(...verdicts(next, 200, 0.6, 0.8, 0));
      if (result.pValue < ALPHA && result.bOnly > result.aOnly) passFail++;
      const [a, b] = scores(next, 60, 0.5);
      if (wilcoxonSignedRank(a, b).pValue < ALPHA && b.reduce((s, x, i) => s + x - (a[i] as number), 0) > 0) {
        numeric++;
      }
      if (pairedBootstrapCi(a, b, { seed, resamples: 1000 }).low > 0) ciExcludesZero++;
    }
    const rates = {
      passFail: rate(passFail),
      numeric: rate(numeric),
      ciExcludesZero: rate(ciExcludesZero),
    };
    const message = JSON.stringify(rates);
    expect(rates.passFail, message).toBeGreaterThanOrEqual(0.9);
    expect(rates.numeric, message).toBeGreaterThanOrEqual(0.9);
    expect(rates.ciExcludesZero, message).toBeGreaterThanOrEqual(0.9);
  });
});
