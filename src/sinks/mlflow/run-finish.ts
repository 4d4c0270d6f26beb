import { existsSync } from 'node:fs';
import path from 'node:path';
import type { RunStartInfo } from '../../core/events.js';
import type { RunSummary } from '../../core/result.js';
import type { ColspecSchemaBuilder } from './dataset-schema.js';
import { mlflowLimits, truncate } from './limits.js';
import { pythonJsonDumps } from './python-json.js';
import { RESULTS_TABLE_ARTIFACT } from './results-table.js';
import type { SpoolState } from './spool.js';

/** The MLflow UI page of an evaluation run (3.17's experiment "Evaluation runs" tab). */
export function mlflowRunUrl(trackingUri: string, experimentId: string, runId: string): string {
  return `${trackingUri.replace(/\/+$/, '')}/#/experiments/${experimentId}/evaluation-runs?selectedRunUuid=${runId}`;
}

/**
 * Token and cost totals as run metrics (`usage/...`), only for runs that called a model or a judge:
 * a run on recorded outputs with code scorers logs exactly the metrics Python's evaluate would.
 */
export function usageMetrics(summary: RunSummary): Record<string, number> {
  const { model, judge, cost_usd: cost } = summary.usage;
  if (model.calls === 0 && judge.calls === 0) return {};
  return {
    'usage/model_input_tokens': model.input_tokens,
    'usage/model_output_tokens': model.output_tokens,
    'usage/model_calls': model.calls,
    'usage/model_retries': model.retries,
    'usage/model_cost_usd': model.cost_usd,
    'usage/judge_input_tokens': judge.input_tokens,
    'usage/judge_output_tokens': judge.output_tokens,
    'usage/judge_calls': judge.calls,
    'usage/judge_retries': judge.retries,
    'usage/judge_cost_usd': judge.cost_usd,
    'usage/total_tokens': model.total_tokens + judge.total_tokens,
    'usage/cost_usd': cost,
  };
}

/**
 * What the end of the run writes (kept in the spool state until it is delivered): the metrics, the
 * dataset as a run input, the artifacts (eval file, results.jsonl, the results table, summary.json)
 * and the final status.
 */
export function runFinishState(options: {
  info: RunStartInfo;
  summary: RunSummary;
  summaryText: string;
  schema: ColspecSchemaBuilder | undefined;
  now: number;
  /** The results table was written to the output folder. */
  table: boolean;
  /** More tables in the output folder (`mlflow.log_table` layout), uploaded when they exist. */
  tables?: readonly string[];
}): NonNullable<SpoolState['finish']> {
  const { info, summary } = options;
  const metrics = Object.entries({ ...summary.metrics, ...usageMetrics(summary) })
    .filter(([, value]) => Number.isFinite(value))
    .map(([key, value]) => ({ key, value, timestamp: options.now, step: 0 }));
  const dataset = info.dataset;
  const schema = options.schema?.schemaJson();
  return {
    status: summary.status,
    end_time: options.now,
    metrics,
    dataset: {
      name: truncate(dataset.name, mlflowLimits.datasetName),
      digest: dataset.digest.slice(0, mlflowLimits.datasetDigest),
      source_type: dataset.sourceType,
      source: truncate(pythonJsonDumps(dataset.source), mlflowLimits.datasetSource),
      ...(schema !== undefined ? { schema } : {}),
      profile: options.schema?.profileJson(dataset.rows) ?? pythonJsonDumps({ num_rows: dataset.rows }),
    },
    artifacts: [
      ...(info.evalFile !== undefined
        ? [{ path: path.basename(info.evalFile.path), text: info.evalFile.text }]
        : []),
      ...(existsSync(path.join(info.outDir, 'results.jsonl'))
        ? [{ path: 'results.jsonl', file: 'results.jsonl' }]
        : []),
      ...(options.table ? [{ path: RESULTS_TABLE_ARTIFACT, file: RESULTS_TABLE_ARTIFACT, table: true }] : []),
      ...(options.tables ?? []).map((table) => ({ path: table, file: table, table: true })),
      { path: 'summary.json', text: options.summaryText },
    ],
  };
}
