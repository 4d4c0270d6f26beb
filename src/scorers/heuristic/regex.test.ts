import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../core/errors.js';
import type { Scorer } from '../../core/scorer.js';
import { emptyUsage } from '../../core/usage.js';
import { normalizeScore } from '../../runner/normalize.js';
import { regex, regexDefinition, regexOptionsSchema } from './regex.js';

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

describe('regex', () => {
  it('is true when the outputs match, with the match in the rationale', async () => {
    const [hit] = await score(regex({ pattern: '\\d{4}-\\d{2}-\\d{2}' }), 'Released on 2024-05-01.');
    expect(hit).toMatchObject({ name: 'regex', value: true, source: { type: 'CODE', id: 'regex' } });
    expect(hit?.rationale).toContain('"2024-05-01"');
    const [miss] = await score(regex({ pattern: '^\\d+$' }), 'abc');
    expect(miss?.value).toBe(false);
    expect(miss?.rationale).toContain('/^\\d+$/');
  });

  it('applies flags', async () => {
    expect((await score(regex({ pattern: '^yes$' }), 'YES'))[0]?.value).toBe(false);
    expect((await score(regex({ pattern: '^yes$', flags: 'i' }), 'YES'))[0]?.value).toBe(true);
    expect((await score(regex({ pattern: '^b$', flags: 'm' }), 'a\nb\nc'))[0]?.value).toBe(true);
  });

  it('gives the same answer on every row (no lastIndex state)', async () => {
    const scorer = regex({ pattern: 'a' });
    const values = [];
    for (let i = 0; i < 3; i++) values.push((await score(scorer, 'a'))[0]?.value);
    expect(values).toEqual([true, true, true]);
  });

  it('handles unicode, empty and non-string outputs', async () => {
    expect((await score(regex({ pattern: '^\\p{Emoji_Presentation}$', flags: 'u' }), '😀'))[0]?.value).toBe(
      true,
    );
    expect((await score(regex({ pattern: '^$' }), ''))[0]?.value).toBe(true);
    expect((await score(regex({ pattern: '^$' }), null))[0]?.value).toBe(true);
    expect((await score(regex({ pattern: '"ok":true' }), { ok: true }))[0]?.value).toBe(true);
    expect((await score(regex({ pattern: '^\\d+$', output_key: 'n' }), { n: 12 }))[0]?.value).toBe(true);
    expect((await score(regex({ pattern: 'x', output_key: 'n' }), { m: 1 }))[0]?.error?.code).toBe(
      'MISSING_OUTPUT_KEY',
    );
  });

  it('rejects an invalid pattern at build time, naming the field', () => {
    const parsed = regexOptionsSchema.safeParse({ pattern: '([a-z' });
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues[0]?.path).toEqual(['pattern']);
    expect(parsed.error?.issues[0]?.message).toContain('invalid regular expression');
    let caught: unknown;
    try {
      regex({ pattern: '(' });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    expect((caught as ConfigError).field).toBe('pattern');
    // The definition compiles too, for callers that skip the schema.
    expect(() =>
      regexDefinition.create(
        { pattern: '[', flags: '' },
        {},
        { baseDir: '.', env: {} as never, judges: {} as never },
      ),
    ).toThrow(ConfigError);
  });

  it('has documented defaults and rejects invalid options', () => {
    expect(regexOptionsSchema.parse({ pattern: 'a' })).toEqual({ pattern: 'a', flags: '' });
    expect(regexOptionsSchema.safeParse({}).success).toBe(false);
    expect(regexOptionsSchema.safeParse({ pattern: '' }).success).toBe(false);
    expect(regexOptionsSchema.safeParse({ pattern: 'a', flags: 'g' }).success).toBe(false);
    expect(regexOptionsSchema.safeParse({ pattern: 'a', flags: 'q' }).success).toBe(false);
    expect(regexOptionsSchema.safeParse({ pattern: 'a', flag: 'i' }).success).toBe(false);
  });
});
