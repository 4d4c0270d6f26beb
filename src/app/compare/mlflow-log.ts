import type { MlflowClient } from '../../sinks/mlflow/client.js';
import { loggedArtifactsTag } from '../../sinks/mlflow/results-table.js';
import type { KeyValue } from '../../sinks/mlflow/wire.js';
import type { Comparison, RowRegression } from './types.js';

/** The experiment of a comparison run when neither `--experiment` nor B's run names one. */
export const DEFAULT_COMPARE_EXPERIMENT = 'judgeflow-compare';
/** The comparison run's artifacts: the whole comparison, and the regressions as an MLflow table. */
export const COMPARISON_ARTIFACT = 'comparison.json';
export const REGRESSIONS_TABLE_ARTIFACT = 'comparison_regressions.json';

const REGRESSION_COLUMNS = [
  'row_id',
  'metric',
  'inputs',
  'expectations',
  'a_outputs',
  'b_outputs',
  'a_value',
  'b_value',
  'a_rationale',
  'b_rationale',
] as const;

export interface ComparisonRunOptions {
  /** Experiment name; default the experiment of B's run (of A's when B has none), else judgeflow-compare. */
  experiment?: string;
  /** Runs on this tracking server that the sides were logged to (linked by tag; left untouched). */
  linkedRunIds: { a?: string; b?: string };
  /** The experiment id of B's (else A's) run on this server, when there is one. */
  sideExperimentId?: string;
}

/**
 * Logs a comparison as its own MLflow run: tags `judgeflow.kind=comparison` and
 * `judgeflow.compare.{a,b}_run_id` linking the compared runs (which are not modified), a description
 * naming both, the settings as params, `<metric>/{diff,diff_ci_low,diff_ci_high,p_value,p_holm,a_mean,b_mean}`
 * per metric (and the pairwise rates), comparison.json and the regressions table as artifacts.
 * Returns where the run is; the run is marked FAILED when a write fails.
 */
export async function logComparisonRun(
  client: MlflowClient,
  comparison: Comparison,
  options: ComparisonRunOptions,
): Promise<NonNullable<Comparison['mlflow']>> {
  const experimentId =
    options.experiment === undefined && options.sideExperimentId !== undefined
      ? options.sideExperimentId
      : (await client.getOrCreateExperiment(options.experiment ?? DEFAULT_COMPARE_EXPERIMENT)).experiment
          .experiment_id;
  const { a, b } = comparison;
  const tags: KeyValue[] = [
    { key: 'judgeflow.kind', value: 'comparison' },
    { key: 'judgeflow.compare.a', value: a.label },
    { key: 'judgeflow.compare.b', value: b.label },
    { key: 'mlflow.note.content', value: description(comparison, options.linkedRunIds) },
    { key: 'mlflow.loggedArtifacts', value: loggedArtifactsTag([REGRESSIONS_TABLE_ARTIFACT]) },
  ];
  if (options.linkedRunIds.a !== undefined)
    tags.push({ key: 'judgeflow.compare.a_run_id', value: options.linkedRunIds.a });
  if (options.linkedRunIds.b !== undefined)
    tags.push({ key: 'judgeflow.compare.b_run_id', value: options.linkedRunIds.b });
  const run = await client.createRun({
    experimentId,
    runName: `compare ${a.label} vs ${b.label}`,
    startTime: Date.now(),
    tags,
  });
  const runId = run.info.run_id;
  const url = `${client.trackingUri.replace(/\/+$/, '')}/#/experiments/${experimentId}/runs/${runId}`;
  const where = { comparison_run_id: runId, experiment_id: experimentId, url };
  try {
    await client.logBatch({
      runId,
      params: comparisonParams(comparison),
      metrics: Object.entries(comparisonMetrics(comparison)).map(([key, value]) => ({
        key,
        value,
        timestamp: Date.now(),
        step: 0,
      })),
    });
    const artifactUri = run.info.artifact_uri;
    if (artifactUri === undefined) throw new Error(`MLflow gave run ${runId} no artifact location`);
    await client.uploadArtifact({
      artifactUri,
      path: COMPARISON_ARTIFACT,
      body: `${JSON.stringify({ ...comparison, mlflow: where }, null, 2)}\n`,
      contentType: 'application/json',
    });
    await client.uploadArtifact({
      artifactUri,
      path: REGRESSIONS_TABLE_ARTIFACT,
      body: regressionsTable(comparison.regressions),
      contentType: 'application/json',
    });
    await client.updateRun({ runId, status: 'FINISHED', endTime: Date.now() });
  } catch (error) {
    await client.updateRun({ runId, status: 'FAILED', endTime: Date.now() }).catch(() => undefined);
    throw error;
  }
  return where;
}

