import { createHash } from 'node:crypto';
import { canonicalJson } from '../../core/json.js';
import type { RowResult } from '../../core/result.js';
import type { Span } from '../../core/span.js';
import { PROMPT_NAME_KEY, PROMPT_VERSION_KEY } from '../../judges/prompt-file.js';
import { mlflowLimits, truncate } from './limits.js';
import { pythonJsonDumps } from './python-json.js';
import { rootSpanIdFor, traceIdFor } from './trace-ids.js';
import type { Assessment, TraceInfo } from './wire.js';

/** Who and what a run's traces are attributed to (the run's `mlflow.user` / `mlflow.source.*`). */
export interface TraceContext {
  runId: string;
  experimentId: string;
  /** `mlflow.user`; expectations use it as their HUMAN source id ("unknown" when empty). */
  user: string;
  sourceName: string;
  sourceType: string;
  /** The model under test's LoggedModel id: trace metadata `mlflow.modelId`, as evaluate(model_id=) sets it. */
  modelId?: string;
}

/** Everything one row writes to MLflow, derived deterministically from (run id, row result). */
export interface TraceJob {
  rowId: string;
  /** `tr-` + 32 hex, derived from (run id, row id). */
  traceId: string;
  traceIdHex: string;
  rootSpanId: string;
  /** The row's spans with the root re-keyed to the deterministic root span id. */
  spans: Span[];
  traceInfo: TraceInfo;
  /** Expectations then feedbacks, with deterministic ids. */
  assessments: Assessment[];
}

/** Tags a row may not set: MLflow manages them (Python's `IMMUTABLE_TAGS`) or judgeflow does. */
const reservedTraceTags = new Set([
  'mlflow.user',
  'mlflow.artifactLocation',
  'mlflow.trace.spansLocation',
  'mlflow.traceName',
  'mlflow.eval.requestId',
]);

/**
 * Builds the MLflow writes for one row, the way `mlflow.genai.evaluate()` lays a row out: one trace
 * whose root span carries the row's inputs and outputs (child spans for the model and judge calls),
 * metadata linking it to the run, the row's tags as trace tags, expectations as HUMAN assessments and
 * every feedback as an assessment on the root span. Ids are derived from (run id, row id) so that a
 * retried row or a replayed spool writes the same trace, spans and assessments again — never new ones.
 */
export function buildTraceJob(result: RowResult, context: TraceContext): TraceJob {
  const traceIdHex = traceIdFor(context.runId, result.id);
  const traceId = `tr-${traceIdHex}`;
  const rootSpanId = rootSpanIdFor(context.runId, result.id);
  const spans = rekeyRoot(result, rootSpanId);
  const root = spans.find((span) => span.parentId === null) as Span;
  const requestTime = new Date(Math.floor(root.startTimeMs));
  const finishedMs = Math.floor(Math.max(root.endTimeMs, root.startTimeMs));
  const stamp = new Date(finishedMs).toISOString();
  const failed = result.error !== undefined || root.status.code === 'ERROR';

  const inputsText = pythonJsonDumps(root.inputs ?? result.inputs, { ensureAscii: false });
  const outputsText = pythonJsonDumps(root.outputs ?? result.outputs, { ensureAscii: false });
  const metadata: Record<string, string> = {
    'mlflow.sourceRun': context.runId,
    'mlflow.trace_schema.version': '3',
    'mlflow.traceInputs': truncate(inputsText, mlflowLimits.traceMetadataIo),
    'mlflow.traceOutputs': truncate(outputsText, mlflowLimits.traceMetadataIo),
    'mlflow.user': context.user,
    'mlflow.source.name': context.sourceName,
    'mlflow.source.type': context.sourceType,
  };
  if (context.modelId !== undefined) metadata['mlflow.modelId'] = context.modelId;
  const usage = traceTokenUsage(spans);
  if (usage !== undefined) metadata['mlflow.trace.tokenUsage'] = pythonJsonDumps(usage);

  const tags: Record<string, string> = {};
  for (const [key, value] of Object.entries(result.tags)) {
    if (!reservedTraceTags.has(key)) tags[key] = truncate(String(value), mlflowLimits.traceTagValue);
  }
  tags['mlflow.traceName'] = root.name;
  tags['mlflow.eval.requestId'] = result.id;
  const linked = linkedPrompts(result.feedbacks);
  if (linked !== undefined) tags['mlflow.linkedPrompts'] = linked;

  const assessments: Assessment[] = [];
  const common = (kind: string, index: number, name: string) => ({
    assessment_id: assessmentId(traceId, kind, index, name),
    assessment_name: name,
    trace_id: traceId,
    span_id: rootSpanId,
    create_time: stamp,
    last_update_time: stamp,
  });
  let index = 0;
  for (const [name, value] of Object.entries(result.expectations)) {
    assessments.push({
      ...common('expectation', index++, name),
      source: { source_type: 'HUMAN', source_id: context.user === '' ? 'unknown' : context.user },
      expectation: expectationValue(value),
      metadata: { 'mlflow.assessment.sourceRunId': context.runId },
    });
  }
  index = 0;
  for (const feedback of result.feedbacks) {
    const metadata: Record<string, string> = {};
    for (const [key, value] of Object.entries(feedback.metadata ?? {})) metadata[key] = String(value);
    metadata['mlflow.assessment.sourceRunId'] = context.runId;
    const body: Assessment = {
      ...common('feedback', index++, feedback.name),
      source: { source_type: feedback.source.type, source_id: feedback.source.id },
      feedback:
        feedback.error !== undefined
          ? {
              error: {
                error_code: feedback.error.code,
                error_message: feedback.error.message,
                ...(feedback.error.stack !== undefined
                  ? { stack_trace: truncate(feedback.error.stack, mlflowLimits.stackTrace) }
                  : {}),
              },
            }
          : { value: feedback.value },
      metadata,
    };
    if (feedback.rationale !== undefined) body.rationale = feedback.rationale;
    assessments.push(body);
  }

  const traceInfo: TraceInfo = {
    trace_id: traceId,
    trace_location: { type: 'MLFLOW_EXPERIMENT', mlflow_experiment: { experiment_id: context.experimentId } },
    request_time: requestTime.toISOString(),
    execution_duration: `${((finishedMs - requestTime.getTime()) / 1000).toFixed(3)}s`,
    state: failed ? 'ERROR' : 'OK',
    request_preview: preview(root.inputs ?? result.inputs, inputsText, 'user'),
    response_preview: preview(root.outputs ?? result.outputs, outputsText, 'assistant'),
    trace_metadata: metadata,
    tags,
  };
  return { rowId: result.id, traceId, traceIdHex, rootSpanId, spans, traceInfo, assessments };
}

