export { analyzeMetrics } from './analyze.js';
export {
  COMPARE_DEFAULTS,
  type CompareOptions,
  compareRuns,
  defaultCompareOutDir,
  writeComparison,
} from './compare-runs.js';
export { DEFAULT_SHOWN_REGRESSIONS, formatComparison } from './format.js';
export { LOWER_IS_BETTER, type MetricKind } from './metric-kinds.js';
export { COMPARISON_ARTIFACT, DEFAULT_COMPARE_EXPERIMENT, REGRESSIONS_TABLE_ARTIFACT } from './mlflow-log.js';
export type {
  Comparison,
  ComparisonRow,
  ComparisonSide,
  MetricComparison,
  PairwiseSummary,
  RowRegression,
} from './types.js';
