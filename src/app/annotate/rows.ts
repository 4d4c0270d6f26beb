import { ConfigError } from '../../core/errors.js';
import { isNotFound, type MlflowClient } from '../../sinks/mlflow/client.js';
import type { Assessment, TraceInfo, WireSpan } from '../../sinks/mlflow/wire.js';
import { isJudgeFeedback } from './criteria.js';

/** One row of the run as the annotation page lists it: its trace, before its detail is read. */
export interface AnnotationRow {
  traceId: string;
  /** The dataset row id (`mlflow.eval.requestId`), else the trace id. */
  rowId: string;
}

/** A row's content and every assessment on it, read fresh from MLflow. */
export interface RowDetail {
  traceId: string;
  rowId: string;
  inputs: unknown;
  outputs: unknown;
  /** Expectation name → value: the newest valid expectation of each name (a correction wins). */
  expectations: Record<string, unknown>;
  assessments: Assessment[];
}

/** The run a page labels: its experiment and its traces in row order. */
export interface AnnotationRun {
  runId: string;
  runName: string | undefined;
  experimentId: string;
  rows: AnnotationRow[];
  /** The traces' infos as the search returned them (with assessments), for inferring criteria. */
  traceInfos: TraceInfo[];
}

/** Reads a run and its traces (`attributes.run_id = …`: traces whose source run it is, or linked to it). */
export async function loadAnnotationRun(client: MlflowClient, runId: string): Promise<AnnotationRun> {
  // the id goes into a search filter: keep it to the characters a run id has
  if (!/^[0-9a-zA-Z_-]+$/.test(runId)) throw new ConfigError(`not an MLflow run id: ${runId}`);
  let run: Awaited<ReturnType<MlflowClient['getRun']>>;
  try {
    run = await client.getRun(runId);
  } catch (error) {
    if (isNotFound(error))
      throw new ConfigError(
        `no MLflow run ${runId} on ${client.trackingUri} (check the run id and --tracking-uri)`,
        {
          cause: error,
        },
      );
    throw error;
  }
  const experimentId = run.info.experiment_id;
  const traceInfos: TraceInfo[] = [];
  for await (const info of client.searchAllTraces({
    experimentIds: [experimentId],
    filter: `attributes.run_id = '${runId}'`,
  })) {
    traceInfos.push(info);
  }
  if (traceInfos.length === 0)
    throw new ConfigError(`MLflow run ${runId} has no traces: there are no rows to label`);
  const rows = traceInfos.map((info) => ({
    traceId: info.trace_id,
    rowId: info.tags?.['mlflow.eval.requestId'] ?? info.trace_id,
  }));
  const collator = new Intl.Collator('en', { numeric: true });
  rows.sort((a, b) => collator.compare(a.rowId, b.rowId) || collator.compare(a.traceId, b.traceId));
  return { runId, runName: run.info.run_name, experimentId, rows, traceInfos };
}

/** A row's inputs, outputs, expectations and assessments: the root span's, else the trace's previews. */
export async function loadRowDetail(client: MlflowClient, row: AnnotationRow): Promise<RowDetail> {
  const trace = await client.getTrace(row.traceId);
  if (trace === undefined) throw new ConfigError(`trace ${row.traceId} no longer exists on the server`);
  const root = trace.spans.find((span) => span.parent_span_id === undefined || span.parent_span_id === '');
  const info = trace.info;
  const inputs =
    spanAttribute(root, 'mlflow.spanInputs') ??
    parseMaybeJson(info.trace_metadata?.['mlflow.traceInputs'] ?? info.request_preview ?? '');
  const outputs =
    spanAttribute(root, 'mlflow.spanOutputs') ??
    parseMaybeJson(info.trace_metadata?.['mlflow.traceOutputs'] ?? info.response_preview ?? '');
  const assessments = info.assessments ?? [];
  return {
    traceId: row.traceId,
    rowId: row.rowId,
    inputs,
    outputs,
    expectations: currentExpectations(assessments),
    assessments,
  };
}

