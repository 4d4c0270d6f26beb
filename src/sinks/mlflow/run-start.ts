import { randomUUID } from 'node:crypto';
import os from 'node:os';
import type { RunStartInfo } from '../../core/events.js';
import { isSecretKey, REDACTED } from '../../core/redact.js';
import type { SchemaColumn } from './dataset-schema.js';
import { mlflowLimits, truncate } from './limits.js';
import { pythonJsonDumps } from './python-json.js';
import type { SpoolState } from './spool.js';
import { formatTracePolicy, type TracePolicy } from './trace-policy.js';

/** What the caller may set about the run beyond what `RunStartInfo` says. */
export interface RunIdentityOptions {
  /** Experiment name; default `RunStartInfo.experiment`. */
  experiment?: string;
  /** Run name; default `RunStartInfo.runName` (empty: the server picks one). */
  runName?: string;
  /** `mlflow.user`; default the OS user. */
  user?: string;
  /** `mlflow.source.name`; default the eval file's path, else `judgeflow`. */
  sourceName?: string;
  /** `mlflow.source.type`; default `LOCAL`. */
  sourceType?: string;
  /** Extra run tags (e.g. the prompt version used: `judgeflow.prompt`). */
  tags?: Record<string, string>;
  /**
   * The model under test, recorded as an MLflow LoggedModel (created, or reused by name and config
   * hash); absent for a run on recorded outputs.
   */
  loggedModel?: { name: string; config: Record<string, unknown> };
}

/**
 * The run to create, as the spool keeps it: the tags `mlflow.genai.evaluate()` sets on an evaluation
 * run (plus `judgeflow.runKey`, a random id that finds the run again if its create answer is lost),
 * the params (a key naming a secret never carries its value), the dataset input, the writing process.
 */
export function runStartState(
  info: RunStartInfo,
  options: RunIdentityOptions,
  context: { trackingUri: string; traces: TracePolicy },
): SpoolState {
  const user = options.user ?? safeUser();
  const sourceName = options.sourceName ?? info.evalFile?.path ?? 'judgeflow';
  const sourceType = options.sourceType ?? 'LOCAL';
  const runName = options.runName ?? info.runName;
  const runKey = randomUUID();
  const tags: Array<{ key: string; value: string }> = [
    { key: 'mlflow.user', value: user },
    { key: 'mlflow.source.name', value: sourceName },
    { key: 'mlflow.source.type', value: sourceType },
    { key: 'mlflow.runType', value: 'genai_evaluate' },
    { key: 'mlflow.run.isEval', value: 'true' },
    { key: 'judgeflow.runKey', value: runKey },
    ...(context.traces.mode !== 'all'
      ? [{ key: 'judgeflow.traces', value: formatTracePolicy(context.traces) }]
      : []),
    ...Object.entries(options.tags ?? {}).map(([key, value]) => ({ key, value })),
  ];
  return {
    version: 1,
    tracking_uri: context.trackingUri,
    run_key: runKey,
    experiment_name: options.experiment ?? info.experiment,
    start: {
      ...(runName !== '' ? { run_name: runName } : {}),
      start_time: info.startedAt.getTime(),
      tags,
      params: Object.entries(info.params).map(([key, value]) => ({
        key,
        // a param whose key names a secret is never logged, whatever the caller redacted already
        value: isSecretKey(key.split('.').pop() ?? key) ? REDACTED : value,
      })),
      experiment_tags: [{ key: 'mlflow.experimentKind', value: 'genai_development' }],
      ...(options.loggedModel !== undefined ? { logged_model: options.loggedModel } : {}),
      dataset: {
        name: truncate(info.dataset.name, mlflowLimits.datasetName),
        digest: info.dataset.digest.slice(0, mlflowLimits.datasetDigest),
        source_type: info.dataset.sourceType,
        source: truncate(pythonJsonDumps(info.dataset.source), mlflowLimits.datasetSource),
        columns: datasetColumns(info.dataset.schema),
      },
    },
    context: { user, source_name: sourceName, source_type: sourceType },
    writer: { pid: process.pid, host: os.hostname() },
    traces: formatTracePolicy(context.traces),
  };
}

/** The dataset's columns in Python's DataFrame order; `outputs` only when the dataset records outputs. */
export function datasetColumns(schema: Record<string, unknown>): SchemaColumn[] {
  const hasKeys = (value: unknown) => Array.isArray(value) && value.length > 0;
  const columns: SchemaColumn[] = ['inputs'];
  if (schema.outputs !== undefined) columns.push('outputs');
  if (hasKeys(schema.expectations)) columns.push('expectations');
  if (hasKeys(schema.tags)) columns.push('tags');
  return columns;
}

function safeUser(): string {
  try {
    return os.userInfo().username;
  } catch {
    return 'unknown';
  }
}