/** `a-` + 32 hex: stable for (trace, kind, position, name), so a rewrite merges instead of duplicating. */
export function assessmentId(traceId: string, kind: string, index: number, name: string): string {
  return `a-${createHash('sha256').update(`${traceId}\u0000${kind}\u0000${index}\u0000${name}`).digest('hex').slice(0, 32)}`;
}

/**
 * The row's spans with the root re-keyed to the id derived from (run, row): a second result for the
 * same row (a retried worker) then addresses the same root span. A row without spans gets a minimal
 * root span (`root_span`, CHAIN) as Python's `create_minimal_trace` makes one.
 */
function rekeyRoot(result: RowResult, rootSpanId: string): Span[] {
  const spans = result.trace.spans;
  const root = spans.find((span) => span.parentId === null);
  if (root === undefined) {
    const now = Date.now();
    const minimal: Span = {
      spanId: rootSpanId,
      parentId: null,
      name: 'root_span',
      spanType: 'CHAIN',
      startTimeMs: now - result.durationMs,
      endTimeMs: now,
      inputs: result.inputs,
      outputs: result.outputs,
      attributes: {},
      status: result.error !== undefined ? { code: 'ERROR', message: result.error.message } : { code: 'OK' },
    };
    return [minimal, ...spans.map((span) => ({ ...span, parentId: span.parentId ?? rootSpanId }))];
  }
  const oldId = root.spanId;
  return spans.map((span) => {
    if (span === root) return { ...span, spanId: rootSpanId };
    if (span.parentId === oldId) return { ...span, parentId: rootSpanId };
    return span;
  });
}

/** Primitive values travel as `value`; dicts, lists (Python's rule) as a JSON `serialized_value`. */
function expectationValue(value: unknown): NonNullable<Assessment['expectation']> {
  if (value === null || ['string', 'number', 'boolean'].includes(typeof value)) return { value };
  return { serialized_value: { serialization_format: 'JSON_FORMAT', value: pythonJsonDumps(value) } };
}

/**
 * Token usage summed over the spans that report it, counting a span only when no ancestor does
 * (so a parent that already rolls up its children is not counted twice) — MLflow's aggregation.
 */
