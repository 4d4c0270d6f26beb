import type { Readable } from 'node:stream';
import { z } from 'zod';
import { MlflowError } from '../../core/errors.js';
import { MlflowHttp, type MlflowHttpOptions } from './http.js';
import { chunk, chunkLogBatch, type LogBatchEntities, mlflowLimits, truncate } from './limits.js';
import {
  type Assessment,
  assessmentSchema,
  type DatasetRecord,
  datasetRecordSchema,
  type EvaluationDataset,
  type Experiment,
  evaluationDatasetSchema,
  experimentSchema,
  type KeyValue,
  type MlflowDataset,
  type MlflowRunStatus,
  type ModelVersion,
  modelVersionSchema,
  type RegisteredModel,
  type Run,
  type RunInfo,
  registeredModelSchema,
  runInfoSchema,
  runSchema,
  type TraceInfo,
  traceInfoSchema,
  type WireSpan,
  wireSpanSchema,
} from './wire.js';

/** Where span data went: the tracking store (OTLP accepted) or nowhere yet (use the `traces.json` artifact). */
export type SpanIngest = 'otlp' | 'unsupported';

export interface SearchTracesOptions {
  experimentIds: readonly string[];
  filter?: string;
  maxResults?: number;
  orderBy?: readonly string[];
  pageToken?: string;
}

export interface PromptVersion {
  name: string;
  version: string;
  template: string;
  /** `text` or `chat` (a chat template is JSON text). */
  type: string;
  tags: Record<string, string>;
  aliases: string[];
}

/**
 * A typed client for MLflow's REST API (tracking, traces, assessments, evaluation datasets, prompt
 * registry). One instance per tracking server; it owns a bounded keep-alive pool — call `close()`.
 * Every failure is an `MlflowError`; reads and idempotent writes are retried, creates are not.
 */
export class MlflowClient {
  readonly http: MlflowHttp;

  constructor(options: MlflowHttpOptions) {
    this.http = new MlflowHttp(options);
  }

  get trackingUri(): string {
    return this.http.trackingUri;
  }

  close(): Promise<void> {
    return this.http.close();
  }

  // ---- server -------------------------------------------------------------------------------

  /** The server's version string (`GET /version`), e.g. `3.17.2`. */
  async version(signal?: AbortSignal): Promise<string> {
    const text = await this.http.call({
      method: 'GET',
      path: '/version',
      idempotent: true,
      text: true,
      signal,
    });
    return String(text).trim();
  }

  /** `GET /health` answered OK. */
  async health(signal?: AbortSignal): Promise<boolean> {
    try {
      await this.http.call({ method: 'GET', path: '/health', idempotent: true, text: true, signal });
      return true;
    } catch {
      return false;
    }
  }

  async serverInfo(): Promise<{ store_type?: string | undefined }> {
    return this.http.call({
      method: 'GET',
      path: '/api/3.0/mlflow/server-info',
      idempotent: true,
      schema: z.looseObject({ store_type: z.string().optional() }),
    });
  }

  // ---- experiments --------------------------------------------------------------------------

  async getExperimentByName(name: string): Promise<Experiment | undefined> {
    return unlessNotFound(async () => {
      const out = await this.http.call({
        method: 'GET',
        path: '/api/2.0/mlflow/experiments/get-by-name',
        query: { experiment_name: name },
        idempotent: true,
        schema: z.looseObject({ experiment: experimentSchema }),
      });
      return out.experiment;
    });
  }

  async getExperiment(experimentId: string): Promise<Experiment> {
    const out = await this.http.call({
      method: 'GET',
      path: '/api/2.0/mlflow/experiments/get',
      query: { experiment_id: experimentId },
      idempotent: true,
      schema: z.looseObject({ experiment: experimentSchema }),
    });
    return out.experiment;
  }

  async createExperiment(options: {
    name: string;
    artifactLocation?: string;
    tags?: KeyValue[];
  }): Promise<string> {
    const out = await this.http.call({
      method: 'POST',
      path: '/api/2.0/mlflow/experiments/create',
      json: {
        name: options.name,
        ...(options.artifactLocation !== undefined ? { artifact_location: options.artifactLocation } : {}),
        tags: options.tags ?? [],
      },
      // A lost answer is recovered by get-by-name (the race path below), so one attempt is enough.
      idempotent: false,
      schema: z.looseObject({ experiment_id: z.string() }),
    });
    return out.experiment_id;
  }