/** The run's description (shown on its page): what was compared with what, and the verdicts. */
function description(comparison: Comparison, linked: ComparisonRunOptions['linkedRunIds']): string {
  const side = (name: 'A' | 'B', s: Comparison['a'], runId: string | undefined) =>
    `- ${name}: **${s.run_name ?? s.label}**${runId !== undefined ? ` (run \`${runId}\`)` : s.path !== undefined ? ` (${s.path})` : ''}`;
  const verdicts = comparison.metrics.map(
    (m) =>
      `- ${m.name}: ${m.verdict.replaceAll('_', ' ')} (B − A ${m.diff.toFixed(4)}, Holm p ${m.p_adjusted.toPrecision(3)})`,
  );
  return [
    `judgeflow comparison of B against A over ${comparison.paired_rows} paired rows.`,
    '',
    side('A', comparison.a, linked.a),
    side('B', comparison.b, linked.b),
    '',
    ...verdicts,
    ...comparison.warnings.map((w) => `- warning: ${w}`),
  ].join('\n');
}

export function comparisonParams(comparison: Comparison): KeyValue[] {
  const sideText = (s: Comparison['a']) => s.run_id ?? s.path ?? s.label;
  return [
    { key: 'seed', value: String(comparison.seed) },
    { key: 'resamples', value: String(comparison.resamples) },
    { key: 'alpha', value: String(comparison.alpha) },
    { key: 'confidence', value: String(comparison.confidence) },
    { key: 'a', value: sideText(comparison.a) },
    { key: 'b', value: sideText(comparison.b) },
    { key: 'metrics', value: comparison.metrics.map((m) => m.name).join(',') },
    { key: 'dataset_override', value: String(comparison.dataset_override) },
  ];
}

/** The run metrics; values that are not finite numbers are left out (MLflow has no NaN over JSON). */
export function comparisonMetrics(comparison: Comparison): Record<string, number> {
  const out: Record<string, number> = {};
  for (const m of comparison.metrics) {
    out[`${m.name}/diff`] = m.diff;
    out[`${m.name}/diff_ci_low`] = m.diff_ci[0];
    out[`${m.name}/diff_ci_high`] = m.diff_ci[1];
    out[`${m.name}/p_value`] = m.test.p_value;
    out[`${m.name}/p_holm`] = m.p_adjusted;
    out[`${m.name}/a_mean`] = m.a.mean;
    out[`${m.name}/b_mean`] = m.b.mean;
  }
  if (comparison.pairwise !== undefined) {
    out['pairwise/b_win_rate'] = comparison.pairwise.b_win_rate;
    out['pairwise/position_consistency'] = comparison.pairwise.position_consistency;
  }
  for (const [key, value] of Object.entries(out)) if (!Number.isFinite(value)) delete out[key];
  return out;
}

/** The regressions in `mlflow.log_table`'s layout (pandas `orient="split"`), one row per regression. */
export function regressionsTable(regressions: readonly RowRegression[]): string {
  const data = regressions.map((r) => [
    r.row_id,
    r.metric,
    r.inputs ?? null,
    r.expectations ?? null,
    r.a.outputs ?? null,
    r.b.outputs ?? null,
    r.a.value ?? null,
    r.b.value ?? null,
    r.a.rationale ?? null,
    r.b.rationale ?? null,
  ]);
  return `${JSON.stringify({ columns: REGRESSION_COLUMNS, data })}\n`;
}
