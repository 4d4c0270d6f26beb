import { describe, expect, it } from 'vitest';
import { ProviderError } from '../core/errors.js';
import type { ModelUnderTest } from '../core/model.js';
import type { DatasetRow } from '../core/record.js';
import type { Scorer } from '../core/scorer.js';
import { type RowPipeline, runRow } from './pipeline.js';

const signal = new AbortController().signal;

function row(record: DatasetRow['record']): DatasetRow {
  return { record, index: 3, location: { source: 'x.jsonl', line: 4 } };
}

function pipeline(model: ModelUnderTest | undefined, scorers: Scorer[]): RowPipeline {
  return { model, scorers, close: async () => undefined };
}

const echoModel: ModelUnderTest = {
  name: 'echo',
  async predict(inputs, context) {
    const span = context.startSpan({ name: 'llm', spanType: 'LLM', inputs });
    context.usage.model.inputTokens += 3;
    context.usage.model.outputTokens += 2;
    context.usage.model.totalTokens += 5;
    context.usage.modelCalls += 1;
    span.end({ outputs: String(inputs.q) });
    return `answer to ${String(inputs.q)}`;
  },
  close: async () => undefined,
};

describe('runRow', () => {
  it('uses recorded outputs without calling the model and runs every scorer', async () => {
    let called = false;
    const model: ModelUnderTest = {
      ...echoModel,
      predict: async () => {
        called = true;
        return 'x';
      },
    };
    const scorers: Scorer[] = [
      { name: 'is_paris', kind: 'code', score: ({ outputs }) => outputs === 'Paris' },
      { name: 'len', kind: 'code', score: ({ outputs }) => String(outputs).length },
    ];
    const result = await runRow(
      row({
        id: 'r1',
        inputs: { q: 'capital?' },
        outputs: 'Paris',
        expectations: { expected_response: 'Paris' },
      }),
      pipeline(model, scorers),
      signal,
    );
    expect(called).toBe(false);
    expect(result.id).toBe('r1');
    expect(result.index).toBe(3);
    expect(result.outputs).toBe('Paris');
    expect(result.feedbacks.map((f) => [f.name, f.value])).toEqual([
      ['is_paris', true],
      ['len', 5],
    ]);
    expect(result.trace.spans).toHaveLength(1);
    expect(result.trace.spans[0]).toMatchObject({
      name: 'root_span',
      spanType: 'CHAIN',
      parentId: null,
      outputs: 'Paris',
    });
  });

  it('calls the model, records its child span and usage, and gives scorers the trace', async () => {
    let seenSpans = 0;
    const scorers: Scorer[] = [
      {
        name: 'spans',
        kind: 'code',
        score: ({ trace }) => {
          seenSpans = trace.spans.length;
          return true;
        },
      },
    ];
    const result = await runRow(
      row({ id: 'r2', inputs: { q: 'why' } }),
      pipeline(echoModel, scorers),
      signal,
    );
    expect(result.outputs).toBe('answer to why');
    expect(result.error).toBeUndefined();
    expect(seenSpans).toBe(2);
    const root = result.trace.spans.find((s) => s.parentId === null);
    const child = result.trace.spans.find((s) => s.parentId !== null);
    expect(root?.name).toBe('predict');
    expect(child).toMatchObject({
      name: 'llm',
      spanType: 'LLM',
      parentId: root?.spanId,
      status: { code: 'OK' },
    });
    expect(result.usage.model.totalTokens).toBe(5);
    expect(result.usage.modelCalls).toBe(1);
  });

  it('a failing model call becomes the row error, with no feedbacks and an ERROR root span', async () => {
    const failing: ModelUnderTest = {
      ...echoModel,
      predict: async () => {
        throw new ProviderError({
          message: 'upstream said no',
          url: 'http://m/v1',
          kind: 'http',
          status: 500,
          retryable: true,
        });
      },
    };
    let scored = false;
    const result = await runRow(
      row({ id: 'r3', inputs: { q: 'x' } }),
      pipeline(failing, [
        {
          name: 's',
          kind: 'code',
          score: () => {
            scored = true;
            return 1;
          },
        },
      ]),
      signal,
    );
    expect(scored).toBe(false);
    expect(result.error).toEqual({ code: 'MODEL_HTTP', message: 'upstream said no (HTTP 500)' });
    expect(result.outputs).toBeNull();
    expect(result.feedbacks).toEqual([]);
    expect(result.trace.spans[0]?.status.code).toBe('ERROR');
  });

  it('a throwing scorer becomes an error feedback and the other scorers still run', async () => {
    const result = await runRow(
      row({ id: 'r4', inputs: { q: 'x' }, outputs: 'y' }),
      pipeline(undefined, [
        {
          name: 'boom',
          kind: 'code',
          score: () => {
            throw new Error('division by zero');
          },
        },
        { name: 'ok', kind: 'code', score: () => 1 },
      ]),
      signal,
    );
    expect(result.feedbacks).toHaveLength(2);
    expect(result.feedbacks[0]).toMatchObject({ name: 'boom', value: null, error: { code: 'SCORER_ERROR' } });
    expect(result.feedbacks[1]).toMatchObject({ name: 'ok', value: 1 });
  });

  it('lets scorers record spans under the root (judge calls)', async () => {
    const result = await runRow(
      row({ id: 'r5', inputs: { q: 'x' }, outputs: 'y' }),
      pipeline(undefined, [
        {
          name: 'judge',
          kind: 'llm_judge',
          score: (args) => {
            args.startSpan?.({ name: 'judge/call', spanType: 'LLM' }).end({ outputs: '{"result":"yes"}' });
            return 'yes';
          },
        },
      ]),
      signal,
    );
    const root = result.trace.spans.find((s) => s.parentId === null);
    expect(result.trace.spans.find((s) => s.name === 'judge/call')?.parentId).toBe(root?.spanId);
  });
});