  async restoreExperiment(experimentId: string): Promise<void> {
    await this.http.call({
      method: 'POST',
      path: '/api/2.0/mlflow/experiments/restore',
      json: { experiment_id: experimentId },
      idempotent: true,
    });
  }

  async setExperimentTag(experimentId: string, key: string, value: string): Promise<void> {
    await this.http.call({
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
  async getOrCreateExperiment(
    name: string,
    options: { tags?: KeyValue[] } = {},
  ): Promise<{ experiment: Experiment; created: boolean; restored: boolean }> {
    const existing = await this.getExperimentByName(name);
    if (existing !== undefined) {
      if (existing.lifecycle_stage === 'deleted') {
        await this.restoreExperiment(existing.experiment_id);
        return { experiment: { ...existing, lifecycle_stage: 'active' }, created: false, restored: true };
      }
      return { experiment: existing, created: false, restored: false };
    }
    try {
      const id = await this.createExperiment({
        name,
        ...(options.tags !== undefined ? { tags: options.tags } : {}),
      });
      return { experiment: await this.getExperiment(id), created: true, restored: false };
    } catch (error) {
      const raced =
        error instanceof MlflowError && (error.errorCode === 'RESOURCE_ALREADY_EXISTS' || error.retryable);
      if (!raced) throw error;
      const again = await this.getExperimentByName(name);
      if (again === undefined) throw error;
      return { experiment: again, created: false, restored: false };
    }
  }

  // ---- runs ---------------------------------------------------------------------------------

  async createRun(options: {
    experimentId: string;
    runName?: string;
    startTime: number;
    tags?: KeyValue[];
  }): Promise<Run> {
    const out = await this.http.call({
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

  async getRun(runId: string): Promise<Run> {
    const out = await this.http.call({
      method: 'GET',
      path: '/api/2.0/mlflow/runs/get',
      query: { run_id: runId },
      idempotent: true,
      schema: z.looseObject({ run: runSchema }),
    });
    return out.run;
  }

  async searchRuns(options: {
    experimentIds: readonly string[];
    filter?: string;
    maxResults?: number;
    pageToken?: string;
  }): Promise<{ runs: Run[]; nextPageToken: string | undefined }> {
    const out = await this.http.call({
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
  async logBatch(options: { runId: string } & Partial<LogBatchEntities>): Promise<void> {
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
      await this.http.call({
        method: 'POST',
        path: '/api/2.0/mlflow/runs/log-batch',
        json: { run_id: options.runId, ...part },
        idempotent: part.metrics.length === 0,
      });
    }
  }

  async updateRun(options: {
    runId: string;
    status: MlflowRunStatus;
    endTime?: number;
    runName?: string;
  }): Promise<RunInfo> {
    const out = await this.http.call({
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

  async setTag(runId: string, key: string, value: string): Promise<void> {
    await this.http.call({
      method: 'POST',
      path: '/api/2.0/mlflow/runs/set-tag',
      json: { run_id: runId, key, value: truncate(value, mlflowLimits.tagValue) },
      idempotent: true,
    });
  }

  /** log-inputs; the server de-duplicates a dataset on (name, digest), so a repeat is harmless. */
  async logInputs(options: {
    runId: string;
    datasets: Array<{ dataset: MlflowDataset; tags?: KeyValue[] }>;
    models?: Array<{ model_id: string }>;
  }): Promise<void> {
    await this.http.call({
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

  // ---- artifacts (through the server's artifact proxy) -----------------------------------------

  /**
   * The proxy path for `<artifactUri>/<relativePath>`. Only `mlflow-artifacts:` URIs (the server's
   * default with `--serve-artifacts`) can be written over HTTP; anything else is an MlflowError.
   */
  artifactProxyPath(artifactUri: string, relativePath: string): string {
    const match = /^mlflow-artifacts:(?:\/\/[^/]*)?(\/.*)?$/.exec(artifactUri);
    if (match === null) {
      throw new MlflowError({
        message: `artifact location "${artifactUri}" is not served by the MLflow artifact proxy; start the server with --serve-artifacts (the default) and the default artifact root`,
        endpoint: 'PUT /api/2.0/mlflow-artifacts/artifacts',
        retryable: false,
      });
    }
    const base = (match[1] ?? '').replace(/^\/+|\/+$/g, '');
    const rel = relativePath.replace(/^\/+/, '');
    const joined = [base, rel].filter((part) => part !== '').join('/');
    return `/api/2.0/mlflow-artifacts/artifacts/${joined.split('/').map(encodeURIComponent).join('/')}`;
  }

  async uploadArtifact(options: {
    artifactUri: string;
    path: string;
    body: string | Uint8Array | (() => Readable);
    contentType?: string;
  }): Promise<void> {
    await this.http.call({
      method: 'PUT',
      path: this.artifactProxyPath(options.artifactUri, options.path),
      body: options.body,
      headers: { 'content-type': options.contentType ?? 'application/octet-stream' },
      idempotent: true,
    });
  }

  async downloadArtifact(options: { artifactUri: string; path: string }): Promise<string> {
    const text = await this.http.call({
      method: 'GET',
      path: this.artifactProxyPath(options.artifactUri, options.path),
      idempotent: true,
      text: true,
    });
    return String(text);
  }

  async listArtifacts(options: {
    artifactUri: string;
    path?: string;
  }): Promise<Array<{ path: string; is_dir?: boolean | undefined }>> {
    const full = this.artifactProxyPath(options.artifactUri, options.path ?? '');
    const dir = decodeURIComponent(full.slice('/api/2.0/mlflow-artifacts/artifacts/'.length));
    const out = await this.http.call({
      method: 'GET',
      path: '/api/2.0/mlflow-artifacts/artifacts',
      query: { path: dir },
      idempotent: true,
      schema: z.looseObject({
        files: z.array(z.looseObject({ path: z.string(), is_dir: z.boolean().optional() })).optional(),
      }),
    });
    return out.files ?? [];
  }

  // ---- traces ---------------------------------------------------------------------------------

  /**
   * Sends spans through the OTLP/HTTP endpoint (`/v1/traces`): a protobuf `ExportTraceServiceRequest`
   * (bytes, see otlp-protobuf.ts) or its JSON encoding (an object). The server upserts spans by
   * (trace id, span id), so a repeat is harmless. With `runId`, the server also links the request's
   * traces to that run (`x-mlflow-run-id`; at most 100 traces per request, `mlflowLimits.traceLinks`).
   * Returns `unsupported` when the server has no OTLP ingest (older server, file store, Flask-only
   * server), so the caller falls back to the `traces.json` artifact.
   */
  async logSpansOtlp(
    experimentId: string,
    request: Uint8Array | object,
    options: { runId?: string } = {},
  ): Promise<SpanIngest> {
    const headers: Record<string, string> = { 'x-mlflow-experiment-id': experimentId };
    if (options.runId !== undefined) headers['x-mlflow-run-id'] = options.runId;
    try {
      if (request instanceof Uint8Array) {
        headers['content-type'] = 'application/x-protobuf';
        await this.http.call({
          method: 'POST',
          path: '/v1/traces',
          body: request,
          headers,
          idempotent: true,
          text: true,
        });
      } else {
        await this.http.call({
          method: 'POST',
          path: '/v1/traces',
          json: request,
          headers,
          idempotent: true,
          text: true,
        });
      }
      return 'otlp';
    } catch (error) {
      if (
        error instanceof MlflowError &&
        (error.status === 404 || error.status === 405 || error.status === 501)
      ) {
        return 'unsupported';
      }
      throw error;
    }
  }

  /**
   * StartTraceV3. On 3.17.2 this keeps the client's trace id and, for an id that already exists,
   * merges (tags and metadata upserted, inline assessments merged by assessment id) — verified by
   * `test/integration/mlflow-client.test.ts`. With deterministic assessment ids it is idempotent.
   */
  async startTrace(traceInfo: TraceInfo): Promise<TraceInfo> {
    const out = await this.http.call({
      method: 'POST',
      path: '/api/3.0/mlflow/traces',
      json: { trace: { trace_info: traceInfo } },
      idempotent: true,
      schema: z.looseObject({ trace: z.looseObject({ trace_info: traceInfoSchema }) }),
    });
    return out.trace.trace_info;
  }

  /** Trace info including its assessments; undefined when the trace does not exist. */
  async getTraceInfo(traceId: string): Promise<TraceInfo | undefined> {
    return unlessNotFound(async () => {
      const out = await this.http.call({
        method: 'GET',
        path: `/api/3.0/mlflow/traces/${encodeURIComponent(traceId)}`,
        idempotent: true,
        schema: z.looseObject({ trace: z.looseObject({ trace_info: traceInfoSchema }) }),
      });
      return out.trace.trace_info;
    });
  }

  /** The full trace: info and spans (spans as the server stores them). */
  async getTrace(traceId: string): Promise<{ info: TraceInfo; spans: WireSpan[] } | undefined> {
    return unlessNotFound(async () => {
      const out = await this.http.call({
        method: 'GET',
        path: '/api/3.0/mlflow/traces/get',
        query: { trace_id: traceId },
        idempotent: true,
        schema: z.looseObject({
          trace: z.looseObject({ trace_info: traceInfoSchema, spans: z.array(wireSpanSchema).optional() }),
        }),
      });
      return { info: out.trace.trace_info, spans: out.trace.spans ?? [] };
    });
  }

  async searchTraces(
    options: SearchTracesOptions,
  ): Promise<{ traces: TraceInfo[]; nextPageToken: string | undefined }> {
    const out = await this.http.call({
      method: 'POST',
      path: '/api/3.0/mlflow/traces/search',
      json: {
        locations: options.experimentIds.map((id) => ({
          type: 'MLFLOW_EXPERIMENT',
          mlflow_experiment: { experiment_id: id },
        })),
        ...(options.filter !== undefined ? { filter: options.filter } : {}),
        max_results: options.maxResults ?? 100,
        ...(options.orderBy !== undefined ? { order_by: options.orderBy } : {}),
        ...(options.pageToken !== undefined ? { page_token: options.pageToken } : {}),
      },
      idempotent: true,
      schema: z.looseObject({
        traces: z.array(traceInfoSchema).optional(),
        next_page_token: z.string().optional(),
      }),
    });
    return { traces: out.traces ?? [], nextPageToken: out.next_page_token || undefined };
  }

  /** Every trace matching the search, page by page. */
  async *searchAllTraces(options: Omit<SearchTracesOptions, 'pageToken'>): AsyncGenerator<TraceInfo> {
    let pageToken: string | undefined;
    do {
      const page = await this.searchTraces({ ...options, ...(pageToken !== undefined ? { pageToken } : {}) });
      yield* page.traces;
      pageToken = page.nextPageToken;
    } while (pageToken !== undefined);
  }

  async setTraceTag(traceId: string, key: string, value: string): Promise<void> {
    await this.http.call({
      method: 'PATCH',
      path: `/api/3.0/mlflow/traces/${encodeURIComponent(traceId)}/tags`,
      json: { key, value: truncate(value, mlflowLimits.traceTagValue) },
      idempotent: true,
    });
  }

  /** Links traces to a run, 100 per request (the server's limit). Linking twice is a no-op. */
  async linkTracesToRun(runId: string, traceIds: readonly string[]): Promise<void> {
    for (const part of chunk(traceIds, mlflowLimits.traceLinks)) {
      await this.http.call({
        method: 'POST',
        path: '/api/2.0/mlflow/traces/link-to-run',
        json: { run_id: runId, trace_ids: part },
        idempotent: true,
      });
    }
  }

  // ---- assessments ----------------------------------------------------------------------------

  /**
   * Creates one assessment. Not retried after an ambiguous failure: a second create with the same id
   * fails on the server (a constraint violation, HTTP 500), one without an id would duplicate it —
   * callers check the trace's assessments first (see `missingAssessments`).
   */
  async createAssessment(traceId: string, assessment: Assessment): Promise<Assessment> {
    const out = await this.http.call({
      method: 'POST',
      path: `/api/3.0/mlflow/traces/${encodeURIComponent(traceId)}/assessments`,
      json: { assessment: { ...assessment, trace_id: traceId } },
      idempotent: false,
      schema: z.looseObject({ assessment: assessmentSchema }),
    });
    return out.assessment;
  }

  async getAssessment(traceId: string, assessmentId: string): Promise<Assessment | undefined> {
    return unlessNotFound(async () => {
      const out = await this.http.call({
        method: 'GET',
        path: `/api/3.0/mlflow/traces/${encodeURIComponent(traceId)}/assessments/${encodeURIComponent(assessmentId)}`,
        idempotent: true,
        schema: z.looseObject({ assessment: assessmentSchema }),
      });
      return out.assessment;
    });
  }

  // ---- evaluation datasets --------------------------------------------------------------------

  async createDataset(options: {
    name: string;
    experimentIds?: readonly string[];
    tags?: Record<string, string>;
  }): Promise<EvaluationDataset> {
    const out = await this.http.call({
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

  async getDataset(datasetId: string): Promise<EvaluationDataset> {
    const out = await this.http.call({
      method: 'GET',
      path: `/api/3.0/mlflow/datasets/${encodeURIComponent(datasetId)}`,
      idempotent: true,
      schema: z.looseObject({ dataset: evaluationDatasetSchema }),
    });
    return out.dataset;
  }

  async searchDatasets(
    options: {
      experimentIds?: readonly string[];
      filterString?: string;
      maxResults?: number;
      orderBy?: readonly string[];
      pageToken?: string;
    } = {},
  ): Promise<{ datasets: EvaluationDataset[]; nextPageToken: string | undefined }> {
    const out = await this.http.call({
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
  async *searchAllDatasets(
    options: { experimentIds?: readonly string[]; filterString?: string } = {},
  ): AsyncGenerator<EvaluationDataset> {
    let pageToken: string | undefined;
    do {
      const page = await this.searchDatasets({
        ...options,
        ...(pageToken !== undefined ? { pageToken } : {}),
      });
      yield* page.datasets;
      pageToken = page.nextPageToken;
    } while (pageToken !== undefined);
  }

  /** The newest dataset with exactly this name, if any. */
  async findDatasetByName(name: string): Promise<EvaluationDataset | undefined> {
    let best: EvaluationDataset | undefined;
    for await (const dataset of this.searchAllDatasets({
      filterString: `name = '${name.replaceAll("'", "\\'")}'`,
    })) {
      if (dataset.name !== name) continue;
      if (best === undefined || (dataset.last_update_time ?? 0) > (best.last_update_time ?? 0))
        best = dataset;
    }
    return best;
  }

  /**
   * Upserts records (the server merges a record whose inputs already exist), in requests of at most
   * `batchSize` records. Idempotent: a repeat updates the same records.
   */
  async upsertDatasetRecords(
    datasetId: string,
    records: readonly Record<string, unknown>[],
    options: { batchSize?: number } = {},
  ): Promise<{ inserted: number; updated: number }> {
    let inserted = 0;
    let updated = 0;
    for (const part of chunk(records, options.batchSize ?? 500)) {
      const out = await this.http.call({
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

  async listDatasetRecords(
    datasetId: string,
    options: { maxResults?: number; pageToken?: string } = {},
  ): Promise<{ records: DatasetRecord[]; nextPageToken: string | undefined }> {
    const out = await this.http.call({
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
  async *allDatasetRecords(
    datasetId: string,
    options: { pageSize?: number } = {},
  ): AsyncGenerator<DatasetRecord> {
    let pageToken: string | undefined;
    do {
      const page = await this.listDatasetRecords(datasetId, {
        maxResults: options.pageSize ?? 1000,
        ...(pageToken !== undefined ? { pageToken } : {}),
      });
      yield* page.records;
      pageToken = page.nextPageToken;
    } while (pageToken !== undefined);
  }

  // ---- prompt registry (registered models tagged as prompts) ---------------------------------

  async getRegisteredModel(name: string): Promise<RegisteredModel | undefined> {
    return unlessNotFound(async () => {
      const out = await this.http.call({
        method: 'GET',
        path: '/api/2.0/mlflow/registered-models/get',
        query: { name },
        idempotent: true,
        schema: z.looseObject({ registered_model: registeredModelSchema }),
      });
      return out.registered_model;
    });
  }

  /**
   * Registers a new prompt version (creating the prompt on first use), the way Python's
   * `register_prompt` does. A name held by a registered model that is not a prompt is an error.
   */
  async registerPrompt(options: {
    name: string;
    template: string;
    type?: 'text' | 'chat';
    commitMessage?: string;
    tags?: Record<string, string>;
  }): Promise<PromptVersion> {
    if (!/^[a-zA-Z0-9_.-]+$/.test(options.name)) {
      throw new MlflowError({
        message: `invalid prompt name "${options.name}": use letters, digits, "_", "-" and "." only`,
        endpoint: 'POST /api/2.0/mlflow/registered-models/create',
        retryable: false,
      });
    }
    const existing = await this.getRegisteredModel(options.name);
    if (existing === undefined) {
      try {
        await this.http.call({
          method: 'POST',
          path: '/api/2.0/mlflow/registered-models/create',
          json: { name: options.name, tags: [{ key: 'mlflow.prompt.is_prompt', value: 'true' }] },
          idempotent: false,
        });
      } catch (error) {
        if (!(error instanceof MlflowError && error.errorCode === 'RESOURCE_ALREADY_EXISTS')) throw error;
      }
    } else if ((existing.tags ?? []).find((tag) => tag.key === 'mlflow.prompt.is_prompt')?.value !== 'true') {
      throw new MlflowError({
        message: `"${options.name}" is a registered model, not a prompt; choose another prompt name`,
        endpoint: 'GET /api/2.0/mlflow/registered-models/get',
        retryable: false,
      });
    }
    const tags: KeyValue[] = [
      { key: 'mlflow.prompt.is_prompt', value: 'true' },
      { key: 'mlflow.prompt.text', value: options.template },
      { key: '_mlflow_prompt_type', value: options.type ?? 'text' },
      ...Object.entries(options.tags ?? {}).map(([key, value]) => ({ key, value })),
    ];
    const out = await this.http.call({
      method: 'POST',
      path: '/api/2.0/mlflow/model-versions/create',
      json: {
        name: options.name,
        source: 'dummy-source',
        ...(options.commitMessage !== undefined ? { description: options.commitMessage } : {}),
        tags,
      },
      idempotent: false,
      schema: z.looseObject({ model_version: modelVersionSchema }),
    });
    return promptVersionFrom(out.model_version);
  }

  async getPromptVersion(name: string, version: string | number): Promise<PromptVersion | undefined> {
    return unlessNotFound(async () => {
      const out = await this.http.call({
        method: 'GET',
        path: '/api/2.0/mlflow/model-versions/get',
        query: { name, version: String(version) },
        idempotent: true,
        schema: z.looseObject({ model_version: modelVersionSchema }),
      });
      return promptVersionFrom(out.model_version);
    });
  }

  async getPromptVersionByAlias(name: string, alias: string): Promise<PromptVersion | undefined> {
    return unlessNotFound(async () => {
      const out = await this.http.call({
        method: 'GET',
        path: '/api/2.0/mlflow/registered-models/alias',
        query: { name, alias },
        idempotent: true,
        schema: z.looseObject({ model_version: modelVersionSchema }),
      });
      return promptVersionFrom(out.model_version);
    });
  }

  async setPromptAlias(name: string, alias: string, version: string | number): Promise<void> {
    await this.http.call({
      method: 'POST',
      path: '/api/2.0/mlflow/registered-models/alias',
      json: { name, alias, version: String(version) },
      idempotent: true,
    });
  }
}

/** Runs a read; an MLflow "not found" answer becomes undefined, every other error is rethrown. */
async function unlessNotFound<T>(read: () => Promise<T>): Promise<T | undefined> {
  try {
    return await read();
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
}

/** True for MLflow's "not found" answers (404 / RESOURCE_DOES_NOT_EXIST). */
export function isNotFound(error: unknown): boolean {
  return (
    error instanceof MlflowError && (error.status === 404 || error.errorCode === 'RESOURCE_DOES_NOT_EXIST')
  );
}

function promptVersionFrom(version: ModelVersion): PromptVersion {
  const tags: Record<string, string> = {};
  for (const tag of version.tags ?? []) tags[tag.key] = tag.value;
  const template = tags['mlflow.prompt.text'];
  if (tags['mlflow.prompt.is_prompt'] !== 'true' || template === undefined) {
    throw new MlflowError({
      message: `"${version.name}" version ${version.version} is not a prompt version`,
      endpoint: 'GET /api/2.0/mlflow/model-versions/get',
      retryable: false,
    });
  }
  return {
    name: version.name,
    version: version.version,
    template,
    type: tags._mlflow_prompt_type ?? 'text',
    tags,
    aliases: version.aliases ?? [],
  };
}
