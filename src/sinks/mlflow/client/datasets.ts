import { z } from 'zod';
import { MlflowError } from '../../../core/errors.js';
import type { MlflowHttp } from '../http.js';
import { chunk } from '../limits.js';
import {
  type DatasetRecord,
  datasetRecordSchema,
  type EvaluationDataset,
  evaluationDatasetSchema,
} from '../wire.js';

export interface SearchDatasetsOptions {
  experimentIds?: readonly string[];
  filterString?: string;
  maxResults?: number;
  orderBy?: readonly string[];
  pageToken?: string;
}

export async function createDataset(
  http: MlflowHttp,
  options: { name: string; experimentIds?: readonly string[]; tags?: Record<string, string> },
): Promise<EvaluationDataset> {
  const out = await http.call({
    method: 'POST',
    path: '/api/3.0/mlflow/datasets/create',
    json: {
      name: options.name,
      experiment_ids: options.experimentIds ?? [],
      ...(options.tags !== undefined ? { tags: JSON.stringify(options.tags) } : {}),
    },
    idempotent: false,
    schema: z.looseObject({ dataset: evaluationDatasetSchema }),
  });
  return out.dataset;
}

export async function getDataset(http: MlflowHttp, datasetId: string): Promise<EvaluationDataset> {
  const out = await http.call({
    method: 'GET',
    path: `/api/3.0/mlflow/datasets/${encodeURIComponent(datasetId)}`,
    idempotent: true,
    schema: z.looseObject({ dataset: evaluationDatasetSchema }),
  });
  return out.dataset;
}

export async function searchDatasets(
  http: MlflowHttp,
  options: SearchDatasetsOptions = {},
): Promise<{ datasets: EvaluationDataset[]; nextPageToken: string | undefined }> {
  const out = await http.call({
    method: 'POST',
    path: '/api/3.0/mlflow/datasets/search',
    json: {
      ...(options.experimentIds !== undefined ? { experiment_ids: options.experimentIds } : {}),
      ...(options.filterString !== undefined ? { filter_string: options.filterString } : {}),
      max_results: options.maxResults ?? 100,
      ...(options.orderBy !== undefined ? { order_by: options.orderBy } : {}),
      ...(options.pageToken !== undefined ? { page_token: options.pageToken } : {}),
    },
    idempotent: true,
    schema: z.looseObject({
      datasets: z.array(evaluationDatasetSchema).optional(),
      next_page_token: z.string().optional(),
    }),
  });
  return { datasets: out.datasets ?? [], nextPageToken: out.next_page_token || undefined };
}

/** Every dataset (optionally filtered), page by page. */
export async function* searchAllDatasets(
  http: MlflowHttp,
  options: { experimentIds?: readonly string[]; filterString?: string } = {},
): AsyncGenerator<EvaluationDataset> {
  let pageToken: string | undefined;
  do {
    const page = await searchDatasets(http, {
      ...options,
      ...(pageToken !== undefined ? { pageToken } : {}),
    });
    yield* page.datasets;
    pageToken = page.nextPageToken;
  } while (pageToken !== undefined);
}

/** The newest dataset with exactly this name, if any. */
export async function findDatasetByName(
  http: MlflowHttp,
  name: string,
): Promise<EvaluationDataset | undefined> {
  let best: EvaluationDataset | undefined;
  for await (const dataset of searchAllDatasets(http, {
    filterString: `name = '${name.replaceAll("'", "\\'")}'`,
  })) {
    if (dataset.name !== name) continue;
    if (best === undefined || (dataset.last_update_time ?? 0) > (best.last_update_time ?? 0)) best = dataset;
  }
  return best;
}

/**
 * Upserts records (the server merges a record whose inputs already exist), in requests of at most
 * `batchSize` records. Idempotent: a repeat updates the same records.
 */
export async function upsertDatasetRecords(
  http: MlflowHttp,
  datasetId: string,
  records: readonly Record<string, unknown>[],
  options: { batchSize?: number } = {},
): Promise<{ inserted: number; updated: number }> {
  let inserted = 0;
  let updated = 0;
  for (const part of chunk(records, options.batchSize ?? 500)) {
    const out = await http.call({
      method: 'POST',
      path: `/api/3.0/mlflow/datasets/${encodeURIComponent(datasetId)}/records`,
      json: { records: JSON.stringify(part) },
      idempotent: true,
      schema: z.looseObject({
        inserted_count: z.number().optional(),
        updated_count: z.number().optional(),
      }),
    });
    inserted += out.inserted_count ?? 0;
    updated += out.updated_count ?? 0;
  }
  return { inserted, updated };
}

export async function listDatasetRecords(
  http: MlflowHttp,
  datasetId: string,
  options: { maxResults?: number; pageToken?: string } = {},
): Promise<{ records: DatasetRecord[]; nextPageToken: string | undefined }> {
  const out = await http.call({
    method: 'GET',
    path: `/api/3.0/mlflow/datasets/${encodeURIComponent(datasetId)}/records`,
    query: { max_results: options.maxResults ?? 1000, page_token: options.pageToken },
    idempotent: true,
    schema: z.looseObject({ records: z.string().optional(), next_page_token: z.string().optional() }),
  });
  const parsed = z.array(datasetRecordSchema).safeParse(JSON.parse(out.records ?? '[]'));
  if (!parsed.success) {
    throw new MlflowError({
      message: `MLflow returned dataset records in an unexpected shape: ${parsed.error.message.slice(0, 300)}`,
      endpoint: 'GET /api/3.0/mlflow/datasets/{id}/records',
      retryable: false,
      cause: parsed.error,
    });
  }
  return { records: parsed.data, nextPageToken: out.next_page_token || undefined };
}

/** Every record of a dataset, page by page (memory flat in the dataset size). */
export async function* allDatasetRecords(
  http: MlflowHttp,
  datasetId: string,
  options: { pageSize?: number } = {},
): AsyncGenerator<DatasetRecord> {
  let pageToken: string | undefined;
  do {
    const page = await listDatasetRecords(http, datasetId, {
      maxResults: options.pageSize ?? 1000,
      ...(pageToken !== undefined ? { pageToken } : {}),
    });
    yield* page.records;
    pageToken = page.nextPageToken;
  } while (pageToken !== undefined);
}
