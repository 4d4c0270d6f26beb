import { ConfigError } from '../../core/errors.js';
import type { RecordInput } from '../../core/record.js';
import type { RowsDatasetSource } from '../../datasets/dataset-source.js';
import type { MlflowClient } from './client.js';
import type { DatasetRecord, EvaluationDataset } from './wire.js';

/** A record as MLflow's evaluation-dataset API takes it (no judgeflow `id`: MLflow keys records by inputs). */
export function toMlflowRecord(record: RecordInput): Record<string, unknown> {
  const out: Record<string, unknown> = { inputs: record.inputs };
  if (record.outputs !== undefined) out.outputs = record.outputs;
  if (record.expectations !== undefined && Object.keys(record.expectations).length > 0)
    out.expectations = record.expectations;
  if (record.tags !== undefined && Object.keys(record.tags).length > 0) out.tags = record.tags;
  return out;
}

/** A record MLflow returned, as a row a user would write in JSONL (server bookkeeping stripped). */
export function fromMlflowRecord(record: DatasetRecord): RecordInput {
  const out: RecordInput = { inputs: record.inputs };
  // MLflow 3.17 stores a record inserted without outputs as `outputs: {}` (the store's default), so an
  // empty object means "no recorded outputs": the row then goes to the model under test.
  if (record.outputs !== undefined && record.outputs !== null && !isEmptyObject(record.outputs))
    out.outputs = record.outputs;
  if (
    record.expectations !== undefined &&
    record.expectations !== null &&
    Object.keys(record.expectations).length > 0
  ) {
    out.expectations = record.expectations;
  }
  if (record.tags !== undefined && record.tags !== null && Object.keys(record.tags).length > 0) {
    out.tags = Object.fromEntries(
      Object.entries(record.tags).map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)]),
    );
  }
  return out;
}

/** The dataset named `name`, or a ConfigError saying how to create it. */
export async function requireDataset(client: MlflowClient, name: string): Promise<EvaluationDataset> {
  const dataset = await client.findDatasetByName(name);
  if (dataset === undefined) {
    throw new ConfigError(
      `MLflow evaluation dataset "${name}" does not exist at ${client.trackingUri}; create it with \`judgeflow datasets push <file> --name ${name}\``,
      { field: 'dataset.mlflow' },
    );
  }
  return dataset;
}

/**
 * The rows of an MLflow evaluation dataset as a dataset source (`dataset: {mlflow: name}`): records
 * are paged from the server on each pass (the dataset module reads twice: scan, then run) and the
 * run's input references the managed dataset (`mlflow_evaluation_dataset`, `{dataset_id}`).
 */
export async function mlflowDatasetSource(options: {
  client: MlflowClient;
  name: string;
  pageSize?: number;
}): Promise<RowsDatasetSource> {
  const dataset = await requireDataset(options.client, options.name);
  const { client } = options;
  return {
    kind: 'rows',
    name: dataset.name,
    source: `mlflow:${dataset.name}`,
    rows: async function* () {
      for await (const record of client.allDatasetRecords(dataset.dataset_id, {
        ...(options.pageSize !== undefined ? { pageSize: options.pageSize } : {}),
      })) {
        yield fromMlflowRecord(record);
      }
    },
    origin: { sourceType: 'mlflow_evaluation_dataset', source: { dataset_id: dataset.dataset_id } },
  };
}

/**
 * Creates the dataset (or reuses the one with that name) and upserts the records; MLflow merges a
 * record whose inputs already exist, so pushing the same file twice changes nothing.
 */
export async function pushDataset(options: {
  client: MlflowClient;
  name: string;
  records: AsyncIterable<RecordInput> | Iterable<RecordInput>;
  experimentIds?: readonly string[];
  batchSize?: number;
}): Promise<{
  dataset: EvaluationDataset;
  created: boolean;
  inserted: number;
  updated: number;
  records: number;
}> {
  let dataset = await options.client.findDatasetByName(options.name);
  const created = dataset === undefined;
  dataset ??= await options.client.createDataset({
    name: options.name,
    ...(options.experimentIds !== undefined ? { experimentIds: options.experimentIds } : {}),
    tags: { 'judgeflow.source': 'judgeflow datasets push' },
  });
  const batchSize = options.batchSize ?? 500;
  let batch: Record<string, unknown>[] = [];
  let inserted = 0;
  let updated = 0;
  let records = 0;
  const flush = async () => {
    if (batch.length === 0) return;
    const out = await options.client.upsertDatasetRecords((dataset as EvaluationDataset).dataset_id, batch, {
      batchSize,
    });
    inserted += out.inserted;
    updated += out.updated;
    batch = [];
  };
  for await (const record of options.records) {
    batch.push(toMlflowRecord(record));
    records++;
    if (batch.length >= batchSize) await flush();
  }
  await flush();
  return { dataset, created, inserted, updated, records };
}

function isEmptyObject(value: unknown): boolean {
  return (
    typeof value === 'object' && value !== null && !Array.isArray(value) && Object.keys(value).length === 0
  );
}
