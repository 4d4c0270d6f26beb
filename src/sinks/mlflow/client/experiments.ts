import { z } from 'zod';
import { MlflowError } from '../../../core/errors.js';
import type { MlflowHttp } from '../http.js';
import { type Experiment, experimentSchema, type KeyValue } from '../wire.js';
import { unlessNotFound } from './not-found.js';

export async function getExperimentByName(http: MlflowHttp, name: string): Promise<Experiment | undefined> {
  return unlessNotFound(async () => {
    const out = await http.call({
      method: 'GET',
      path: '/api/2.0/mlflow/experiments/get-by-name',
      query: { experiment_name: name },
      idempotent: true,
      schema: z.looseObject({ experiment: experimentSchema }),
    });
    return out.experiment;
  });
}

export async function getExperiment(http: MlflowHttp, experimentId: string): Promise<Experiment> {
  const out = await http.call({
    method: 'GET',
    path: '/api/2.0/mlflow/experiments/get',
    query: { experiment_id: experimentId },
    idempotent: true,
    schema: z.looseObject({ experiment: experimentSchema }),
  });
  return out.experiment;
}

export async function createExperiment(
  http: MlflowHttp,
  options: { name: string; artifactLocation?: string; tags?: KeyValue[] },
): Promise<string> {
  const out = await http.call({
    method: 'POST',
    path: '/api/2.0/mlflow/experiments/create',
    json: {
      name: options.name,
      ...(options.artifactLocation !== undefined ? { artifact_location: options.artifactLocation } : {}),
      tags: options.tags ?? [],
    },
    // A lost answer is recovered by get-by-name (the race path of getOrCreateExperiment), so one attempt is enough.
    idempotent: false,
    schema: z.looseObject({ experiment_id: z.string() }),
  });
  return out.experiment_id;
}

export async function restoreExperiment(http: MlflowHttp, experimentId: string): Promise<void> {
  await http.call({
    method: 'POST',
    path: '/api/2.0/mlflow/experiments/restore',
    json: { experiment_id: experimentId },
    idempotent: true,
  });
}

export async function setExperimentTag(
  http: MlflowHttp,
  experimentId: string,
  key: string,
  value: string,
): Promise<void> {
  await http.call({
    method: 'POST',
    path: '/api/2.0/mlflow/experiments/set-experiment-tag',
    json: { experiment_id: experimentId, key, value },
    idempotent: true,
  });
}

/**
 * What Python's `set_experiment` does: find by name (restoring a deleted one), else create it with
 * `tags`. A concurrent creator (RESOURCE_ALREADY_EXISTS) or a lost create answer is resolved by
 * reading the experiment again by name.
 */
export async function getOrCreateExperiment(
  http: MlflowHttp,
  name: string,
  options: { tags?: KeyValue[] } = {},
): Promise<{ experiment: Experiment; created: boolean; restored: boolean }> {
  const existing = await getExperimentByName(http, name);
  if (existing !== undefined) {
    if (existing.lifecycle_stage === 'deleted') {
      await restoreExperiment(http, existing.experiment_id);
      return { experiment: { ...existing, lifecycle_stage: 'active' }, created: false, restored: true };
    }
    return { experiment: existing, created: false, restored: false };
  }
  try {
    const id = await createExperiment(http, {
      name,
      ...(options.tags !== undefined ? { tags: options.tags } : {}),
    });
    return { experiment: await getExperiment(http, id), created: true, restored: false };
  } catch (error) {
    const raced =
      error instanceof MlflowError && (error.errorCode === 'RESOURCE_ALREADY_EXISTS' || error.retryable);
    if (!raced) throw error;
    const again = await getExperimentByName(http, name);
    if (again === undefined) throw error;
    return { experiment: again, created: false, restored: false };
  }
}
