import type { PairwiseSummary } from '../pairwise/types.js';

/**
 * The comparison of two evaluation runs as `comparison.json` holds it (`schema:
 * 'judgeflow.comparison/1'`). `judgeflow compare` writes it, logs it to MLflow and prints it with
 * `--json`; `judgeflow report` renders it. Differences are always B − A.
 */

/** One side of a comparison: an MLflow run or a local results folder. */
export interface ComparisonSide {
  /** How the side is shown: the run name (else the run id) or the folder's name. */
  label: string;
  source: 'mlflow' | 'folder';
  /** The MLflow run: the run compared, or the run a results folder was logged to. */
  run_id?: string;
  experiment_id?: string;
  run_name?: string;
  /** The results folder (absolute path), for a folder side. */
  path?: string;
  /** The LoggedModel of the model under test, when the run links one. */
  model_id?: string;
  dataset: { name?: string; digest?: string; rows: number };
}

/** The paired analysis of one feedback name. */
export interface MetricComparison {
  /** The feedback name, e.g. "exact_match". */
  name: string;
  kind: 'pass_fail' | 'numeric';
  higher_is_better: boolean;
  /** Pairs with a value on both sides. */
  n: number;
  /** Mean over the n pairs (the pass rate for pass_fail); Wilson interval of the pass rate for pass_fail. */
  a: { mean: number; n: number; pass_rate_ci?: [number, number] };
  b: { mean: number; n: number; pass_rate_ci?: [number, number] };
  /** mean(b) − mean(a) over the n pairs. */
  diff: number;
  /** Paired percentile bootstrap interval of diff at the comparison's confidence. */
  diff_ci: [number, number];
  test: { name: 'mcnemar_exact' | 'mcnemar_chi2' | 'wilcoxon'; statistic: number; p_value: number };
  /** Holm-adjusted p-value over all metrics compared. */
  p_adjusted: number;
  /** Cohen's d_z of the paired differences; null when undefined (no variation). */
  effect_size: { name: 'cohens_dz'; value: number | null };
  /** B better / B worse / equal, respecting higher_is_better. */
  wins: number;
  losses: number;
  ties: number;
  /** p_adjusted < alpha and the direction of the difference. */
  verdict: 'better' | 'worse' | 'no_significant_difference';
  /** Pairs left out because a side's feedback had no value (an error), per side. */
  dropped?: { a_errors: number; b_errors: number };
}

/** A row where B is worse than A on one metric. */
export interface RowRegression {
  row_id: string;
  metric: string;
  inputs: unknown;
  expectations?: unknown;
  a: { outputs: unknown; value: unknown; rationale?: string };
  b: { outputs: unknown; value: unknown; rationale?: string };
}

/**
 * Pairwise judging of A's and B's outputs (`compare --pairwise`): the summary `judgePairs` returns
 * (src/app/pairwise), as comparison.json holds it.
 */
export type { PairwiseSummary } from '../pairwise/types.js';

/** Every paired row, for the report's table. */
export interface ComparisonRow {
  row_id: string;
  inputs: unknown;
  a: { outputs: unknown; values: Record<string, unknown> };
  b: { outputs: unknown; values: Record<string, unknown> };
}

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
  /** True when the datasets differ and `--allow-different-datasets` let the comparison go on. */
  dataset_override: boolean;
  warnings: string[];
  metrics: MetricComparison[];
  regressions: RowRegression[];
  pairwise?: PairwiseSummary;
  rows: ComparisonRow[];
  /** The comparison run in MLflow, when logged. */
  mlflow?: { comparison_run_id: string; experiment_id: string; url?: string };
}

/** The schema tag of comparison.json. */
export const COMPARISON_SCHEMA = 'judgeflow.comparison/1';
