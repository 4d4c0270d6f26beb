export type {
  Comparison,
  ComparisonRow,
  ComparisonSide,
  MetricComparison,
  PairwiseSummary,
  RowRegression,
} from './comparison-types.js';
export { escapeHtml, jsonForScript } from './escape.js';
export { logReportArtifact } from './mlflow-artifact.js';
export { parseComparison, readReportInput } from './read-input.js';
export { REPORT_FILE, renderReport, type WriteReportOptions, writeReport } from './write-report.js';
