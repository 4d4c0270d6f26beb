import { z } from 'zod';
import type { MlflowHttp } from '../http.js';
import { mlflowLimits, truncate } from '../limits.js';
import { type KeyValue, type LoggedModel, type LoggedModelStatus, loggedModelSchema } from '../wire.js';
import { unlessNotFound } from './not-found.js';

/**
 * MLflow 3's LoggedModel REST calls (`service.proto`: `/api/2.0/mlflow/logged-models...`), the
 * calls Python's `RestStore.create_logged_model` / `search_logged_models` / `get_logged_model` /
 * `finalize_logged_model` / `log_logged_model_params` / `set_logged_model_tags` make.
 */

const modelAnswer = z.looseObject({ model: loggedModelSchema });

/** Python sends at most 100 params with the create and the rest in later batches of 100. */
const PARAMS_PER_REQUEST = 100;

export async function createLoggedModel(
  http: MlflowHttp,
  options: {
    experimentId: string;
    name: string;
    modelType?: string;
    sourceRunId?: string;
    tags?: KeyValue[];
    params?: KeyValue[];
  },
): Promise<LoggedModel> {
  const params = (options.params ?? []).map(cutParam);
  const out = await http.call({
    method: 'POST',
    path: '/api/2.0/mlflow/logged-models',
    json: {
      experiment_id: options.experimentId,
      name: options.name,
      ...(options.modelType !== undefined ? { model_type: options.modelType } : {}),
      ...(options.sourceRunId !== undefined ? { source_run_id: options.sourceRunId } : {}),
      params: params.slice(0, PARAMS_PER_REQUEST),
      tags: (options.tags ?? []).map((tag) => ({
        key: tag.key,
        value: truncate(tag.value, mlflowLimits.tagValue),
      })),
    },
    // A lost answer is recovered by searching for the model by name and config hash.
    idempotent: false,
    schema: modelAnswer,
  });
  if (params.length > PARAMS_PER_REQUEST) {
    await logLoggedModelParams(http, out.model.info.model_id, params.slice(PARAMS_PER_REQUEST));
    return getLoggedModel(http, out.model.info.model_id) as Promise<LoggedModel>;
  }
  return out.model;
}

/** The model, or undefined when the server does not know the id (or it was deleted). */
export async function getLoggedModel(http: MlflowHttp, modelId: string): Promise<LoggedModel | undefined> {
  return unlessNotFound(async () => {
    const out = await http.call({
      method: 'GET',
      path: `/api/2.0/mlflow/logged-models/${encodeURIComponent(modelId)}`,
      idempotent: true,
      schema: modelAnswer,
    });
    return out.model;
  });
}

/** One page of `logged-models/search` (newest first unless `orderBy` says otherwise). */
export async function searchLoggedModels(
  http: MlflowHttp,
  options: {
    experimentIds: readonly string[];
    filter?: string;
    maxResults?: number;
    orderBy?: Array<{ field_name: string; ascending?: boolean }>;
    pageToken?: string;
  },
): Promise<{ models: LoggedModel[]; nextPageToken: string | undefined }> {
  const out = await http.call({
    method: 'POST',
    path: '/api/2.0/mlflow/logged-models/search',
    json: {
      experiment_ids: options.experimentIds,
      ...(options.filter !== undefined ? { filter: options.filter } : {}),
      max_results: options.maxResults ?? 50,
      order_by: options.orderBy ?? [{ field_name: 'creation_timestamp', ascending: false }],
      ...(options.pageToken !== undefined ? { page_token: options.pageToken } : {}),
    },
    idempotent: true,
    schema: z.looseObject({
      models: z.array(loggedModelSchema).optional(),
      next_page_token: z.string().optional(),
    }),
  });
  return { models: out.models ?? [], nextPageToken: out.next_page_token || undefined };
}

/** Sets the model's final status (`LOGGED_MODEL_READY` once nothing more is uploaded). */
export async function finalizeLoggedModel(
  http: MlflowHttp,
  modelId: string,
  status: LoggedModelStatus,
): Promise<LoggedModel> {
  const out = await http.call({
    method: 'PATCH',
    path: `/api/2.0/mlflow/logged-models/${encodeURIComponent(modelId)}`,
    json: { model_id: modelId, status },
    idempotent: true,
    schema: modelAnswer,
  });
  return out.model;
}

/** Params in batches of 100, as Python logs them; a repeated value is accepted by the server. */
export async function logLoggedModelParams(
  http: MlflowHttp,
  modelId: string,
  params: readonly KeyValue[],
): Promise<void> {
  const cut = params.map(cutParam);
  for (let i = 0; i < cut.length; i += PARAMS_PER_REQUEST) {
    await http.call({
      method: 'POST',
      path: `/api/2.0/mlflow/logged-models/${encodeURIComponent(modelId)}/params`,
      json: { model_id: modelId, params: cut.slice(i, i + PARAMS_PER_REQUEST) },
      idempotent: true,
    });
  }
}

export async function setLoggedModelTags(
  http: MlflowHttp,
  modelId: string,
  tags: readonly KeyValue[],
): Promise<void> {
  await http.call({
    method: 'PATCH',
    path: `/api/2.0/mlflow/logged-models/${encodeURIComponent(modelId)}/tags`,
    json: {
      model_id: modelId,
      tags: tags.map((tag) => ({ key: tag.key, value: truncate(tag.value, mlflowLimits.tagValue) })),
    },
    idempotent: true,
  });
}

function cutParam(param: KeyValue): KeyValue {
  return {
    key: truncate(param.key, mlflowLimits.keyLength),
    value: truncate(param.value, mlflowLimits.paramValue),
  };
}
