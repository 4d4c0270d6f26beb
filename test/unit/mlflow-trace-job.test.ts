import { describe, expect, it } from 'vitest';
import type { RowResult } from '../../src/core/result.js';
import type { Span } from '../../src/core/span.js';
import { emptyUsage } from '../../src/core/usage.js';
import { rootSpanIdFor, traceIdFor } from '../../src/sinks/mlflow/trace-ids.js';
import { buildTraceJob, missingAssessments, type TraceContext } from '../../src/sinks/mlflow/trace-job.js';

const context: TraceContext = {
  runId: 'r'.repeat(32),
  experimentId: '7',
  user: 'ada',
  sourceName: 'eval.yaml',
  sourceType: 'LOCAL',
};

function span(partial: Partial<Span> & Pick<Span, 'spanId' | 'parentId' | 'name'>): Span {
  return {
    spanType: 'CHAIN',
    startTimeMs: 1_700_000_000_000.25,
    endTimeMs: 1_700_000_000_250.5,
    attributes: {},
    status: { code: 'OK' },
    ...partial,
  };
}

function result(overrides: Partial<RowResult> = {}): RowResult {
  return {
    id: 'row-1',
    index: 0,
    inputs: { question: 'What is 2+2?' },
    outputs: '4',
    expectations: { expected_response: '4', expected_facts: ['four', 'even'] },
    tags: { topic: 'math', 'mlflow.traceName': 'hijack' },
    feedbacks: [
      { name: 'exact_match', value: true, source: { type: 'CODE', id: 'exact_match' } },
      {
        name: 'correctness',
        value: 'yes',
        rationale: 'right',
        source: { type: 'LLM_JUDGE', id: 'openai:/gpt-4.1-mini' },
        metadata: { cost: '0.1' },
      },
      {
        name: 'broken',
        value: null,
        error: { code: 'SCORER_ERROR', message: 'boom', stack: 'trace' },
        source: { type: 'CODE', id: 'broken' },
      },
    ],
    trace: {
      spans: [
        span({
          spanId: 'aaaaaaaaaaaaaaaa',
          parentId: null,
          name: 'predict',
          inputs: { question: 'What is 2+2?' },
          outputs: '4',
        }),
        span({
          spanId: 'bbbbbbbbbbbbbbbb',
          parentId: 'aaaaaaaaaaaaaaaa',
          name: 'model',
          spanType: 'LLM',
          attributes: { 'mlflow.chat.tokenUsage': { input_tokens: 3, output_tokens: 2, total_tokens: 5 } },
        }),
        span({
          spanId: 'cccccccccccccccc',
          parentId: 'bbbbbbbbbbbbbbbb',
          name: 'inner',
          spanType: 'LLM',
          attributes: {
            'mlflow.chat.tokenUsage': { input_tokens: 100, output_tokens: 100, total_tokens: 200 },
          },
        }),
        span({
          spanId: 'dddddddddddddddd',
          parentId: 'aaaaaaaaaaaaaaaa',
          name: 'judge',
          spanType: 'LLM',
          attributes: { 'mlflow.chat.tokenUsage': { input_tokens: 10, output_tokens: 1, total_tokens: 11 } },
        }),
      ],
    },
    usage: emptyUsage(),
    durationMs: 250,
    ...overrides,
  };
}

