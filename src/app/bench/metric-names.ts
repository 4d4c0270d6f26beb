/**
 * lm-eval names a task's results `<metric>,<filter>` (`acc,none`, `acc_stderr,none`,
 * `exact_match,strict-match`). MLflow metric keys hold no commas, so judgeflow names them
 * `<task>/<metric>` — the filter `none` (lm-eval's default) dropped, any other appended as
 * `<task>/<metric>/<filter>` — and the per-sample assessments of the same (metric, filter) alike.
 */

/** Characters MLflow allows in metric and assessment keys; anything else becomes `_`. */
const UNSAFE = /[^A-Za-z0-9_\-. :/]/g;

/** The judgeflow name of one (task, metric, filter). */
export function benchMetricName(task: string, metric: string, filter: string): string {
  const parts = filter === 'none' || filter === '' ? [task, metric] : [task, metric, filter];
  return parts.map((part) => part.replace(UNSAFE, '_')).join('/');
}

/** `acc,none` → `{metric: 'acc', filter: 'none'}`; keys without a comma (`alias`, `sample_len`) → undefined. */
export function splitResultKey(key: string): { metric: string; filter: string } | undefined {
  const comma = key.indexOf(',');
  if (comma <= 0) return undefined;
  return { metric: key.slice(0, comma), filter: key.slice(comma + 1) };
}

export interface TaskMetric {
  /** `<task>/<metric>` or `<task>/<metric>_stderr` (with `/<filter>` unless the filter is `none`). */
  name: string;
  task: string;
  metric: string;
  filter: string;
  value: number;
  stderr: boolean;
}

/**
 * The numeric metrics of lm-eval's `results` section (tasks and groups), named for MLflow. A stderr
 * of `"N/A"` (no bootstrap, or an aggregation without one) and any other non-number is skipped.
 */
export function taskMetrics(
  results: Readonly<Record<string, Readonly<Record<string, unknown>>>>,
): TaskMetric[] {
  const out: TaskMetric[] = [];
  for (const [task, entries] of Object.entries(results)) {
    for (const [key, value] of Object.entries(entries)) {
      const split = splitResultKey(key);
      if (split === undefined) continue;
      if (typeof value !== 'number' || !Number.isFinite(value)) continue;
      const stderr = split.metric.endsWith('_stderr');
      out.push({
        name: benchMetricName(task, split.metric, split.filter),
        task,
        metric: stderr ? split.metric.slice(0, -'_stderr'.length) : split.metric,
        filter: split.filter,
        value,
        stderr,
      });
    }
  }
  return out;
}
