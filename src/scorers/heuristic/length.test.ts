import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../core/errors.js';
import type { Scorer } from '../../core/scorer.js';
import { emptyUsage } from '../../core/usage.js';
import { normalizeScore } from '../../runner/normalize.js';
import { length, lengthOptionsSchema } from './length.js';

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

describe('length', () => {
  it('is the number of characters by default', async () => {
    const [feedback] = await score(length(), 'hello world');
    expect(feedback).toMatchObject({
      name: 'length',
      value: 11,
      rationale: '11 chars',
      source: { type: 'CODE', id: 'length' },
      metadata: { length: '11', unit: 'chars' },
    });
  });

  it('counts code points and words', async () => {
    expect((await score(length(), 'héllo 😀'))[0]?.value).toBe(7);
    expect((await score(length(), ''))[0]?.value).toBe(0);
    expect((await score(length(), null))[0]?.value).toBe(0);
    const words = length({ unit: 'words' });
    expect((await score(words, '  one two\n\tthree  '))[0]?.value).toBe(3);
    expect((await score(words, 'déjà vu 😀'))[0]?.value).toBe(3);
    expect((await score(words, '   '))[0]?.value).toBe(0);
    expect((await score(words, 'x'))[0]?.rationale).toBe('1 word');
  });

  it('measures non-string outputs as JSON text, or a field with output_key', async () => {
    expect((await score(length(), { a: 1 }))[0]?.value).toBe(7);
    expect((await score(length({ output_key: 'text' }), { text: 'abc', meta: 'zzzzz' }))[0]?.value).toBe(3);
    expect((await score(length({ output_key: 'text' }), 'abc'))[0]?.error?.code).toBe('MISSING_OUTPUT_KEY');
  });

  it('is a bool when bounds are given, with the length in the rationale', async () => {
    const bounded = length({ unit: 'words', min: 2, max: 4 });
    expect((await score(bounded, 'one'))[0]).toMatchObject({
      value: false,
      rationale: '1 word (allowed 2..4)',
    });
    expect((await score(bounded, 'one two'))[0]?.value).toBe(true);
    expect((await score(bounded, 'one two three four'))[0]?.value).toBe(true);
    expect((await score(bounded, 'one two three four five'))[0]?.value).toBe(false);
    expect((await score(length({ max: 3 }), 'abcd'))[0]).toMatchObject({
      value: false,
      rationale: '4 chars (at most 3)',
    });
    expect((await score(length({ min: 1 }), ''))[0]).toMatchObject({
      value: false,
      rationale: '0 chars (at least 1)',
    });
    expect((await score(length({ min: 0, max: 0 }), ''))[0]?.value).toBe(true);
  });

  it('has documented defaults and rejects invalid options', () => {
    expect(lengthOptionsSchema.parse({})).toEqual({ unit: 'chars' });
    expect(lengthOptionsSchema.safeParse({ unit: 'tokens' }).success).toBe(false);
    expect(lengthOptionsSchema.safeParse({ min: -1 }).success).toBe(false);
    expect(lengthOptionsSchema.safeParse({ max: 2.5 }).success).toBe(false);
    expect(lengthOptionsSchema.safeParse({ minimum: 1 }).success).toBe(false);
    const inverted = lengthOptionsSchema.safeParse({ min: 5, max: 2 });
    expect(inverted.error?.issues[0]?.path).toEqual(['max']);
    expect(() => length({ min: 5, max: 2 })).toThrow(ConfigError);
  });
});
