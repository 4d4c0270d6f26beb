import type { MlflowClient } from '../../sinks/mlflow/client.js';
import { calibrate } from './compute.js';
import { humanLabelsForRun, inputFromLines, readLabelsFile, readPairwise } from './from-file.js';
import { calibrationInputFromTraces, findRun, runTraces } from './from-mlflow.js';
import { logCalibrationRun } from './mlflow-log.js';
import type { CalibrateSettings, CalibrationInput, CalibrationReport } from './types.js';

export interface CalibrateOptions {
  /** The evaluated run whose traces carry the judges' verdicts (and, unless `labels`, the human labels). */
  runId?: string;
  /** Human labels from a file (JSONL/CSV) instead of — in addition to — the traces' HUMAN assessments. */
  labels?: string;
  /** A labelled dataset holding both the human labels and the judges' verdicts; no run needed. */
  dataset?: string;
  /** A comparison.json with pairwise rows: position consistency. */
  pairwise?: string;
  settings: CalibrateSettings;
  /** Read from (and, with `log`, write to) this server. */
  client?: MlflowClient;
  /** Log the calibration as an MLflow run. */
  log: boolean;
  /** Experiment of the calibration run when there is no evaluated run (default judgeflow-calibration). */
  experiment?: string;
}

/**
 * Reads the verdicts and labels (a run's traces, a labels file, a labelled dataset), checks every
 * label line before anything is computed, calibrates, and logs the result as a calibration run.
 */
export async function runCalibrate(options: CalibrateOptions): Promise<CalibrationReport> {
  let input: CalibrationInput;
  let experimentId: string | undefined;
  if (options.dataset !== undefined) {
    input = inputFromLines(await readLabelsFile(options.dataset));
  } else {
    if (options.runId === undefined || options.client === undefined)
      throw new Error('runCalibrate: a run needs an MLflow client');
    experimentId = (await findRun(options.client, options.runId)).experimentId;
    const traces = await runTraces(options.client, options.runId);
    input = calibrationInputFromTraces(traces);
    if (options.labels !== undefined) {
      const lines = await readLabelsFile(options.labels);
      input.humans.push(...humanLabelsForRun(options.labels, lines, traces));
    }
  }
  if (options.pairwise !== undefined) input.pairwise = await readPairwise(options.pairwise);
  const report: CalibrationReport = {
    ...calibrate(input, options.settings),
    run_id: options.runId ?? null,
    source: options.dataset !== undefined ? 'dataset' : 'mlflow',
  };
  if (options.log && options.client !== undefined) {
    report.mlflow = await logCalibrationRun(options.client, report, {
      ...(experimentId !== undefined ? { experimentId } : {}),
      ...(options.experiment !== undefined ? { experiment: options.experiment } : {}),
    });
  }
  return report;
}