function traceTokenUsage(spans: readonly Span[]): Record<string, number> | undefined {
  const byId = new Map(spans.map((span) => [span.spanId, span]));
  const usageOf = (span: Span) => {
    const value = span.attributes['mlflow.chat.tokenUsage'];
    return value !== null && typeof value === 'object' ? (value as Record<string, unknown>) : undefined;
  };
  let found = false;
  const total = { input_tokens: 0, output_tokens: 0, total_tokens: 0 };
  for (const span of spans) {
    const usage = usageOf(span);
    if (usage === undefined) continue;
    let ancestorCounts = false;
    for (let parent = span.parentId; parent !== null; ) {
      const p = byId.get(parent);
      if (p === undefined) break;
      if (usageOf(p) !== undefined) {
        ancestorCounts = true;
        break;
      }
      parent = p.parentId;
    }
    if (ancestorCounts) continue;
    found = true;
    for (const key of ['input_tokens', 'output_tokens', 'total_tokens'] as const) {
      const n = Number(usage[key] ?? 0);
      if (Number.isFinite(n)) total[key] += n;
    }
  }
  return found ? total : undefined;
}

/** Request/response preview as Python's OSS client writes it: the last chat message, else the JSON text. */
function preview(value: unknown, text: string, role: 'user' | 'assistant'): string {
  const content = chatContent(value, role);
  return truncate(content ?? text, mlflowLimits.preview);
}

function chatContent(value: unknown, role: 'user' | 'assistant'): string | undefined {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
  const record = value as Record<string, unknown>;
  const messages = Array.isArray(record.messages)
    ? record.messages
    : Array.isArray(record.choices)
      ? record.choices.map((choice) => (choice as { message?: unknown } | null)?.message)
      : undefined;
  if (messages === undefined) return undefined;
  for (let i = messages.length - 1; i >= 0; i--) {
    const message = messages[i] as { role?: unknown; content?: unknown } | null;
    if (message?.role === role && typeof message.content === 'string') return message.content;
  }
  return undefined;
}

/** A stable key for matching an assessment against what a trace already holds. */
export function assessmentMatchKey(assessment: Assessment): string {
  const kind =
    assessment.feedback !== undefined
      ? 'feedback'
      : assessment.expectation !== undefined
        ? 'expectation'
        : 'other';
  let value: unknown;
  if (assessment.feedback !== undefined) {
    const error = assessment.feedback.error;
    value =
      error !== undefined
        ? { error: [error.error_code ?? '', error.error_message ?? ''] }
        : { value: normalizeValue(assessment.feedback.value) };
  } else if (assessment.expectation !== undefined) {
    const serialized = assessment.expectation.serialized_value;
    value =
      serialized !== undefined
        ? { value: normalizeValue(safeParse(serialized.value)) }
        : { value: normalizeValue(assessment.expectation.value) };
  }
  return canonicalJson([
    kind,
    assessment.assessment_name,
    assessment.source.source_type,
    assessment.source.source_id,
    value ?? null,
  ]);
}

/**
 * The assessments of `wanted` that `existing` does not hold yet, matched by id or by
 * name + source + value (or error) — so rewriting a row only adds what is missing.
 */
export function missingAssessments(
  wanted: readonly Assessment[],
  existing: readonly Assessment[],
): Assessment[] {
  const ids = new Set(existing.map((a) => a.assessment_id).filter((id) => id !== undefined));
  const keys = new Map<string, number>();
  for (const a of existing) keys.set(assessmentMatchKey(a), (keys.get(assessmentMatchKey(a)) ?? 0) + 1);
  const out: Assessment[] = [];
  for (const a of wanted) {
    if (a.assessment_id !== undefined && ids.has(a.assessment_id)) {
      const key = assessmentMatchKey(a);
      const n = keys.get(key) ?? 0;
      if (n > 0) keys.set(key, n - 1);
      continue;
    }
    const key = assessmentMatchKey(a);
    const n = keys.get(key) ?? 0;
    if (n > 0) {
      keys.set(key, n - 1);
      continue;
    }
    out.push(a);
  }
  return out;
}

/** An absent value and null are the same (the server answers an error feedback with `value: null`). */
function normalizeValue(value: unknown): unknown {
  return value === undefined ? null : value;
}

function safeParse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/**
 * MLflow's `mlflow.linkedPrompts` trace tag (`[{"name": …, "version": …}]`, as `load_prompt` inside a
 * trace records it) for the registry prompt versions the row's judges used; built-in prompt files
 * (`builtin:<judge>`) are no registry prompts and are not listed.
 */
function linkedPrompts(feedbacks: RowResult['feedbacks']): string | undefined {
  const seen = new Map<string, { name: string; version: string }>();
  for (const feedback of feedbacks) {
    const name = feedback.metadata?.[PROMPT_NAME_KEY];
    const version = feedback.metadata?.[PROMPT_VERSION_KEY];
    if (typeof name !== 'string' || typeof version !== 'string' || name.startsWith('builtin:')) continue;
    seen.set(`${name}/${version}`, { name, version });
  }
  return seen.size > 0 ? pythonJsonDumps([...seen.values()]) : undefined;
}
