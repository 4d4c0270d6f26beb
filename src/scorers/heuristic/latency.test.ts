import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import type { ModelUnderTest } from '../../core/model.js';
import type { Scorer } from '../../core/scorer.js';
import type { RowTrace, Span, SpanType } from '../../core/span.js';
import { emptyUsage } from '../../core/usage.js';
import { normalizeScore } from '../../runner/normalize.js';
import { runRow } from '../../runner/pipeline.js';
import { latency, latencyOptionsSchema } from './latency.js';

async function score(scorer: Scorer, trace: RowTrace) {
  const raw = await scorer.score({
    inputs: {},
    outputs: 'x',
    expectations: {},
    trace,
    signal: new AbortController().signal,
    usage: emptyUsage(),
  });
  return normalizeScore(scorer, raw);
}

let counter = 0;
function span(
  name: string,
  type: SpanType,
  startTimeMs: number,
  endTimeMs: number,
  parentId: string | null = 'root',
): Span {
  counter += 1;
  return {
    spanId: parentId === null ? 'root' : `span${counter}`,
    parentId,
    name,
    spanType: type,
    startTimeMs,
    endTimeMs,
    attributes: {},
    status: { code: 'OK' },
  };
}

const root = (name = 'predict', end = 6000) => span(name, 'CHAIN', 1000, end, null);

describe('latency', () => {
  it('uses the first LLM/CHAT_MODEL span of the model call, in seconds', async () => {
    // Spans are recorded in end order; the scorer orders them by start.
    const trace = {
      spans: [span('second', 'LLM', 4000, 4500), span('chat', 'CHAT_MODEL', 2000, 3500), root()],
    };
    const [feedback] = await score(latency(), trace);
    expect(feedback).toMatchObject({
      name: 'latency',
      value: 1.5,
      source: { type: 'CODE', id: 'latency' },
      metadata: { latency_s: '1.5', span: 'chat' },
    });
    expect(feedback?.rationale).toBe('model call "chat" took 1.500 s');
  });

  it('uses the whole predict span with span: root, or when there is no model span', async () => {
    const withCall = {
      spans: [span('chat', 'CHAT_MODEL', 2000, 3500), span('tool', 'TOOL', 3600, 3700), root()],
    };
    expect((await score(latency({ span: 'root' }), withCall))[0]?.value).toBe(5);
    const withoutCall = { spans: [span('tool', 'TOOL', 2000, 2100), root()] };
    const [feedback] = await score(latency(), withoutCall);
    expect(feedback).toMatchObject({ value: 5, rationale: 'predict span "predict" took 5.000 s' });
  });

  it('ignores judge spans, which start after the model call ended', async () => {
    const trace = { spans: [root('predict', 3000), span('judge', 'LLM', 3100, 9000)] };
    expect((await score(latency(), trace))[0]?.value).toBe(2);
  });

  it('gives no feedback for rows with recorded outputs', async () => {
    expect(
      await latency().score({
        inputs: {},
        outputs: 'x',
        expectations: {},
        trace: { spans: [root('root_span', 1000)] },
        signal: new AbortController().signal,
        usage: emptyUsage(),
      }),
    ).toBeUndefined();
  });

  it('turns into pass/fail with max_s', async () => {
    const trace = { spans: [span('chat', 'CHAT_MODEL', 2000, 3500), root()] };
    const [pass] = await score(latency({ max_s: 2 }), trace);
    expect(pass).toMatchObject({ value: true, rationale: 'model call "chat" took 1.500 s (max 2 s)' });
    expect((await score(latency({ max_s: 1.5 }), trace))[0]?.value).toBe(true);
    expect((await score(latency({ max_s: 1.2 }), trace))[0]?.value).toBe(false);
  });

  it('is an error feedback when the trace has no root span or it never ended', async () => {
    const [empty] = await score(latency(), { spans: [] });
    expect(empty).toMatchObject({ value: null, error: { code: 'NO_TRACE' } });
    const [open] = await score(latency(), { spans: [{ ...root(), endTimeMs: 0 }] });
    expect(open).toMatchObject({ value: null, error: { code: 'INCOMPLETE_TRACE' } });
  });

  it('reads the real pipeline trace: the model span for predicted rows, nothing for recorded ones', async () => {
    const model: ModelUnderTest = {
      name: 'fake',
      async predict(_inputs, context) {
        const call = context.startSpan({ name: 'chat', spanType: 'CHAT_MODEL' });
        await sleep(5);
        call.end({ outputs: 'hi' });
        return 'hi';
      },
      close: async () => {},
    };
    const pipeline = { model, scorers: [latency()], close: async () => {} };
    const signal = new AbortController().signal;
    const location = { source: '<inline>', line: 1 };
    const predicted = await runRow(
      { record: { id: 'a', inputs: { q: 1 } }, index: 0, location },
      pipeline,
      signal,
    );
    const chat = predicted.trace.spans.find((s) => s.name === 'chat');
    expect(predicted.feedbacks).toHaveLength(1);
    expect(predicted.feedbacks[0]?.value).toBe((chat!.endTimeMs - chat!.startTimeMs) / 1000);

    const recorded = await runRow(
      { record: { id: 'b', inputs: { q: 2 }, outputs: 'recorded' }, index: 1, location },
      pipeline,
      signal,
    );
    expect(recorded.trace.spans).toHaveLength(1);
    expect(recorded.feedbacks).toEqual([]);
  });

  it('has documented defaults and rejects invalid options', () => {
    expect(latencyOptionsSchema.parse({})).toEqual({ span: 'model' });
    expect(latencyOptionsSchema.safeParse({ max_s: 0 }).success).toBe(false);
    expect(latencyOptionsSchema.safeParse({ max_s: '2' }).success).toBe(false);
    expect(latencyOptionsSchema.safeParse({ span: 'first' }).success).toBe(false);
    expect(latencyOptionsSchema.safeParse({ max_ms: 100 }).success).toBe(false);
  });
});