/** The value of an expectation assessment: `value`, or its JSON `serialized_value`. */
export function expectationValue(assessment: Assessment): unknown {
  const serialized = assessment.expectation?.serialized_value;
  if (serialized !== undefined) return parseMaybeJson(serialized.value);
  return assessment.expectation?.value;
}

/** The newest valid expectation of each name, in first-seen name order. */
export function currentExpectations(assessments: readonly Assessment[]): Record<string, unknown> {
  const newest = new Map<string, Assessment>();
  for (const assessment of assessments) {
    if (assessment.expectation === undefined || assessment.valid === false) continue;
    const seen = newest.get(assessment.assessment_name);
    if (seen === undefined || stamp(assessment) >= stamp(seen))
      newest.set(assessment.assessment_name, assessment);
  }
  return Object.fromEntries([...newest].map(([name, assessment]) => [name, expectationValue(assessment)]));
}

/** A judge's (or scorer's) verdict as the page reveals it once the row is answered. */
export interface JudgeVerdict {
  name: string;
  source: string;
  sourceType: string;
  value?: unknown;
  rationale?: string;
  error?: string;
  /** A person's label overrode it (MLflow's `valid: false`). */
  overridden: boolean;
}

export function judgeVerdicts(assessments: readonly Assessment[]): JudgeVerdict[] {
  return assessments.filter(isJudgeFeedback).map((assessment) => {
    const error = assessment.feedback?.error;
    return {
      name: assessment.assessment_name,
      source: assessment.source.source_id,
      sourceType: assessment.source.source_type,
      ...(assessment.feedback?.value !== undefined ? { value: assessment.feedback.value } : {}),
      ...(assessment.rationale !== undefined ? { rationale: assessment.rationale } : {}),
      ...(error !== undefined ? { error: error.error_message ?? error.error_code ?? 'error' } : {}),
      overridden: assessment.valid === false,
    };
  });
}

/** A person's label of one criterion as MLflow holds it. */
export interface HumanAnswer {
  name: string;
  reviewer: string;
  value: unknown;
  rationale?: string;
}

/** Every reviewer's newest valid label per criterion (HUMAN feedback assessments). */
export function humanAnswers(assessments: readonly Assessment[]): HumanAnswer[] {
  const newest = new Map<string, Assessment>();
  for (const assessment of assessments) {
    if (assessment.feedback === undefined || assessment.source.source_type !== 'HUMAN') continue;
    if (assessment.valid === false) continue;
    const key = `${assessment.source.source_id}\u0000${assessment.assessment_name}`;
    const seen = newest.get(key);
    if (seen === undefined || stamp(assessment) >= stamp(seen)) newest.set(key, assessment);
  }
  return [...newest.values()].map((assessment) => ({
    name: assessment.assessment_name,
    reviewer: assessment.source.source_id,
    value: assessment.feedback?.value,
    ...(assessment.rationale !== undefined ? { rationale: assessment.rationale } : {}),
  }));
}

function stamp(assessment: Assessment): number {
  const time = Date.parse(assessment.last_update_time ?? assessment.create_time ?? '');
  return Number.isNaN(time) ? 0 : time;
}

/**
 * An attribute of a span as `traces/get` returns it: an OTLP AnyValue whose string holds the JSON
 * MLflow encodes every attribute value as.
 */
function spanAttribute(span: WireSpan | undefined, key: string): unknown {
  const raw = span?.attributes?.find((attribute) => attribute.key === key)?.value;
  if (raw === undefined || raw === null) return undefined;
  if (typeof raw !== 'object') return raw;
  const value = raw as Record<string, unknown>;
  if (typeof value.string_value === 'string') return parseMaybeJson(value.string_value);
  for (const field of ['bool_value', 'int_value', 'double_value'])
    if (value[field] !== undefined) return value[field];
  return undefined;
}

function parseMaybeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
