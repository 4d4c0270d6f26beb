/**
 * The comparison the report renders is `judgeflow compare`'s (src/app/compare/types.ts); the report
 * reads it back from comparison.json through the zod schema in read-input.ts.
 */
export type {
  Comparison,
  ComparisonRow,
  ComparisonSide,
  MetricComparison,
  PairwiseSummary,
  RowRegression,
} from '../compare/types.js';
