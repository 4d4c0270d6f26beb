import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../core/errors.js';
import type { Scorer } from '../../core/scorer.js';
import { emptyUsage } from '../../core/usage.js';
import { normalizeScore } from '../../runner/normalize.js';
import { contains, containsOptionsSchema } from './contains.js';

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

async function value(scorer: Scorer, outputs: unknown, expectations: Record<string, unknown> = {}) {
  return (await score(scorer, { outputs, expectations }))[0]?.value;
}

describe('contains', () => {
  it('checks one value, case-insensitively by default', async () => {
    expect(await value(contains({ value: 'paris' }), 'The capital is Paris.')).toBe(true);
    expect(await value(contains({ value: 'paris', case_sensitive: true }), 'The capital is Paris.')).toBe(
      false,
    );
    expect(await value(contains({ value: 'Lyon' }), 'The capital is Paris.')).toBe(false);
    const [feedback] = await score(contains({ value: 'Lyon' }), { outputs: 'Paris' });
    expect(feedback).toMatchObject({ name: 'contains', source: { type: 'CODE', id: 'contains' } });
    expect(feedback?.rationale).toContain('do not contain "Lyon"');
  });

  it('checks any of several values by default, or all with mode all', async () => {
    const text = 'red and green';
    expect(await value(contains({ values: ['blue', 'green'] }), text)).toBe(true);
    expect(await value(contains({ values: ['blue', 'yellow'] }), text)).toBe(false);
    expect(await value(contains({ values: ['red', 'green'], mode: 'all' }), text)).toBe(true);
    const [partial] = await score(contains({ values: ['red', 'blue'], mode: 'all' }), { outputs: text });
    expect(partial?.value).toBe(false);
    expect(partial?.rationale).toContain('miss 1 of 2: "blue"');
  });

  it('takes the values from an expectation (string or list), expected_response by default', async () => {
    expect(await value(contains(), 'It is Paris, France.', { expected_response: 'Paris' })).toBe(true);
    const facts = { expected_facts: ['Paris', 'France', 'Seine'] };
    expect(
      await value(contains({ expectation_key: 'expected_facts', mode: 'all' }), 'Paris, France', facts),
    ).toBe(false);
    expect(await value(contains({ expectation_key: 'expected_facts' }), 'Paris, France', facts)).toBe(true);
    // Non-string items are compared as their JSON text.
    expect(
      await value(contains({ expectation_key: 'numbers', mode: 'all' }), 'between 3 and 42', {
        numbers: [3, 42],
      }),
    ).toBe(true);
  });

  it('is an error feedback when the expectation is missing, empty or an object', async () => {
    const [missing] = await score(contains(), { outputs: 'Paris' });
    expect(missing).toMatchObject({ value: null, error: { code: 'MISSING_EXPECTATION' } });
    const [empty] = await score(contains({ expectation_key: 'expected_facts' }), {
      outputs: 'Paris',
      expectations: { expected_facts: [] },
    });
    expect(empty).toMatchObject({ value: null, error: { code: 'INVALID_EXPECTATION' } });
    const [object] = await score(contains(), {
      outputs: 'Paris',
      expectations: { expected_response: { a: 1 } },
    });
    expect(object?.error?.code).toBe('INVALID_EXPECTATION');
  });

  it('handles unicode, empty strings and non-string outputs', async () => {
    expect(await value(contains({ value: 'CRÈME' }), 'une crème brûlée')).toBe(true);
    expect(await value(contains({ value: '🙂' }), 'ok 🙂')).toBe(true);
    expect(await value(contains({ value: '' }), 'anything')).toBe(true);
    expect(await value(contains({ value: 'x' }), '')).toBe(false);
    expect(await value(contains({ value: 'x' }), null)).toBe(false);
    expect(await value(contains({ value: '"answer":"yes"' }), { answer: 'yes' })).toBe(true);
    expect(await value(contains({ value: 'yes', output_key: 'answer' }), { answer: 'Yes!' })).toBe(true);
  });

  it('has documented defaults and rejects invalid options', () => {
    expect(containsOptionsSchema.parse({})).toEqual({ mode: 'any', case_sensitive: false });
    expect(containsOptionsSchema.safeParse({ values: [] }).success).toBe(false);
    expect(containsOptionsSchema.safeParse({ mode: 'some' }).success).toBe(false);
    expect(containsOptionsSchema.safeParse({ value: 3 }).success).toBe(false);
    expect(containsOptionsSchema.safeParse({ vaule: 'x' }).success).toBe(false);
    const both = containsOptionsSchema.safeParse({ value: 'a', values: ['b'] });
    expect(both.success).toBe(false);
    expect(both.error?.issues[0]?.path).toEqual(['values']);
    expect(() => contains({ value: 'a', expectation_key: 'expected_facts' })).toThrow(ConfigError);
  });
});
