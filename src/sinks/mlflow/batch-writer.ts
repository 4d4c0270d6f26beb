import { z } from 'zod';
import { MlflowError } from '../../core/errors.js';
import type { MlflowClient } from './client.js';
import { jsonWithNanos, OTLP_SERVICE_NAME, pythonSpanDicts } from './span-encoding.js';
import type { TraceJob } from './trace-job.js';

/**
 * The client side of judgeflow's MLflow batch writer: a plugin in the server judgeflow starts
 * (`mlflow server --app-name judgeflow`, `python/judgeflow_mlflow`) that writes many rows' traces,
 * spans, assessments and run links in one request and one database transaction, leaving exactly the
 * rows StartTraceV3 + OTLP + link-to-run leave. Use:
 *
 *   const writer = await probeBatchWriter(client);            // once per client; undefined = REST path
 *   if (writer) await writeTraceBatch(client, jobs, { experimentId, runId, limits: writer });
 *
 * Writes are idempotent (trace, assessment, span and link keys are the jobs' deterministic ids), so a
 * failed or ambiguous batch may be retried or replayed whole.
 */

export const BATCH_WRITER_DETECTION_PATH = '/api/3.0/judgeflow/batch-writer';
export const BATCH_WRITER_WRITE_PATH = '/api/3.0/judgeflow/traces/batch';
const writeEndpoint = `POST ${BATCH_WRITER_WRITE_PATH}`;

/** The per-request limits the server announces. */
export interface BatchWriterLimits {
  maxTracesPerRequest: number;
  /** Bytes of one request's JSON body. */
  maxRequestBytes: number;
}

/** What a server running the batch writer (wire contract v1) announces. */
export interface BatchWriterInfo extends BatchWriterLimits {
  version: 1;
  /** The server's MLflow version. */
  mlflowVersion: string;
}

const infoSchema = z.looseObject({
  version: z.literal(1),
  mlflow_version: z.string(),
  max_traces_per_request: z.number().int().positive(),
  max_request_bytes: z.number().int().positive(),
});

/**
 * Detects the batch writer: its info when the server answers the detection route with a 200 and
 * contract version 1, undefined for any other answer (a stock server's 404, an HTML page, another
 * version, a malformed body) — the caller then uses the REST path. Throws an MlflowError only when the
 * server gave no answer at all (unreachable, timed out), so an outage is not mistaken for "absent".
 * Call it once per client and keep the answer.
 */
export async function probeBatchWriter(
  client: MlflowClient,
  options: { signal?: AbortSignal } = {},
): Promise<BatchWriterInfo | undefined> {
  let text: unknown;
  try {
    text = await client.http.call({
      method: 'GET',
      path: BATCH_WRITER_DETECTION_PATH,
      idempotent: true,
      text: true,
      signal: options.signal,
    });
  } catch (error) {
    if (error instanceof MlflowError && error.status !== undefined) return undefined;
    throw error;
  }
  let body: unknown;
  try {
    body = JSON.parse(String(text));
  } catch {
    return undefined;
  }
  const parsed = infoSchema.safeParse(body);
  if (!parsed.success) return undefined;
  return {
    version: 1,
    mlflowVersion: parsed.data.mlflow_version,
    maxTracesPerRequest: parsed.data.max_traces_per_request,
    maxRequestBytes: parsed.data.max_request_bytes,
  };
}

/** Where a batch goes: the experiment of the jobs' traces, and the run to link every trace to. */
export interface BatchTarget {
  experimentId: string;
  /** Link every trace to this run (as link-to-run does); omit to write traces without a run link. */
  runId?: string | undefined;
}

/**
 * One trace of a batch as JSON text: StartTraceV3's TraceInfoV3 with the job's assessments inline,
 * and its spans in Python's `Span.to_dict` format. A trace with spans also gets the tag
 * `service.name=judgeflow`, which the REST path's OTLP resource leaves on it (MLflow stores resource
 * attributes as trace tags) — so both paths give readers the same tags.
 */
export function batchTraceJson(job: TraceJob): string {
  const tags = { ...(job.traceInfo.tags ?? {}) };
  if (job.spans.length > 0) tags['service.name'] = OTLP_SERVICE_NAME;
  return jsonWithNanos({
    trace_info: { ...job.traceInfo, tags, assessments: job.assessments },
    spans: pythonSpanDicts(job.traceIdHex, job.traceId, job.spans),
  });
}

