import { ConfigError } from '../../core/errors.js';
import type { MlflowClient } from '../../sinks/mlflow/client.js';
import { traceIdFor } from '../../sinks/mlflow/trace-ids.js';
import type { Assessment, TraceInfo } from '../../sinks/mlflow/wire.js';
import { inferScale, type Scale } from './scale.js';

/** The traces of one MLflow run, addressable by trace id and by judgeflow row id. */
export interface RunTraces {
  runId: string;
  experimentId: string;
  /** Every trace of the run, by trace id (`tr-…`), with its assessments. */
  traces: ReadonlyMap<string, TraceInfo>;
  /** Row id → trace id, from each trace's `mlflow.eval.requestId` tag. */
  rowIds: ReadonlyMap<string, string>;
}

/** Tag judgeflow (like `mlflow.genai.evaluate`) puts on each row's trace: the row's id. */
const ROW_ID_TAG = 'mlflow.eval.requestId';

/** Reads a run's traces (with their assessments) from MLflow. An unknown run id is a ConfigError. */
export async function loadRunTraces(client: MlflowClient, runId: string): Promise<RunTraces> {
  const run = await client.getRun(runId).catch((error: unknown) => {
    throw new ConfigError(`MLflow run ${runId}: no such run on ${client.trackingUri}`, { cause: error });
  });
  const experimentId = run.info.experiment_id;
  const traces = new Map<string, TraceInfo>();
  const rowIds = new Map<string, string>();
  for await (const info of client.searchAllTraces({
    experimentIds: [experimentId],
    filter: `attributes.run_id = '${runId}'`,
    maxResults: 100,
  })) {
    traces.set(info.trace_id, info);
    const rowId = info.tags?.[ROW_ID_TAG];
    if (rowId !== undefined) rowIds.set(rowId, info.trace_id);
  }
  return { runId, experimentId, traces, rowIds };
}

/**
 * The trace a row id names in a run: the trace tagged with it, else the id judgeflow derives from
 * (run id, row id) when the run holds that trace.
 */
export function traceForRow(run: RunTraces, rowId: string): string | undefined {
  const tagged = run.rowIds.get(rowId);
  if (tagged !== undefined) return tagged;
  const derived = `tr-${traceIdFor(run.runId, rowId)}`;
  return run.traces.has(derived) ? derived : undefined;
}

/** Whether an assessment is feedback from a judge or code scorer (not a person). */
export function isAutomatedFeedback(assessment: Assessment): boolean {
  return assessment.feedback !== undefined && assessment.source.source_type !== 'HUMAN';
}

/**
 * The criteria of a run: every feedback name its judges and code scorers wrote, with the scale their
 * values imply (undefined when every one was an error).
 */
export function runCriteria(run: RunTraces): Map<string, Scale | undefined> {
  const values = new Map<string, unknown[]>();
  for (const info of run.traces.values()) {
    for (const assessment of info.assessments ?? []) {
      if (!isAutomatedFeedback(assessment)) continue;
      const list = values.get(assessment.assessment_name) ?? [];
      if (assessment.feedback?.error === undefined) list.push(assessment.feedback?.value);
      values.set(assessment.assessment_name, list);
    }
  }
  return new Map([...values].map(([name, list]) => [name, inferScale(list)]));
}
