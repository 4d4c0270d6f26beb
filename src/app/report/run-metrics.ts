import { wilsonInterval as wilsonScoreInterval } from '../../stats/paired/index.js';
import type { ReportRow } from './read-input.js';

/** The normal quantile of a two-sided 95% interval. */
const Z95 = 1.959963984540054;

/** One metric (feedback name) of a run, aggregated for the report. */
export interface RunMetric {
  name: string;
  /** `pass_fail` when every value is a boolean or "yes"/"no"; its mean is then the pass rate. */
  kind: 'pass_fail' | 'numeric';
  /** Rows with a numeric value (booleans and yes/no count as 1/0). */
  n: number;
  /** Feedbacks that could not score their row. */
  errors: number;
  mean: number | null;
  /**
   * 95% interval of the mean: Wilson for a pass rate, mean ± 1.96·sd/√n for a numeric metric (n ≥ 2);
   * absent without values.
   */
  ci?: [number, number];
  ciMethod: 'wilson' | 'normal';
}

/** A row's standing on one metric, for the row table's filter. */
export type RowStatus = 'pass' | 'fail' | 'value' | 'error' | 'missing';

/**
 * MLflow's cast of a feedback value to a number, as the run's aggregation does it (src/runner/aggregate.ts):
 * numbers and booleans as they are, "yes"/"no" as 1/0, anything else is no number.
 */
export function valueAsNumber(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (typeof value === 'string') {
    const lowered = value.trim().toLowerCase();
    if (lowered === 'yes') return 1;
    if (lowered === 'no') return 0;
  }
  return undefined;
}

/** A boolean or "yes"/"no": a value of a pass/fail metric. */
export function isPassFailValue(value: unknown): boolean {
  if (typeof value === 'boolean') return true;
  return typeof value === 'string' && ['yes', 'no'].includes(value.trim().toLowerCase());
}

/**
 * The Wilson score interval of a pass rate (src/stats/paired, as statsmodels computes it); [0, 0]
 * without trials, where the report shows no interval.
 */
export function wilsonInterval(successes: number, n: number): [number, number] {
  if (n === 0) return [0, 0];
  const { low, high } = wilsonScoreInterval(successes, n);
  return [low, high];
}

/** The metrics of a run's rows, in order of first appearance. */
export function runMetrics(rows: readonly ReportRow[]): RunMetric[] {
  const byName = new Map<string, { values: number[]; errors: number; passFail: boolean }>();
  for (const row of rows) {
    for (const feedback of row.feedbacks) {
      let entry = byName.get(feedback.name);
      if (entry === undefined) {
        entry = { values: [], errors: 0, passFail: true };
        byName.set(feedback.name, entry);
      }
      if (feedback.error !== undefined) {
        entry.errors += 1;
        continue;
      }
      const number = valueAsNumber(feedback.value);
      if (number === undefined) continue;
      entry.values.push(number);
      if (!isPassFailValue(feedback.value)) entry.passFail = false;
    }
  }
  return [...byName].map(([name, { values, errors, passFail }]) => {
    const kind = passFail && values.length > 0 ? 'pass_fail' : 'numeric';
    const n = values.length;
    const metric: RunMetric = {
      name,
      kind,
      n,
      errors,
      mean: n > 0 ? values.reduce((sum, x) => sum + x, 0) / n : null,
      ciMethod: kind === 'pass_fail' ? 'wilson' : 'normal',
    };
    if (metric.mean !== null) {
      if (kind === 'pass_fail') {
        metric.ci = wilsonInterval(
          values.reduce((sum, x) => sum + x, 0),
          n,
        );
      } else if (n >= 2) {
        const mean = metric.mean;
        const variance = values.reduce((sum, x) => sum + (x - mean) ** 2, 0) / (n - 1);
        const half = (Z95 * Math.sqrt(variance)) / Math.sqrt(n);
        metric.ci = [mean - half, mean + half];
      }
    }
    return metric;
  });
}

/** A row's standing on a metric: pass/fail for a pass/fail value, `value` for any other score. */
export function rowStatus(row: ReportRow, metric: string): RowStatus {
  const feedback = row.feedbacks.find((f) => f.name === metric);
  if (feedback === undefined) return 'missing';
  if (feedback.error !== undefined) return 'error';
  if (isPassFailValue(feedback.value)) return valueAsNumber(feedback.value) === 1 ? 'pass' : 'fail';
  return 'value';
}