/** One planned request: its JSON body and the jobs it carries, in order. */
export interface BatchRequest {
  body: string;
  /** UTF-8 bytes of `body`. */
  bytes: number;
  jobs: TraceJob[];
}

/**
 * Splits the jobs into request bodies within the server's limits (traces per request, body bytes),
 * keeping their order. A single trace larger than a whole request is an MlflowError: no split can
 * send it.
 */
export function planBatchRequests(
  jobs: readonly TraceJob[],
  target: BatchTarget,
  limits: BatchWriterLimits,
): BatchRequest[] {
  const head = `{"experiment_id":${JSON.stringify(target.experimentId)}${
    target.runId !== undefined ? `,"run_id":${JSON.stringify(target.runId)}` : ''
  },"traces":[`;
  const tail = ']}';
  const envelope = Buffer.byteLength(head) + Buffer.byteLength(tail);
  const requests: BatchRequest[] = [];
  let texts: string[] = [];
  let carried: TraceJob[] = [];
  let bytes = envelope;
  const flush = () => {
    if (carried.length === 0) return;
    const body = `${head}${texts.join(',')}${tail}`;
    requests.push({ body, bytes, jobs: carried });
    texts = [];
    carried = [];
    bytes = envelope;
  };
  for (const job of jobs) {
    const text = batchTraceJson(job);
    const size = Buffer.byteLength(text);
    if (envelope + size > limits.maxRequestBytes) {
      throw new MlflowError({
        message: `trace ${job.traceId} (row ${job.rowId}) is ${size} bytes as JSON, more than the batch writer's whole request limit (${limits.maxRequestBytes} bytes)`,
        endpoint: writeEndpoint,
        retryable: false,
      });
    }
    const separator = carried.length > 0 ? 1 : 0;
    if (carried.length >= limits.maxTracesPerRequest || bytes + separator + size > limits.maxRequestBytes) {
      flush();
    }
    bytes += (carried.length > 0 ? 1 : 0) + size;
    texts.push(text);
    carried.push(job);
  }
  flush();
  return requests;
}

/** What a batch write did: traces sent, how many were new and how many merged into existing ones. */
export interface BatchWriteResult {
  traces: number;
  created: number;
  merged: number;
  /** HTTP requests it took. */
  requests: number;
}

const answerSchema = z.looseObject({
  traces: z.number().int(),
  created: z.number().int(),
  merged: z.number().int(),
});

/**
 * Writes the jobs' traces (info, assessments, spans) and their run link through the batch writer,
 * one request after another within `limits`; each request is one transaction on the server. Requests
 * are idempotent, so the HTTP layer retries them after ambiguous failures. Throws the first
 * MlflowError; the requests before it are written, the failed one is not (all or nothing), the rest
 * were not sent — writing the same jobs again completes the batch without duplicates. A 400's message
 * names `traces[i]`; the error adds which row and trace that is.
 */
export async function writeTraceBatch(
  client: MlflowClient,
  jobs: readonly TraceJob[],
  options: BatchTarget & { limits: BatchWriterLimits; signal?: AbortSignal },
): Promise<BatchWriteResult> {
  const result: BatchWriteResult = { traces: 0, created: 0, merged: 0, requests: 0 };
  for (const request of planBatchRequests(jobs, options, options.limits)) {
    let answer: z.infer<typeof answerSchema>;
    try {
      answer = await client.http.call({
        method: 'POST',
        path: BATCH_WRITER_WRITE_PATH,
        body: request.body,
        headers: { 'content-type': 'application/json' },
        idempotent: true,
        schema: answerSchema,
        signal: options.signal,
      });
    } catch (error) {
      throw withRowContext(error, request.jobs);
    }
    result.traces += answer.traces;
    result.created += answer.created;
    result.merged += answer.merged;
    result.requests++;
  }
  return result;
}

/** The server names `traces[i]` of its request; say which row and trace that is. */
function withRowContext(error: unknown, jobs: readonly TraceJob[]): unknown {
  if (!(error instanceof MlflowError)) return error;
  const index = /traces\[(\d+)\]/.exec(error.message)?.[1];
  const job = index !== undefined ? jobs[Number(index)] : undefined;
  if (job === undefined) return error;
  return new MlflowError({
    message: `${error.message} (traces[${index}] is row ${job.rowId}, trace ${job.traceId})`,
    endpoint: error.endpoint,
    ...(error.status !== undefined ? { status: error.status } : {}),
    ...(error.errorCode !== undefined ? { errorCode: error.errorCode } : {}),
    retryable: error.retryable,
    cause: error,
  });
}
