import { describe, expect, it } from 'vitest';
import type { Scorer } from '../../core/scorer.js';
import { emptyUsage } from '../../core/usage.js';
import { normalizeScore } from '../../runner/normalize.js';
import { jsonValid, jsonValidOptionsSchema } from './json-valid.js';

async function score(scorer: Scorer, outputs: unknown) {
  const raw = await scorer.score({
    inputs: {},
    outputs,
    expectations: {},
    trace: { spans: [] },
    signal: new AbortController().signal,
    usage: emptyUsage(),
  });
  return normalizeScore(scorer, raw);
}

describe('json_valid', () => {
  it('is true for strings that parse as JSON', async () => {
    for (const text of ['{"a": 1}', '[1, 2]', ' "text" ', '3.5', 'null', '{"emoji": "😀", "é": true}']) {
      const [feedback] = await score(jsonValid(), text);
      expect(feedback, text).toMatchObject({
        name: 'json_valid',
        value: true,
        source: { type: 'CODE', id: 'json_valid' },
      });
    }
  });

  it('is false with the parse error as rationale', async () => {
    const [feedback] = await score(jsonValid(), '{"a": 1,}');
    expect(feedback?.value).toBe(false);
    expect(feedback?.rationale).toMatch(/^not valid JSON: /);
    expect((await score(jsonValid(), 'Sure! {"a": 1}'))[0]?.value).toBe(false);
    expect((await score(jsonValid(), ''))[0]).toMatchObject({
      value: false,
      rationale: 'outputs are an empty string',
    });
    expect((await score(jsonValid(), null))[0]).toMatchObject({
      value: false,
      rationale: 'outputs are empty',
    });
  });

  it('is true for outputs that already are structured', async () => {
    expect((await score(jsonValid(), { answer: 'yes' }))[0]?.value).toBe(true);
    expect((await score(jsonValid(), [1, 2]))[0]?.value).toBe(true);
    expect((await score(jsonValid(), 7))[0]?.value).toBe(true);
  });

  it('checks one field with output_key', async () => {
    expect((await score(jsonValid({ output_key: 'raw' }), { raw: '{"x":1}' }))[0]?.value).toBe(true);
    expect((await score(jsonValid({ output_key: 'raw' }), { raw: '{x:1}' }))[0]?.value).toBe(false);
    expect((await score(jsonValid({ output_key: 'raw' }), { text: '{}' }))[0]?.error?.code).toBe(
      'MISSING_OUTPUT_KEY',
    );
  });

  it('has documented defaults and rejects invalid options', () => {
    expect(jsonValidOptionsSchema.parse({})).toEqual({});
    expect(jsonValidOptionsSchema.safeParse({ output_key: 3 }).success).toBe(false);
    expect(jsonValidOptionsSchema.safeParse({ strict: true }).success).toBe(false);
  });
});
