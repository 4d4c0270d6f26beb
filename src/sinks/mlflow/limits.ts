/**
 * MLflow's size limits (`mlflow/utils/validation.py`) and the helpers that keep judgeflow's writes
 * inside them: a write the server would reject for size is shortened here instead of failing a run.
 */
export const mlflowLimits = {
  /** log-batch: metrics per request. */
  batchMetrics: 1000,
  /** log-batch: params + tags per request. */
  batchParamsAndTags: 100,
  /** log-batch: entities per request. */
  batchTotal: 1000,
  /** log-batch: request body bytes (we stay well under the server's 1 MB). */
  batchBytes: 900_000,
  keyLength: 250,
  paramValue: 6000,
  tagValue: 8000,
  /** link-to-run: trace ids per request. */
  traceLinks: 100,
  /** Trace request/response previews (the OSS client's cut). */
  preview: 1000,
  /** `mlflow.traceInputs` / `mlflow.traceOutputs` metadata. */
  traceMetadataIo: 250,
  /** Trace tag and metadata values. */
  traceTagValue: 8000,
  /** Assessment stack traces (the server cuts them too). */
  stackTrace: 10_000,
  datasetName: 500,
  datasetDigest: 36,
  datasetSource: 65_535,
} as const;

/**
 * Cuts `text` to at most `max` UTF-16 units, ending in `...` when it was cut, and never splitting a
 * surrogate pair (a half pair would be invalid UTF-8 on the wire).
 */
export function truncate(text: string, max: number): string {
  if (text.length <= max) return text;
  const suffix = '...';
  let end = Math.max(0, max - suffix.length);
  const code = text.charCodeAt(end - 1);
  if (end > 0 && code >= 0xd800 && code <= 0xdbff) end--;
  return `${text.slice(0, end)}${suffix}`;
}

export interface LogBatchEntities {
  /** `model_id`, `dataset_name`, `dataset_digest`: the metric also belongs to that LoggedModel (on that dataset). */
  metrics: Array<{
    key: string;
    value: number;
    timestamp: number;
    step: number;
    model_id?: string;
    dataset_name?: string;
    dataset_digest?: string;
  }>;
  params: Array<{ key: string; value: string }>;
  tags: Array<{ key: string; value: string }>;
}

/**
 * Splits one log-batch into requests that respect every per-request limit (entity counts and body
 * size). Order is kept, so a tag logged twice keeps its last value.
 */
export function chunkLogBatch(entities: LogBatchEntities): LogBatchEntities[] {
  const chunks: LogBatchEntities[] = [];
  let current: LogBatchEntities = { metrics: [], params: [], tags: [] };
  let bytes = 0;
  const flushIfFull = (kind: 'metrics' | 'params' | 'tags', size: number) => {
    const total = current.metrics.length + current.params.length + current.tags.length;
    const paramsTags = current.params.length + current.tags.length;
    const full =
      total + 1 > mlflowLimits.batchTotal ||
      (kind === 'metrics' && current.metrics.length + 1 > mlflowLimits.batchMetrics) ||
      (kind !== 'metrics' && paramsTags + 1 > mlflowLimits.batchParamsAndTags) ||
      bytes + size > mlflowLimits.batchBytes;
    if (full && total > 0) {
      chunks.push(current);
      current = { metrics: [], params: [], tags: [] };
      bytes = 0;
    }
    bytes += size;
  };
  for (const param of entities.params) {
    flushIfFull('params', JSON.stringify(param).length + 1);
    current.params.push(param);
  }
  for (const tag of entities.tags) {
    flushIfFull('tags', JSON.stringify(tag).length + 1);
    current.tags.push(tag);
  }
  for (const metric of entities.metrics) {
    flushIfFull('metrics', JSON.stringify(metric).length + 1);
    current.metrics.push(metric);
  }
  if (current.metrics.length + current.params.length + current.tags.length > 0) chunks.push(current);
  return chunks;
}

/** Splits a list into chunks of at most `size`. */
export function chunk<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
