import type { MlflowClient } from '../../sinks/mlflow/client.js';
import { chunkLogBatch } from '../../sinks/mlflow/limits.js';
import { loggedArtifactsTag } from '../../sinks/mlflow/results-table.js';
import type { KeyValue } from '../../sinks/mlflow/wire.js';
import type { CalibrationReport, JudgeCalibration } from './types.js';

export const CALIBRATION_ARTIFACT = 'calibration.json';
export const CALIBRATION_TABLE_ARTIFACT = 'calibration_table.json';
/** The tag on the calibration run naming the evaluated run, and on the evaluated run naming the latest calibration. */
export const CALIBRATED_RUN_TAG = 'judgeflow.calibrate.run_id';
export const LATEST_CALIBRATION_TAG = 'judgeflow.calibration.latest_run_id';
export const DEFAULT_CALIBRATE_EXPERIMENT = 'judgeflow-calibration';

const TABLE_COLUMNS = [
  'name',
  'judge',
  'source_type',
  'prompt_name',
  'prompt_version',
  'n',
  'no_majority',
  'accuracy',
  'cohen_kappa',
  'kappa_weights',
  'spearman_rho',
  'spearman_p_value',
  'reviewers',
  'human_percent_agreement',
  'human_cohen_kappa',
  'human_fleiss_kappa',
  'human_krippendorff_alpha',
  'self_agreement',
  'self_unanimous',
  'overridden',
  'confusion_labels',
  'confusion_matrix',
  'per_reviewer',
] as const;

/**
 * Logs a calibration as its own MLflow run, in the evaluated run's experiment (else `experiment`):
 * tag `judgeflow.kind=calibration` and `judgeflow.calibrate.run_id=<evaluated run>`; the evaluated run
 * gets one mutable tag, `judgeflow.calibration.latest_run_id`, and is otherwise left as it is (its
 * metrics stay the evaluation's; labels keep arriving, so each calibration is a run of its own and
 * they can be compared over time). Metrics `calibration/<name>[/v<prompt version>]/<statistic>`, the
 * report as calibration.json and the per-judge rows as an `mlflow.log_table` table.
 */
export async function logCalibrationRun(
  client: MlflowClient,
  report: CalibrationReport,
  options: { experimentId?: string; experiment?: string },
): Promise<NonNullable<CalibrationReport['mlflow']>> {
  const experimentId =
    options.experimentId ??
    (await client.getOrCreateExperiment(options.experiment ?? DEFAULT_CALIBRATE_EXPERIMENT)).experiment
      .experiment_id;
  const tags: KeyValue[] = [
    { key: 'judgeflow.kind', value: 'calibration' },
    { key: 'mlflow.loggedArtifacts', value: loggedArtifactsTag([CALIBRATION_TABLE_ARTIFACT]) },
    { key: 'mlflow.note.content', value: description(report) },
  ];
  if (report.run_id !== null) tags.push({ key: CALIBRATED_RUN_TAG, value: report.run_id });
  const run = await client.createRun({
    experimentId,
    runName: report.run_id !== null ? `calibrate ${report.run_id.slice(0, 8)}` : 'calibrate dataset',
    startTime: Date.now(),
    tags,
  });
  const runId = run.info.run_id;
  const url = `${client.trackingUri.replace(/\/+$/, '')}/#/experiments/${experimentId}/runs/${runId}`;
  const where = { calibration_run_id: runId, experiment_id: experimentId, url };
  try {
    const timestamp = Date.now();
    const metrics = Object.entries(calibrationMetrics(report)).map(([key, value]) => ({
      key,
      value,
      timestamp,
      step: 0,
    }));
    for (const chunk of chunkLogBatch({ metrics, params: [], tags: [] }))
      await client.logBatch({ runId, ...chunk });
    const artifactUri = run.info.artifact_uri;
    if (artifactUri === undefined) throw new Error(`MLflow gave run ${runId} no artifact location`);
    await client.uploadArtifact({
      artifactUri,
      path: CALIBRATION_ARTIFACT,
      body: `${JSON.stringify({ ...report, mlflow: where }, null, 2)}\n`,
      contentType: 'application/json',
    });
    await client.uploadArtifact({
      artifactUri,
      path: CALIBRATION_TABLE_ARTIFACT,
      body: calibrationTable(report),
      contentType: 'application/json',
    });
    if (report.run_id !== null) await client.setTag(report.run_id, LATEST_CALIBRATION_TAG, runId);
    await client.updateRun({ runId, status: 'FINISHED', endTime: Date.now() });
  } catch (error) {
    await client.updateRun({ runId, status: 'FAILED', endTime: Date.now() }).catch(() => undefined);
    throw error;
  }
  return where;
}

