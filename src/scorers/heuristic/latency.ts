import { z } from 'zod';
import type { Scorer } from '../../core/scorer.js';
import { RECORDED_OUTPUTS_ROOT_SPAN, type RowTrace, rootSpan, type Span } from '../../core/span.js';
import type { CommonScorerOptions, ScorerDefinition } from '../registry.js';
import { codeScorer, parseFactoryOptions } from './support.js';

export const latencyOptionsSchema = z
  .object({
    max_s: z
      .number()
      .positive()
      .optional()
      .describe('Pass (true) when the latency is at most this many seconds'),
    span: z
      .enum(['model', 'root'])
      .default('model')
      .describe(
        'model: the first LLM/CHAT_MODEL span of the model call, else the whole predict span; ' +
          'root: always the whole predict span (end to end, e.g. for agents making several calls)',
      ),
  })
  .strict();
export type LatencyOptions = z.input<typeof latencyOptionsSchema> & CommonScorerOptions;

/**
 * Seconds the model under test took for this row, from the row's trace (or, with `max_s`, whether it
 * stayed within it). Rows with recorded outputs had no model call: no feedback at all.
 */
export function latency(options: LatencyOptions = {}): Scorer {
  const { own, common } = parseFactoryOptions(latencyDefinition, options);
  return buildLatency(own, common);
}

export const latencyDefinition: ScorerDefinition<typeof latencyOptionsSchema> = {
  type: 'latency',
  kind: 'code',
  description: 'seconds the model call took, from the trace (number), or within max_s (bool)',
  needs: ['trace'],
  options: latencyOptionsSchema,
  create: (options, common) => buildLatency(options, common),
};

function buildLatency(options: z.infer<typeof latencyOptionsSchema>, common: CommonScorerOptions): Scorer {
  return codeScorer(latencyDefinition.type, common, ({ trace }, feedback) => {
    const root = rootSpan(trace);
    if (root === undefined) {
      return feedback.error('NO_TRACE', `scorer "${feedback.name}": the row has no trace (no root span)`);
    }
    if (!isFinished(root)) {
      return feedback.error(
        'INCOMPLETE_TRACE',
        `scorer "${feedback.name}": the root span "${root.name}" never ended`,
      );
    }
    const calls = modelCallSpans(trace, root);
    // Recorded outputs: nothing was called, and a ~0 s root span would drag every latency metric down.
    if (root.name === RECORDED_OUTPUTS_ROOT_SPAN && calls.length === 0) return undefined;

    const span = options.span === 'model' ? (calls[0] ?? root) : root;
    const seconds = (span.endTimeMs - span.startTimeMs) / 1000;
    const measured = `${span === root ? 'predict span' : 'model call'} "${span.name}" took ${seconds.toFixed(3)} s`;
    const metadata = { latency_s: String(seconds), span: span.name };
    if (options.max_s === undefined) return feedback.value(seconds, { rationale: measured, metadata });
    return feedback.value(seconds <= options.max_s, {
      rationale: `${measured} (max ${options.max_s} s)`,
      metadata,
    });
  });
}

/**
 * LLM/CHAT_MODEL spans opened during the predict call, in start order. Judge spans join the same trace
 * but start after the root span has ended, so the time bound keeps them out.
 */
export function modelCallSpans(trace: RowTrace, root: Span): Span[] {
  return trace.spans
    .filter(
      (span) =>
        span !== root &&
        (span.spanType === 'LLM' || span.spanType === 'CHAT_MODEL') &&
        isFinished(span) &&
        span.startTimeMs <= root.endTimeMs,
    )
    .sort((a, b) => a.startTimeMs - b.startTimeMs);
}

function isFinished(span: Span): boolean {
  return span.endTimeMs > 0 && span.endTimeMs >= span.startTimeMs;
}
