/**
 * The `comparison.json` that `judgeflow compare` writes (schema `judgeflow.comparison/1`), as the
 * report reads it. A copy of the compare module's types until the two branches merge; then the report
 * imports them from src/app/compare/types.ts and this file goes.
 */

/** One side of a comparison: an MLflow run or a local results folder. */
export interface ComparisonSide {
  /** What the report calls this side (the run name, model name or folder name). */
  label: string;
  source: 'mlflow' | 'folder';
  run_id?: string;
  experiment_id?: string;
  run_name?: string;
  /** The results folder, for a `folder` side. */
  path?: string;
  /** The LoggedModel id of the model under test, when the run has one. */
  model_id?: string;
  dataset: { name?: string; digest?: string; rows: number };
}

/** One metric (feedback name) compared over the paired rows. */
export interface MetricComparison {
  /** The feedback name, e.g. `exact_match`. */
  name: string;
  kind: 'pass_fail' | 'numeric';
  higher_is_better: boolean;
  /** Pairs with a value on both sides. */
  n: number;
  /** Side A's mean over its values; a Wilson interval of the pass rate for a pass/fail metric. */
  a: { mean: number; n: number; pass_rate_ci?: [number, number] };
  b: { mean: number; n: number; pass_rate_ci?: [number, number] };
  /** mean(b) − mean(a) over the n pairs. */
  diff: number;
  /** Paired bootstrap interval of `diff` at the comparison's confidence. */
  diff_ci: [number, number];
  test: { name: 'mcnemar_exact' | 'mcnemar_chi2' | 'wilcoxon'; statistic: number; p_value: number };
  /** Holm-adjusted over all metrics compared. */
  p_adjusted: number;
  effect_size: { name: 'cohens_dz'; value: number | null };
  /** B better / B worse / equal, respecting `higher_is_better`. */
  wins: number;
  losses: number;
  ties: number;
  /** `p_adjusted < alpha`, and the direction. */
  verdict: 'better' | 'worse' | 'no_significant_difference';
}

/** A row where B scored worse than A on a metric. */
export interface RowRegression {
  row_id: string;
  metric: string;
  inputs: unknown;
  expectations?: unknown;
  a: { outputs: unknown; value: unknown; rationale?: string };
  b: { outputs: unknown; value: unknown; rationale?: string };
}

/** The pairwise judge's verdicts over the paired rows (`compare --pairwise`). */
export interface PairwiseSummary {
  judge: string;
  pairs: number;
  a_wins: number;
  b_wins: number;
  ties: number;
  /** Pairs whose verdict flipped with the order of the two responses (counted as ties). */
  inconsistent: number;
  position_consistency: number;
  b_win_rate: number;
  b_win_rate_ci: [number, number];
  sign_test_p_value: number;
  rows: Array<{
    row_id: string;
    verdict: 'A' | 'B' | 'tie';
    /** The verdict with A shown first, and with B shown first. */
    ab: 'A' | 'B' | 'tie' | 'error';
    ba: 'A' | 'B' | 'tie' | 'error';
    consistent: boolean;
    rationale_ab?: string;
    rationale_ba?: string;
  }>;
}

/** One paired row with both sides' outputs and feedback values, for the report's row table. */
export interface ComparisonRow {
  row_id: string;
  inputs: unknown;
  a: { outputs: unknown; values: Record<string, unknown> };
  b: { outputs: unknown; values: Record<string, unknown> };
}

/** What `judgeflow compare` writes to comparison.json (and logs to MLflow). */
export interface Comparison {
  schema: 'judgeflow.comparison/1';
  created_at: string;
  a: ComparisonSide;
  b: ComparisonSide;
  alpha: number;
  confidence: number;
  seed: number;
  resamples: number;
  paired_rows: number;
  only_in_a: number;
  only_in_b: number;
  /** `--allow-different-datasets` was given and the digests differ. */
  dataset_override: boolean;
  warnings: string[];
  metrics: MetricComparison[];
  regressions: RowRegression[];
  pairwise?: PairwiseSummary;
  /** Every paired row. */
  rows: ComparisonRow[];
  mlflow?: { comparison_run_id: string; experiment_id: string; url?: string };
}