/** A metric-key segment: MLflow allows letters, digits, `_ - . / :` and spaces. */
function segment(text: string): string {
  return text.replace(/[^\w.\- :]/g, '_');
}

/** `calibration/<name>` or, for a judge whose assessments name their prompt version, `calibration/<name>/v<version>`. */
export function judgeMetricPrefix(judge: Pick<JudgeCalibration, 'name' | 'prompt_version'>): string {
  const base = `calibration/${segment(judge.name)}`;
  return judge.prompt_version !== null ? `${base}/v${segment(judge.prompt_version)}` : base;
}

/** The run metrics; undefined statistics are left out (MLflow has no NaN over JSON). */
export function calibrationMetrics(report: CalibrationReport): Record<string, number> {
  const out: Record<string, number | null> = {};
  for (const judge of report.judges) {
    const prefix = judgeMetricPrefix(judge);
    out[`${prefix}/n`] = judge.n;
    out[`${prefix}/accuracy`] = judge.accuracy;
    out[`${prefix}/cohen_kappa`] = judge.cohen_kappa;
    if (judge.spearman !== null) {
      out[`${prefix}/spearman_rho`] = judge.spearman.rho;
      out[`${prefix}/spearman_p_value`] = judge.spearman.p_value;
    }
    if (judge.self_agreement !== null) {
      out[`${prefix}/self_agreement`] = judge.self_agreement.mean_pairwise;
      out[`${prefix}/self_unanimous`] = judge.self_agreement.unanimous;
    }
    if (judge.overridden > 0) out[`${prefix}/overridden`] = judge.overridden;
  }
  for (const human of report.humans) {
    const prefix = `calibration/${segment(human.name)}/human`;
    out[`${prefix}/reviewers`] = human.reviewers.length;
    out[`${prefix}/percent_agreement`] = human.percent_agreement;
    out[`${prefix}/cohen_kappa`] = human.cohen_kappa;
    out[`${prefix}/fleiss_kappa`] = human.fleiss_kappa;
    out[`${prefix}/krippendorff_alpha`] = human.krippendorff_alpha;
  }
  if (report.position !== null) {
    out['calibration/pairwise/position_consistency'] = report.position.position_consistency;
    out['calibration/pairwise/first_position_rate'] = report.position.first_position_rate;
  }
  const metrics: Record<string, number> = {};
  for (const [key, value] of Object.entries(out))
    if (value !== null && Number.isFinite(value)) metrics[key] = value;
  return metrics;
}

/** One row per judge, in `mlflow.log_table`'s layout (pandas `orient="split"`), confusion matrices included. */
export function calibrationTable(report: CalibrationReport): string {
  const humans = new Map(report.humans.map((h) => [h.name, h]));
  const data = report.judges.map((j) => {
    const h = humans.get(j.name);
    return [
      j.name,
      j.judge,
      j.source_type,
      j.prompt_name,
      j.prompt_version,
      j.n,
      j.no_majority,
      j.accuracy,
      j.cohen_kappa,
      j.kappa_weights,
      j.spearman?.rho ?? null,
      j.spearman?.p_value ?? null,
      h?.reviewers ?? [],
      h?.percent_agreement ?? null,
      h?.cohen_kappa ?? null,
      h?.fleiss_kappa ?? null,
      h?.krippendorff_alpha ?? null,
      j.self_agreement?.mean_pairwise ?? null,
      j.self_agreement?.unanimous ?? null,
      j.overridden,
      j.confusion.labels,
      j.confusion.matrix,
      j.per_reviewer,
    ];
  });
  return `${JSON.stringify({ columns: TABLE_COLUMNS, data })}\n`;
}

function description(report: CalibrationReport): string {
  const fixed = (v: number | null) => (v === null ? 'undefined' : v.toFixed(3));
  return [
    report.run_id !== null
      ? `judgeflow calibration of run \`${report.run_id}\`: its judges against the human labels on its traces.`
      : 'judgeflow calibration of a labelled dataset.',
    '',
    ...report.judges.map(
      (j) =>
        `- ${j.name}${j.prompt_version !== null ? ` (prompt v${j.prompt_version})` : ''}: accuracy ${fixed(j.accuracy)}, Cohen's κ ${fixed(j.cohen_kappa)} over ${j.n} items`,
    ),
  ].join('\n');
}