describe('buildTraceJob', () => {
  it('derives trace, root span and assessment ids from (run, row): the same every time', () => {
    const a = buildTraceJob(result(), context);
    const b = buildTraceJob(result(), context);
    expect(a.traceId).toBe(`tr-${traceIdFor(context.runId, 'row-1')}`);
    expect(a.rootSpanId).toBe(rootSpanIdFor(context.runId, 'row-1'));
    expect(a.assessments.map((x) => x.assessment_id)).toEqual(b.assessments.map((x) => x.assessment_id));
    expect(new Set(a.assessments.map((x) => x.assessment_id)).size).toBe(a.assessments.length);
    for (const x of a.assessments) expect(x.assessment_id).toMatch(/^a-[0-9a-f]{32}$/);
    const otherRun = buildTraceJob(result(), { ...context, runId: 's'.repeat(32) });
    expect(otherRun.traceId).not.toBe(a.traceId);
  });

  it('re-keys the root span and its children to the derived root id', () => {
    const job = buildTraceJob(result(), context);
    const root = job.spans.find((s) => s.parentId === null);
    expect(root?.spanId).toBe(job.rootSpanId);
    expect(job.spans.find((s) => s.name === 'model')?.parentId).toBe(job.rootSpanId);
    expect(job.spans.find((s) => s.name === 'inner')?.parentId).toBe('bbbbbbbbbbbbbbbb');
  });

  it('writes trace info as Python does: metadata, tags, previews, state, duration', () => {
    const { traceInfo } = buildTraceJob(result(), context);
    expect(traceInfo.trace_metadata).toMatchObject({
      'mlflow.sourceRun': context.runId,
      'mlflow.trace_schema.version': '3',
      'mlflow.traceInputs': '{"question": "What is 2+2?"}',
      'mlflow.traceOutputs': '"4"',
      'mlflow.user': 'ada',
      'mlflow.source.name': 'eval.yaml',
      'mlflow.source.type': 'LOCAL',
    });
    // Nested usage (inner under model) counts once: model 5 + judge 11.
    expect(JSON.parse(traceInfo.trace_metadata?.['mlflow.trace.tokenUsage'] ?? '')).toEqual({
      input_tokens: 13,
      output_tokens: 3,
      total_tokens: 16,
    });
    expect(traceInfo.tags).toEqual({
      topic: 'math',
      'mlflow.traceName': 'predict',
      'mlflow.eval.requestId': 'row-1',
    });
    expect(traceInfo.state).toBe('OK');
    expect(traceInfo.execution_duration).toBe('0.250s');
    expect(traceInfo.request_time).toBe(new Date(1_700_000_000_000).toISOString());
    expect(traceInfo.trace_location).toEqual({
      type: 'MLFLOW_EXPERIMENT',
      mlflow_experiment: { experiment_id: '7' },
    });
  });

  it('writes expectations as HUMAN (dicts and lists serialized) then feedbacks, all on the root span', () => {
    const job = buildTraceJob(result(), context);
    const [response, facts, exact, correctness, broken] = job.assessments;
    expect(response).toMatchObject({
      assessment_name: 'expected_response',
      source: { source_type: 'HUMAN', source_id: 'ada' },
      expectation: { value: '4' },
    });
    expect(facts?.expectation).toEqual({
      serialized_value: { serialization_format: 'JSON_FORMAT', value: '["four", "even"]' },
    });
    expect(exact).toMatchObject({
      source: { source_type: 'CODE', source_id: 'exact_match' },
      feedback: { value: true },
    });
    expect(correctness).toMatchObject({
      rationale: 'right',
      source: { source_type: 'LLM_JUDGE', source_id: 'openai:/gpt-4.1-mini' },
    });
    expect(correctness?.metadata).toEqual({ cost: '0.1', 'mlflow.assessment.sourceRunId': context.runId });
    expect(broken?.feedback).toEqual({
      error: { error_code: 'SCORER_ERROR', error_message: 'boom', stack_trace: 'trace' },
    });
    for (const a of job.assessments) {
      expect(a.span_id).toBe(job.rootSpanId);
      expect(a.create_time).toBe(new Date(1_700_000_000_250).toISOString());
    }
  });

  it('uses "unknown" as the expectation source without a user, and ERROR state for a failed row', () => {
    const failed = result({ error: { code: 'MODEL_HTTP', message: 'down' }, feedbacks: [], outputs: null });
    const job = buildTraceJob(failed, { ...context, user: '' });
    expect(job.traceInfo.state).toBe('ERROR');
    expect(job.assessments.map((a) => a.source.source_id)).toEqual(['unknown', 'unknown']);
  });

  it('makes a minimal root span for a row without spans', () => {
    const job = buildTraceJob(result({ trace: { spans: [] } }), context);
    expect(job.spans).toHaveLength(1);
    expect(job.spans[0]).toMatchObject({
      name: 'root_span',
      spanType: 'CHAIN',
      spanId: job.rootSpanId,
      inputs: { question: 'What is 2+2?' },
    });
  });

  it('previews a chat request by its last user message', () => {
    const chat = result({
      inputs: {
        messages: [
          { role: 'system', content: 's' },
          { role: 'user', content: 'hello' },
        ],
      },
      trace: { spans: [] },
    });
    expect(buildTraceJob(chat, context).traceInfo.request_preview).toBe('hello');
  });
});

describe('missingAssessments', () => {
  it('matches by id, or by name + source + value / error, counting duplicates', () => {
    const job = buildTraceJob(result(), context);
    const all = job.assessments;
    expect(missingAssessments(all, all)).toEqual([]);
    expect(missingAssessments(all, [])).toEqual(all);
    // Written by someone else without our ids: matched by content.
    const foreign = all
      .slice(0, 3)
      .map(({ assessment_id: _id, ...rest }) => ({ ...rest, assessment_id: 'a-other' }));
    expect(missingAssessments(all, foreign).map((a) => a.assessment_name)).toEqual(['correctness', 'broken']);
    // A different value is not the same assessment.
    const changed = { ...(all[2] as (typeof all)[number]), assessment_id: 'a-x', feedback: { value: false } };
    expect(missingAssessments([all[2] as (typeof all)[number]], [changed])).toHaveLength(1);
    // The server returns an error feedback with value null; it still matches.
    const stored = {
      ...(all[4] as (typeof all)[number]),
      assessment_id: 'a-y',
      feedback: { value: null, error: all[4]?.feedback?.error },
    };
    expect(missingAssessments([all[4] as (typeof all)[number]], [stored])).toEqual([]);
  });
});
