import { errorMessage, ProviderError } from '../core/errors.js';
import type { Feedback } from '../core/feedback.js';
import type { ModelUnderTest } from '../core/model.js';
import type { PredictContext } from '../core/predict.js';
import type { DatasetRow } from '../core/record.js';
import type { RowError, RowResult } from '../core/result.js';
import type { Scorer, ScorerArgs } from '../core/scorer.js';
import { PREDICT_ROOT_SPAN, RECORDED_OUTPUTS_ROOT_SPAN, SpanRecorder } from '../core/span.js';
import { emptyUsage } from '../core/usage.js';
import { currentRunMetrics } from '../observability/current.js';
import { normalizeScore, thrownFeedback } from './normalize.js';

/** What the per-row pipeline needs: the model under test (unless rows carry outputs) and the scorers. */
export interface RowPipeline {
  readonly model: ModelUnderTest | undefined;
  readonly scorers: readonly Scorer[];
  /** Environment variables holding the API keys its model and judges use (Ray workers must have them). */
  readonly keyVariables?: readonly string[];
  close(): Promise<void>;
}

/**
 * The per-row pipeline — the same function in the CLI's process and in a Ray worker:
 * predict (unless the row has recorded outputs) → every scorer → feedbacks.
 * Never throws: a failing model call becomes `error` on the row; a failing scorer an error feedback.
 */
export async function runRow(
  row: DatasetRow,
  pipeline: RowPipeline,
  signal: AbortSignal,
): Promise<RowResult> {
  const started = performance.now();
  const { record } = row;
  const usage = emptyUsage();
  const recorder = new SpanRecorder();
  const recorded = record.outputs !== undefined;
  const root = recorder.start(null, {
    name: recorded || pipeline.model === undefined ? RECORDED_OUTPUTS_ROOT_SPAN : PREDICT_ROOT_SPAN,
    spanType: 'CHAIN',
    inputs: record.inputs,
  });

  let outputs: unknown = null;
  let error: RowError | undefined;
  if (recorded) {
    outputs = record.outputs;
    root.end({ outputs });
  } else if (pipeline.model === undefined) {
    error = { code: 'NO_OUTPUTS', message: 'row has no outputs and no model under test is configured' };
    root.end({ error: error.message });
  } else {
    const context: PredictContext = {
      signal,
      rowId: record.id,
      usage,
      startSpan: (options) => root.startChild(options),
    };
    try {
      outputs = await pipeline.model.predict(record.inputs, context);
      if (outputs === undefined) outputs = null;
      root.end({ outputs });
    } catch (caught) {
      error = rowErrorFrom(caught);
      outputs = null;
      root.end({ error: error.message });
    }
  }

  const expectations = record.expectations ?? {};
  const feedbacks: Feedback[] = [];
  if (error === undefined) {
    const trace = { spans: recorder.spans };
    const args: ScorerArgs = { inputs: record.inputs, outputs, expectations, trace, signal, usage };
    const perScorer = await Promise.all(
      pipeline.scorers.map((scorer) => applyScorer(scorer, args, recorder, root.spanId)),
    );
    for (const list of perScorer) feedbacks.push(...list);
  }

  const result: RowResult = {
    id: record.id,
    index: row.index,
    inputs: record.inputs,
    outputs,
    expectations,
    tags: record.tags ?? {},
    feedbacks,
    trace: { spans: recorder.spans },
    usage,
    durationMs: performance.now() - started,
  };
  if (error !== undefined) result.error = error;
  return result;
}

async function applyScorer(
  scorer: Scorer,
  args: ScorerArgs,
  recorder: SpanRecorder,
  rootSpanId: string,
): Promise<Feedback[]> {
  const started = performance.now();
  try {
    const scoped: ScorerArgs = {
      ...args,
      startSpan: (options) => recorder.start(rootSpanId, options),
    };
    return normalizeScore(scorer, await scorer.score(scoped));
  } catch (caught) {
    return [thrownFeedback(scorer, caught)];
  } finally {
    currentRunMetrics()?.scorerDuration(scorer.name, (performance.now() - started) / 1000);
  }
}

function rowErrorFrom(caught: unknown): RowError {
  if (caught instanceof ProviderError) {
    const status = caught.status !== undefined ? ` (HTTP ${caught.status})` : '';
    return { code: `MODEL_${caught.kind.toUpperCase()}`, message: `${caught.message}${status}` };
  }
  return { code: 'MODEL_ERROR', message: errorMessage(caught) };
}
