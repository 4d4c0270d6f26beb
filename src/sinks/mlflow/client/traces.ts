import { z } from 'zod';
import { MlflowError } from '../../../core/errors.js';
import type { MlflowHttp } from '../http.js';
import { chunk, mlflowLimits, truncate } from '../limits.js';
import { type TraceInfo, traceInfoSchema, type WireSpan, wireSpanSchema } from '../wire.js';
import { unlessNotFound } from './not-found.js';

/** Where span data went: the tracking store (OTLP accepted) or nowhere yet (use the `traces.json` artifact). */
export type SpanIngest = 'otlp' | 'unsupported';

export interface SearchTracesOptions {
  experimentIds: readonly string[];
  filter?: string;
  maxResults?: number;
  orderBy?: readonly string[];
  pageToken?: string;
}

/**
 * Sends spans through the OTLP/HTTP endpoint (`/v1/traces`): a protobuf `ExportTraceServiceRequest`
 * (bytes, see otlp-protobuf.ts) or its JSON encoding (an object). The server upserts spans by
 * (trace id, span id), so a repeat is harmless. With `runId`, the server also links the request's
 * traces to that run (`x-mlflow-run-id`; at most 100 traces per request, `mlflowLimits.traceLinks`).
 * Returns `unsupported` when the server has no OTLP ingest (older server, file store, Flask-only
 * server), so the caller falls back to the `traces.json` artifact.
 */
export async function logSpansOtlp(
  http: MlflowHttp,
  experimentId: string,
  request: Uint8Array | object,
  options: { runId?: string } = {},
): Promise<SpanIngest> {
  const headers: Record<string, string> = { 'x-mlflow-experiment-id': experimentId };
  if (options.runId !== undefined) headers['x-mlflow-run-id'] = options.runId;
  try {
    if (request instanceof Uint8Array) {
      headers['content-type'] = 'application/x-protobuf';
      await http.call({
        method: 'POST',
        path: '/v1/traces',
        body: request,
        headers,
        idempotent: true,
        text: true,
      });
    } else {
      await http.call({
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
export async function startTrace(http: MlflowHttp, traceInfo: TraceInfo): Promise<TraceInfo> {
  const out = await http.call({
    method: 'POST',
    path: '/api/3.0/mlflow/traces',
    json: { trace: { trace_info: traceInfo } },
    idempotent: true,
    schema: z.looseObject({ trace: z.looseObject({ trace_info: traceInfoSchema }) }),
  });
  return out.trace.trace_info;
}

/** Trace info including its assessments; undefined when the trace does not exist. */
export async function getTraceInfo(http: MlflowHttp, traceId: string): Promise<TraceInfo | undefined> {
  return unlessNotFound(async () => {
    const out = await http.call({
      method: 'GET',
      path: `/api/3.0/mlflow/traces/${encodeURIComponent(traceId)}`,
      idempotent: true,
      schema: z.looseObject({ trace: z.looseObject({ trace_info: traceInfoSchema }) }),
    });
    return out.trace.trace_info;
  });
}

/** The full trace: info and spans (spans as the server stores them). */
export async function getTrace(
  http: MlflowHttp,
  traceId: string,
): Promise<{ info: TraceInfo; spans: WireSpan[] } | undefined> {
  return unlessNotFound(async () => {
    const out = await http.call({
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

export async function searchTraces(
  http: MlflowHttp,
  options: SearchTracesOptions,
): Promise<{ traces: TraceInfo[]; nextPageToken: string | undefined }> {
  const out = await http.call({
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
export async function* searchAllTraces(
  http: MlflowHttp,
  options: Omit<SearchTracesOptions, 'pageToken'>,
): AsyncGenerator<TraceInfo> {
  let pageToken: string | undefined;
  do {
    const page = await searchTraces(http, { ...options, ...(pageToken !== undefined ? { pageToken } : {}) });
    yield* page.traces;
    pageToken = page.nextPageToken;
  } while (pageToken !== undefined);
}

export async function setTraceTag(
  http: MlflowHttp,
  traceId: string,
  key: string,
  value: string,
): Promise<void> {
  await http.call({
    method: 'PATCH',
    path: `/api/3.0/mlflow/traces/${encodeURIComponent(traceId)}/tags`,
    json: { key, value: truncate(value, mlflowLimits.traceTagValue) },
    idempotent: true,
  });
}

/** Links traces to a run, 100 per request (the server's limit). Linking twice is a no-op. */
export async function linkTracesToRun(
  http: MlflowHttp,
  runId: string,
  traceIds: readonly string[],
): Promise<void> {
  for (const part of chunk(traceIds, mlflowLimits.traceLinks)) {
    await http.call({
      method: 'POST',
      path: '/api/2.0/mlflow/traces/link-to-run',
      json: { run_id: runId, trace_ids: part },
      idempotent: true,
    });
  }
}
