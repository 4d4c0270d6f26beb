import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../core/errors.js';
import type { Scorer } from '../../core/scorer.js';
import { emptyUsage } from '../../core/usage.js';
import { normalizeScore } from '../../runner/normalize.js';
import { exactMatch, exactMatchDefinition, exactMatchOptionsSchema } from './exact-match.js';

async function score(scorer: Scorer, row: { outputs?: unknown; expectations?: Record<string, unknown> }) {
  const raw = await scorer.score({
    inputs: {},
    outputs: row.outputs,
    expectations: row.expectations ?? {},
    trace: { spans: [] },
    signal: new AbortController().signal,
    usage: emptyUsage(),
  });
  return normalizeScore(scorer, raw);
}

const expected = (value: unknown) => ({ expected_response: value });

describe('exact_match', () => {
  it('is true for equal text and false otherwise, as a CODE feedback named after the scorer', async () => {
    const [hit] = await score(exactMatch(), { outputs: 'Paris', expectations: expected('Paris') });
    expect(hit).toMatchObject({
      name: 'exact_match',
      value: true,
      source: { type: 'CODE', id: 'exact_match' },
    });
    const [miss] = await score(exactMatch(), { outputs: 'Lyon', expectations: expected('Paris') });
    expect(miss?.value).toBe(false);
    expect(miss?.rationale).toContain('"Lyon"');
    expect(miss?.rationale).toContain('"Paris"');
  });

  it('trims by default and compares case by default', async () => {
    expect(
      (await score(exactMatch(), { outputs: '  Paris\n', expectations: expected('Paris') }))[0]?.value,
    ).toBe(true);
    expect(
      (await score(exactMatch({ trim: false }), { outputs: ' Paris', expectations: expected('Paris') }))[0]
        ?.value,
    ).toBe(false);
    expect((await score(exactMatch(), { outputs: 'paris', expectations: expected('Paris') }))[0]?.value).toBe(
      false,
    );
    expect(
      (
        await score(exactMatch({ case_sensitive: false }), {
          outputs: 'PARIS',
          expectations: expected('paris'),
        })
      )[0]?.value,
    ).toBe(true);
  });

  it('handles unicode and empty strings', async () => {
    expect(
      (await score(exactMatch(), { outputs: 'café ☕', expectations: expected('café ☕') }))[0]?.value,
    ).toBe(true);
    expect(
      (
        await score(exactMatch({ case_sensitive: false }), {
          outputs: 'ÉCOLE',
          expectations: expected('école'),
        })
      )[0]?.value,
    ).toBe(true);
    expect((await score(exactMatch(), { outputs: '', expectations: expected('') }))[0]?.value).toBe(true);
    expect((await score(exactMatch(), { outputs: 'x', expectations: expected('') }))[0]?.value).toBe(false);
    // No output (null) is the empty string, not the text "null".
    expect((await score(exactMatch(), { outputs: null, expectations: expected('null') }))[0]?.value).toBe(
      false,
    );
  });

  it('compares non-string values as canonical JSON', async () => {
    const objects = await score(exactMatch(), {
      outputs: { b: 1, a: [2, 3] },
      expectations: expected({ a: [2, 3], b: 1 }),
    });
    expect(objects[0]?.value).toBe(true);
    expect((await score(exactMatch(), { outputs: 42, expectations: expected('42') }))[0]?.value).toBe(true);
    expect((await score(exactMatch(), { outputs: true, expectations: expected(false) }))[0]?.value).toBe(
      false,
    );
  });

  it('picks a field of the outputs with output_key, and another expectation with expectation_key', async () => {
    const scorer = exactMatch({ output_key: 'answer', expectation_key: 'answer' });
    expect(
      (
        await score(scorer, { outputs: { answer: 'Paris', sources: [] }, expectations: { answer: 'Paris' } })
      )[0]?.value,
    ).toBe(true);
    const [missing] = await score(scorer, { outputs: { text: 'Paris' }, expectations: { answer: 'Paris' } });
    expect(missing).toMatchObject({ value: null, error: { code: 'MISSING_OUTPUT_KEY' } });
    const [notObject] = await score(scorer, { outputs: 'Paris', expectations: { answer: 'Paris' } });
    expect(notObject?.error?.code).toBe('MISSING_OUTPUT_KEY');
  });

  it('is an error feedback, never false, when the expectation is missing or null', async () => {
    for (const expectations of [{}, { expected_response: null }, { other: 'Paris' }]) {
      const [feedback] = await score(exactMatch(), { outputs: 'Paris', expectations });
      expect(feedback).toMatchObject({
        name: 'exact_match',
        value: null,
        error: { code: 'MISSING_EXPECTATION' },
      });
      expect(feedback?.error?.message).toContain('expected_response');
    }
  });

  it('takes name and aggregations from the common options', async () => {
    const scorer = await exactMatchDefinition.create(
      exactMatchOptionsSchema.parse({}),
      { name: 'answer_exact', aggregations: ['mean', 'p90'] },
      { baseDir: '.', env: {} as never, judges: {} as never },
    );
    expect(scorer.aggregations).toEqual(['mean', 'p90']);
    const [feedback] = await score(scorer, { outputs: 'a', expectations: expected('a') });
    expect(feedback).toMatchObject({ name: 'answer_exact', source: { type: 'CODE', id: 'answer_exact' } });
    expect(exactMatch({ name: 'em' }).name).toBe('em');
  });

  it('has documented defaults and rejects invalid options', () => {
    expect(exactMatchOptionsSchema.parse({})).toEqual({
      case_sensitive: true,
      trim: true,
      expectation_key: 'expected_response',
    });
    expect(exactMatchOptionsSchema.safeParse({ case_sensitive: 'yes' }).success).toBe(false);
    expect(exactMatchOptionsSchema.safeParse({ casesensitive: false }).success).toBe(false);
    expect(exactMatchOptionsSchema.safeParse({ output_key: '' }).success).toBe(false);
    expect(() => exactMatch({ trim: 'no' } as never)).toThrow(ConfigError);
    try {
      exactMatch({ trim: 'no' } as never);
    } catch (caught) {
      expect((caught as ConfigError).field).toBe('trim');
    }
  });
});
