import { describe, expect, it } from 'vitest';
import type { ModelUnderTest } from '../../core/model.js';
import type { Scorer } from '../../core/scorer.js';
import { type RowTrace, type Span, tokenUsageAttribute } from '../../core/span.js';
import { emptyUsage, type Usage } from '../../core/usage.js';
import { normalizeScore } from '../../runner/normalize.js';
import { runRow } from '../../runner/pipeline.js';
import { TOKEN_USAGE_ATTRIBUTE, tokenCount, tokenCountOptionsSchema } from './token-count.js';

async function score(
  scorer: Scorer,
  row: { inputs?: Record<string, unknown>; outputs?: unknown; trace?: RowTrace; usage?: Usage },
) {
  const raw = await scorer.score({
    inputs: row.inputs ?? {},
    outputs: row.outputs,
    expectations: {},
    trace: row.trace ?? { spans: [] },
    signal: new AbortController().signal,
    usage: row.usage ?? emptyUsage(),
  });
  return normalizeScore(scorer, raw);
}

function span(options: {
  id: string;
  parent?: string | null;
  start?: number;
  end?: number;
  usage?: unknown;
}): Span {
  const result: Span = {
    spanId: options.id,
    parentId: options.parent === undefined ? 'root' : options.parent,
    name: options.id,
    spanType: options.parent === null ? 'CHAIN' : 'CHAT_MODEL',
    startTimeMs: options.start ?? 1000,
    endTimeMs: options.end ?? 2000,
    attributes: {},
    status: { code: 'OK' },
  };
  if (options.usage !== undefined) result.attributes[TOKEN_USAGE_ATTRIBUTE] = options.usage;
  return result;
}

const usage = (input: number, output: number) => ({
  input_tokens: input,
  output_tokens: output,
  total_tokens: input + output,
});
const traceWith = (...spans: Span[]): RowTrace => ({
  spans: [span({ id: 'root', parent: null, end: 5000 }), ...spans],
});

