import { describe, expect, it } from 'vitest';
import { formatComparison, formatRegressions, metricTable } from '../../src/app/compare/format.js';
import type { Comparison, MetricComparison } from '../../src/app/compare/types.js';

const toxicity: MetricComparison = {
  name: 'toxicity',
  kind: 'pass_fail',
  higher_is_better: false,
  n: 40,
  a: { mean: 0.1, n: 40, pass_rate_ci: [0.04, 0.23] },
  b: { mean: 0.025, n: 40, pass_rate_ci: [0.004, 0.13] },
  diff: -0.075,
  diff_ci: [-0.15, 0],
  test: { name: 'mcnemar_exact', statistic: 0, p_value: 0.25 },
  p_adjusted: 0.5,
  effect_size: { name: 'cohens_dz', value: -0.27 },
  wins: 3,
  losses: 0,
  ties: 37,
  verdict: 'no_significant_difference',
  dropped: { a_errors: 1, b_errors: 2 },
};

const quality: MetricComparison = {
  ...toxicity,
  name: 'quality',
  kind: 'numeric',
  higher_is_better: true,
  a: { mean: 3.2, n: 40 },
  b: { mean: 4.1, n: 40 },
  diff: 0.9,
  diff_ci: [0.55, 1.25],
  test: { name: 'wilcoxon', statistic: 12, p_value: 0.00001234 },
  p_adjusted: 0.00002468,
  effect_size: { name: 'cohens_dz', value: null },
  wins: 30,
  losses: 2,
  ties: 8,
  verdict: 'better',
  dropped: { a_errors: 0, b_errors: 0 },
};

describe('compare: terminal formatting', () => {
  it('aligns the metric table, marks lower-is-better metrics, prints small p-values in exponent form', () => {
    expect(metricTable([toxicity, quality]).split('\n')).toEqual([
      'metric       n      A      B  diff (B-A) [CI]          test                p  p_holm  effect  W/L/T   verdict',
      '──────────  ──  ─────  ─────  ───────────────────────  ─────────────  ──────  ──────  ──────  ──────  ────────────',
      'toxicity ↓  40  0.100  0.025  -0.075 [-0.150, +0.000]  mcnemar exact  0.2500  0.5000   -0.27  3/0/37  no sig. diff',
      'quality     40  3.200  4.100  +0.900 [+0.550, +1.250]  wilcoxon       1.2e-5  2.5e-5       -  30/2/8  better',
    ]);
  });

  it('shows warnings, pairs left out, the legend, pairwise figures and an empty regression list', () => {
    const comparison: Comparison = {
      schema: 'judgeflow.comparison/1',
      created_at: '2026-01-01T00:00:00.000Z',
      a: {
        label: 'base',
        source: 'mlflow',
        run_id: 'a'.repeat(32),
        dataset: { name: 'qa', digest: '0123456789abcdef', rows: 41 },
      },
      b: {
        label: 'cand',
        source: 'folder',
        path: '/runs/cand',
        dataset: { name: 'qa', digest: '0123456789abcdef', rows: 40 },
      },
      alpha: 0.05,
      confidence: 0.95,
      seed: 0,
      resamples: 10000,
      paired_rows: 40,
      only_in_a: 1,
      only_in_b: 0,
      dataset_override: false,
      warnings: ['1 row(s) only in A and 0 only in B are left out; 40 rows are paired by id'],
      metrics: [toxicity, quality],
      regressions: [],
      rows: [],
      pairwise: {
        judge: 'local:/gemma',
        pairs: 40,
        a_wins: 5,
        b_wins: 20,
        ties: 15,
        inconsistent: 10,
        position_consistency: 0.75,
        b_win_rate: 0.6875,
        b_win_rate_ci: [0.53, 0.81],
        sign_test_p_value: 0.004,
        rows: [],
        errors: 0,
        first_position_rate: 0.5,
      },
    };
    const text = formatComparison(comparison);
    expect(text).toContain(`A: base — MLflow run ${'a'.repeat(32)}; dataset qa 0123456789ab, 41 rows`);
    expect(text).toContain('B: cand — /runs/cand; dataset qa 0123456789ab, 40 rows');
    expect(text).toContain('40 paired rows (only in A: 1, only in B: 0) · alpha 0.05 (Holm over 2 metrics)');
    expect(text).toContain('warning: 1 row(s) only in A');
    expect(text).toContain('(↓ = lower is better)');
    expect(text).toContain('toxicity: pairs without a value left out — A 1, B 2');
    expect(text).not.toContain('quality: pairs without');
    expect(text).toContain(
      'pairwise (local:/gemma): B wins 20, A wins 5, ties 15 of 40 · B win rate 0.688 [0.530, 0.810]',
    );
    expect(text).toContain('position consistency 0.750 (10 flipped with the order)');
    expect(text).toContain('no regressions: B is nowhere worse than A on a compared row');
  });

  it('cuts long outputs to one line and says how many regressions are not shown', () => {
    const long = 'word '.repeat(100);
    const text = formatRegressions(
      [1, 2, 3].map((i) => ({
        row_id: `r${i}`,
        metric: 'quality',
        inputs: { q: `question\n${i}` },
        a: { outputs: long, value: 5, rationale: 'good' },
        b: { outputs: { answer: 'x' }, value: 2 },
      })),
      { shown: 1, width: 60 },
    );
    const lines = text.split('\n');
    expect(lines[0]).toBe(
      'regressions (rows where B is worse than A): 3; the first 1 (--show-regressions N for more, --json for all)',
    );
    expect(lines[1]).toBe('  r1  quality: A 5.000 → B 2.000');
    expect(lines[2]).toBe('    inputs: {"q":"question\\n1"}');
    expect(lines[3]?.length).toBeLessThanOrEqual(4 + 3 + 53);
    expect(lines[3]).toMatch(/^ {4}A: word word .*…$/);
    expect(lines[4]).toBe('       good');
    expect(lines[5]).toBe('    B: {"answer":"x"}');
    expect(lines).toHaveLength(6);
    const none = formatRegressions(
      [
        {
          row_id: 'r',
          metric: 'm',
          inputs: {},
          a: { outputs: 1, value: true },
          b: { outputs: 2, value: false },
        },
      ],
      { shown: 0 },
    );
    expect(none).toBe(
      'regressions (rows where B is worse than A): 1 (--show-regressions N lists them, --json has all)',
    );
  });
});
