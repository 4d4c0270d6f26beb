import { describe, expect, it } from 'vitest';
import {
  binomTestTwoSided,
  holm,
  mcnemar,
  wilcoxonSignedRank,
  wilsonInterval,
} from '../../src/stats/paired/index.js';
import { runParity } from '../helpers/parity.js';
import { binomCases, holmCases, mcnemarCases, wilcoxonCases, wilsonCases } from '../parity/paired/cases.js';

// The paired statistics against their references, computed in this run
// (python/requirements/parity/paired.txt): scipy.stats.wilcoxon(b − a) with its defaults and
// binomtest from SciPy 1.17.1; mcnemar, proportion_confint(method='wilson') and
// multipletests(method='holm') from statsmodels 0.15.0. Statistics are equal exactly; p-values and
// bounds to 1e-9 relative (the special functions differ from SciPy's in the last digits; interval
// bounds also 1e-15 absolute, for a bound at 0 that statsmodels computes as ±1e-17 and clips).

const SCRIPT = 'test/parity/paired/reference.py';

interface Reference {
  wilcoxon: Array<{ statistic?: number | null; pvalue?: number | null; error?: string }>;
  binomtest: number[];
  mcnemar: Array<{ statistic: number; pvalue: number }>;
  wilson: Array<[number, number]>;
  holm: number[][];
  versions: Record<string, string>;
}

const close = (ours: number, theirs: number, absolute = 0) =>
  Math.abs(ours - theirs) <= 1e-9 * Math.max(Math.abs(ours), Math.abs(theirs)) + absolute;

const wilcoxon = wilcoxonCases(19, 400);
const binom = binomCases(23, 400);
const mcnemars = mcnemarCases(29, 400);
const wilsons = wilsonCases(31, 300);
const holms = holmCases(37, 200);

describe('paired statistics, parity with SciPy and statsmodels', () => {
  const reference = runParity<Reference>(
    SCRIPT,
    [],
    JSON.stringify({
      wilcoxon: wilcoxon.map(({ a, b }) => ({ a, b })),
      binomtest: binom,
      mcnemar: mcnemars.map(({ aPass, bPass }) => {
        const count = (x: boolean, y: boolean) => aPass.filter((v, i) => v === x && bPass[i] === y).length;
        return {
          table: [
            [count(true, true), count(true, false)],
            [count(false, true), count(false, false)],
          ],
        };
      }),
      wilson: wilsons,
      holm: holms,
    }),
  );

  it('runs the pinned versions', () => {
    expect(reference.versions).toMatchObject({ scipy: '1.17.1', statsmodels: '0.15.0' });
  });

  it('wilcoxonSignedRank equals scipy.stats.wilcoxon on 414 samples, with ties and zeros', () => {
    const mismatches: string[] = [];
    const methods = { exact: 0, approx: 0, withTiesOrZeros: 0, scipyNan: 0 };
    wilcoxon.forEach((c, i) => {
      const ours = wilcoxonSignedRank(c.a, c.b);
      const theirs = reference.wilcoxon[i] as Reference['wilcoxon'][number];
      methods[ours.method]++;
      const rankedMagnitudes = new Set(c.a.map((x, j) => Math.abs((c.b[j] as number) - x)));
      if (ours.zeros > 0 || rankedMagnitudes.size < ours.n + (ours.zeros > 0 ? 1 : 0))
        methods.withTiesOrZeros++;
      if (theirs.pvalue === null || theirs.pvalue === undefined) {
        // SciPy's nan (no pair, or only zero differences beyond 13 pairs) or its ValueError (one
        // pair, difference 0): here p = 1 (documented)
        methods.scipyNan++;
        if (ours.n !== 0 || ours.pValue !== 1)
          mismatches.push(`case ${i} (${c.kind}): nan vs ${ours.pValue}`);
        return;
      }
      if (ours.statistic !== theirs.statistic || !close(ours.pValue, theirs.pvalue)) {
        mismatches.push(
          `case ${i} (${c.kind}, n ${c.a.length}): ours ${ours.statistic} ${ours.pValue} (${ours.method}) ` +
            `vs ${theirs.statistic} ${theirs.pvalue}`,
        );
      }
    });
    expect(mismatches).toEqual([]);
    // every route was taken
    expect(methods.exact).toBeGreaterThan(100);
    expect(methods.approx).toBeGreaterThan(100);
    expect(methods.withTiesOrZeros).toBeGreaterThan(200);
    expect(methods.scipyNan).toBeGreaterThanOrEqual(3);
  });

  it('binomTestTwoSided equals scipy.stats.binomtest on 407 (k, n, p)', () => {
    const mismatches: string[] = [];
    binom.forEach((c, i) => {
      const ours = binomTestTwoSided(c.k, c.n, c.p);
      const theirs = reference.binomtest[i] as number;
      if (!close(ours, theirs)) mismatches.push(`case ${i} ${JSON.stringify(c)}: ${ours} vs ${theirs}`);
    });
    expect(mismatches).toEqual([]);
  });

  it('mcnemar equals statsmodels mcnemar (exact below 25 discordant pairs, else corrected χ²) on 409 tables', () => {
    const mismatches: string[] = [];
    let exact = 0;
    mcnemars.forEach((c, i) => {
      const ours = mcnemar(c.aPass, c.bPass);
      const theirs = reference.mcnemar[i] as { statistic: number; pvalue: number };
      if (ours.exact) exact++;
      if (ours.statistic !== theirs.statistic || !close(ours.pValue, theirs.pvalue)) {
        mismatches.push(
          `case ${i} (${ours.aOnly}/${ours.bOnly}): ${ours.statistic} ${ours.pValue} vs ${theirs.statistic} ${theirs.pvalue}`,
        );
      }
    });
    expect(mismatches).toEqual([]);
    // both routes, many times each
    expect(exact).toBeGreaterThan(80);
    expect(mcnemars.length - exact).toBeGreaterThan(80);
  });

  it('wilsonInterval equals proportion_confint(method="wilson") on 305 proportions', () => {
    const mismatches: string[] = [];
    wilsons.forEach((c, i) => {
      const ours = wilsonInterval(c.count, c.nobs, c.confidence);
      const [low, high] = reference.wilson[i] as [number, number];
      if (!close(ours.low, low, 1e-15) || !close(ours.high, high, 1e-15)) {
        mismatches.push(`case ${i} ${JSON.stringify(c)}: [${ours.low}, ${ours.high}] vs [${low}, ${high}]`);
      }
    });
    expect(mismatches).toEqual([]);
  });

  it('holm equals multipletests(method="holm") on 205 p-value lists, ties included', () => {
    const mismatches: string[] = [];
    holms.forEach((ps, i) => {
      const ours = holm(ps);
      const theirs = reference.holm[i] as number[];
      if (ours.some((p, j) => p !== theirs[j])) mismatches.push(`case ${i} ${ps}: ${ours} vs ${theirs}`);
    });
    expect(mismatches).toEqual([]);
  });
});