describe('token_count', () => {
  it('reads mlflow.chat.tokenUsage from the model span: output tokens by default', async () => {
    const trace = traceWith(span({ id: 'chat', usage: usage(12, 34) }));
    const [feedback] = await score(tokenCount(), { trace, outputs: 'ignored' });
    expect(feedback).toMatchObject({
      name: 'token_count',
      value: 34,
      rationale: '34 output tokens (from the trace)',
      source: { type: 'CODE', id: 'token_count' },
      metadata: { source: 'trace', output_tokens: '34' },
    });
    expect(feedback?.metadata?.approximate).toBeUndefined();
    expect((await score(tokenCount({ kind: 'input' }), { trace }))[0]?.value).toBe(12);
    expect((await score(tokenCount({ kind: 'total' }), { trace }))[0]?.value).toBe(46);
  });

  it('accepts the attribute as JSON text, and derives a missing count from the others', async () => {
    const asText = traceWith(span({ id: 'chat', usage: JSON.stringify(usage(5, 7)) }));
    expect((await score(tokenCount(), { trace: asText }))[0]?.value).toBe(7);
    const partial = traceWith(span({ id: 'chat', usage: { input_tokens: 10, total_tokens: 25 } }));
    expect((await score(tokenCount(), { trace: partial }))[0]?.value).toBe(15);
  });

  it('sums several calls without counting a parent that carries its children twice', async () => {
    const trace: RowTrace = {
      spans: [
        span({ id: 'root', parent: null, end: 5000, usage: usage(30, 30) }),
        span({ id: 'agent', usage: usage(30, 30) }),
        span({ id: 'call1', parent: 'agent', usage: usage(10, 10) }),
        span({ id: 'call2', parent: 'agent', usage: usage(20, 20) }),
      ],
    };
    expect((await score(tokenCount({ kind: 'total' }), { trace }))[0]?.value).toBe(60);
  });

  it('leaves out judge spans, which start after the model call ended', async () => {
    const trace = traceWith(
      span({ id: 'chat', usage: usage(1, 2) }),
      span({ id: 'judge', start: 6000, end: 7000, usage: usage(500, 9) }),
    );
    expect((await score(tokenCount(), { trace }))[0]?.value).toBe(2);
  });

  it('falls back to the usage the model reported for the row', async () => {
    const rowUsage = emptyUsage();
    rowUsage.model = { inputTokens: 3, outputTokens: 8, totalTokens: 11 };
    rowUsage.judge = { inputTokens: 900, outputTokens: 900, totalTokens: 1800 };
    const [feedback] = await score(tokenCount(), { trace: traceWith(), usage: rowUsage, outputs: 'x' });
    expect(feedback).toMatchObject({ value: 8, metadata: { source: 'usage' } });
  });

  it('approximates from the text (chars / 4) when no usage is recorded, and says so', async () => {
    const [feedback] = await score(tokenCount(), { outputs: 'abcdefghij' });
    expect(feedback).toMatchObject({
      value: 3,
      metadata: { approximate: 'true', source: 'approximation', output_tokens: '3' },
    });
    expect(feedback?.rationale).toContain('approximated');
    expect((await score(tokenCount(), { outputs: '😀😀😀😀😀' }))[0]?.value).toBe(2);
    expect((await score(tokenCount(), { outputs: '' }))[0]?.value).toBe(0);
    expect((await score(tokenCount(), { outputs: null }))[0]?.value).toBe(0);
    expect((await score(tokenCount(), { outputs: { a: 'bcd' } }))[0]?.value).toBe(3); // {"a":"bcd"}: 11 chars
    const inputs = { question: 'abcdefgh' };
    expect((await score(tokenCount({ kind: 'input' }), { inputs, outputs: 'abcd' }))[0]?.value).toBe(2);
    expect((await score(tokenCount({ kind: 'total' }), { inputs, outputs: 'abcd' }))[0]?.value).toBe(3);
  });

  it('turns into pass/fail with max', async () => {
    const trace = traceWith(span({ id: 'chat', usage: usage(12, 34) }));
    const [fail] = await score(tokenCount({ max: 30 }), { trace });
    expect(fail).toMatchObject({ value: false, rationale: '34 output tokens (from the trace) (max 30)' });
    expect((await score(tokenCount({ max: 34 }), { trace }))[0]?.value).toBe(true);
    expect((await score(tokenCount({ max: 0 }), { outputs: '' }))[0]?.value).toBe(true);
  });

  it('reads the real pipeline trace', async () => {
    const model: ModelUnderTest = {
      name: 'fake',
      async predict(_inputs, context) {
        const call = context.startSpan({
          name: 'chat',
          spanType: 'CHAT_MODEL',
          attributes: {
            [TOKEN_USAGE_ATTRIBUTE]: tokenUsageAttribute({
              inputTokens: 21,
              outputTokens: 4,
              totalTokens: 25,
            }),
          },
        });
        call.end({ outputs: 'four' });
        return 'four';
      },
      close: async () => {},
    };
    const pipeline = { model, scorers: [tokenCount({ kind: 'total' })], close: async () => {} };
    const location = { source: '<inline>', line: 1 };
    const signal = new AbortController().signal;
    const predicted = await runRow(
      { record: { id: 'a', inputs: { q: 'x' } }, index: 0, location },
      pipeline,
      signal,
    );
    expect(predicted.feedbacks[0]).toMatchObject({ value: 25, metadata: { source: 'trace' } });
    const recorded = await runRow(
      { record: { id: 'b', inputs: { q: 'x' }, outputs: 'recorded answer' }, index: 1, location },
      pipeline,
      signal,
    );
    // 'x' (1 char → 1) + 'recorded answer' (15 chars → 4)
    expect(recorded.feedbacks[0]).toMatchObject({ value: 5, metadata: { approximate: 'true' } });
  });

  it('has documented defaults and rejects invalid options', () => {
    expect(tokenCountOptionsSchema.parse({})).toEqual({ kind: 'output' });
    expect(tokenCountOptionsSchema.safeParse({ kind: 'reasoning' }).success).toBe(false);
    expect(tokenCountOptionsSchema.safeParse({ max: -1 }).success).toBe(false);
    expect(tokenCountOptionsSchema.safeParse({ max: 1.5 }).success).toBe(false);
    expect(tokenCountOptionsSchema.safeParse({ limit: 10 }).success).toBe(false);
  });
});
