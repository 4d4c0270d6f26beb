import { z } from 'zod';
import type { MlflowHttp } from '../http.js';
import { chunkLogBatch, type LogBatchEntities, mlflowLimits, truncate } from '../limits.js';
import {
  type KeyValue,
  type MlflowDataset,
  type MlflowRunStatus,
  type Run,
  type RunInfo,
  runInfoSchema,
  runSchema,
} from '../wire.js';

export async function createRun(
  http: MlflowHttp,
  options: { experimentId: string; runName?: string; startTime: number; tags?: KeyValue[] },
): Promise<Run> {
  const out = await http.call({
    method: 'POST',
    path: '/api/2.0/mlflow/runs/create',
    json: {
      experiment_id: options.experimentId,
      ...(options.runName !== undefined ? { run_name: options.runName } : {}),
      start_time: options.startTime,
      tags: (options.tags ?? []).map((tag) => ({
        key: tag.key,
        value: truncate(tag.value, mlflowLimits.tagValue),
      })),
    },
    idempotent: false,
    schema: z.looseObject({ run: runSchema }),
  });
  return out.run;
}

export async function getRun(http: MlflowHttp, runId: string): Promise<Run> {
  const out = await http.call({
    method: 'GET',
    path: '/api/2.0/mlflow/runs/get',
    query: { run_id: runId },
    idempotent: true,
    schema: z.looseObject({ run: runSchema }),
  });
  return out.run;
}

export async function searchRuns(
  http: MlflowHttp,
  options: { experimentIds: readonly string[]; filter?: string; maxResults?: number; pageToken?: string },
): Promise<{ runs: Run[]; nextPageToken: string | undefined }> {
  const out = await http.call({
    method: 'POST',
    path: '/api/2.0/mlflow/runs/search',
    json: {
      experiment_ids: options.experimentIds,
      ...(options.filter !== undefined ? { filter: options.filter } : {}),
      max_results: options.maxResults ?? 100,
      ...(options.pageToken !== undefined ? { page_token: options.pageToken } : {}),
    },
    idempotent: true,
    schema: z.looseObject({ runs: z.array(runSchema).optional(), next_page_token: z.string().optional() }),
  });
  return { runs: out.runs ?? [], nextPageToken: out.next_page_token || undefined };
}

/**
 * log-batch, split into requests within the server's limits; long param and tag values are cut to
 * the limits, duplicate param keys keep the first value (params cannot be overwritten). Metrics
 * append, so a batch with metrics is only retried when it provably was not processed.
 */
export async function logBatch(
  http: MlflowHttp,
  options: { runId: string } & Partial<LogBatchEntities>,
): Promise<void> {
  const seen = new Set<string>();
  const params: LogBatchEntities['params'] = [];
  for (const param of options.params ?? []) {
    const key = truncate(param.key, mlflowLimits.keyLength);
    if (seen.has(key)) continue;
    seen.add(key);
    params.push({ key, value: truncate(param.value, mlflowLimits.paramValue) });
  }
  const tags = (options.tags ?? []).map((tag) => ({
    key: truncate(tag.key, mlflowLimits.keyLength),
    value: truncate(tag.value, mlflowLimits.tagValue),
  }));
  const metrics = options.metrics ?? [];
  for (const part of chunkLogBatch({ metrics, params, tags })) {
    await http.call({
      method: 'POST',
      path: '/api/2.0/mlflow/runs/log-batch',
      json: { run_id: options.runId, ...part },
      idempotent: part.metrics.length === 0,
    });
  }
}

export async function updateRun(
  http: MlflowHttp,
  options: { runId: string; status: MlflowRunStatus; endTime?: number; runName?: string },
): Promise<RunInfo> {
  const out = await http.call({
    method: 'POST',
    path: '/api/2.0/mlflow/runs/update',
    json: {
      run_id: options.runId,
      status: options.status,
      ...(options.endTime !== undefined ? { end_time: options.endTime } : {}),
      ...(options.runName !== undefined ? { run_name: options.runName } : {}),
    },
    idempotent: true,
    schema: z.looseObject({ run_info: runInfoSchema }),
  });
  return out.run_info;
}

export async function setTag(http: MlflowHttp, runId: string, key: string, value: string): Promise<void> {
  await http.call({
    method: 'POST',
    path: '/api/2.0/mlflow/runs/set-tag',
    json: { run_id: runId, key, value: truncate(value, mlflowLimits.tagValue) },
    idempotent: true,
  });
}

/** log-inputs; the server de-duplicates a dataset on (name, digest), so a repeat is harmless. */
export async function logInputs(
  http: MlflowHttp,
  options: {
    runId: string;
    datasets: Array<{ dataset: MlflowDataset; tags?: KeyValue[] }>;
    models?: Array<{ model_id: string }>;
  },
): Promise<void> {
  await http.call({
    method: 'POST',
    path: '/api/2.0/mlflow/runs/log-inputs',
    json: {
      run_id: options.runId,
      datasets: options.datasets.map((input) => ({ tags: input.tags ?? [], dataset: input.dataset })),
      ...(options.models !== undefined ? { models: options.models } : {}),
    },
    idempotent: true,
  });
}
