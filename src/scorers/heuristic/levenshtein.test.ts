import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../core/errors.js';
import type { Scorer } from '../../core/scorer.js';
import { emptyUsage } from '../../core/usage.js';
import { normalizeScore } from '../../runner/normalize.js';
import { levenshtein, levenshteinDistance, levenshteinOptionsSchema } from './levenshtein.js';

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

async function similarity(outputs: unknown, expected: unknown, scorer: Scorer = levenshtein()) {
  return (await score(scorer, { outputs, expectations: { expected_response: expected } }))[0]?.value;
}

const points = (text: string) => Array.from(text, (char) => char.codePointAt(0) ?? 0);

/** The textbook full-matrix version, as a reference. */
function referenceDistance(a: readonly number[], b: readonly number[]): number {
  const table = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const row = table[i]!;
      const above = table[i - 1]!;
      row[j] = Math.min(above[j]! + 1, row[j - 1]! + 1, above[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
  }
  return table[a.length]![b.length]!;
}

describe('levenshtein', () => {
  it('computes the classic distances', () => {
    expect(levenshteinDistance(points('kitten'), points('sitting'))).toBe(3);
    expect(levenshteinDistance(points('sitting'), points('kitten'))).toBe(3);
    expect(levenshteinDistance(points('flaw'), points('lawn'))).toBe(2);
    expect(levenshteinDistance(points(''), points('abc'))).toBe(3);
    expect(levenshteinDistance(points('abc'), points(''))).toBe(3);
    expect(levenshteinDistance(points('same'), points('same'))).toBe(0);
  });

  it('agrees with the full-matrix reference on random strings', () => {
    // A fixed linear congruential generator: the same strings on every run.
    let seed = 12345;
    const next = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed;
    };
    for (let round = 0; round < 200; round++) {
      const a = Array.from({ length: next() % 12 }, () => 97 + (next() % 4));
      const b = Array.from({ length: next() % 12 }, () => 97 + (next() % 4));
      expect(levenshteinDistance(a, b), `${String.fromCharCode(...a)} vs ${String.fromCharCode(...b)}`).toBe(
        referenceDistance(a, b),
      );
    }
  });

  it('scores similarity in [0, 1] against expected_response', async () => {
    expect(await similarity('kitten', 'sitting')).toBeCloseTo(1 - 3 / 7, 10);
    expect(await similarity('Paris', 'Paris')).toBe(1);
    expect(await similarity('abc', 'xyz')).toBe(0);
    expect(await similarity('', '')).toBe(1);
    expect(await similarity('', 'abc')).toBe(0);
    const [feedback] = await score(levenshtein(), {
      outputs: 'kitten',
      expectations: { expected_response: 'sitting' },
    });
    expect(feedback).toMatchObject({
      name: 'levenshtein',
      source: { type: 'CODE', id: 'levenshtein' },
      rationale: '3 edits over 7 characters',
      metadata: { distance: '3' },
    });
  });

  it('counts code points, so accents and emoji are one character', async () => {
    expect(await similarity('café', 'cafe')).toBe(0.75);
    expect(await similarity('😀a', '😃a')).toBe(0.5);
    expect(await similarity('日本語', '日本')).toBeCloseTo(2 / 3, 10);
  });

  it('compares case unless case_sensitive is false', async () => {
    expect(await similarity('PARIS', 'paris')).toBe(0);
    expect(await similarity('PARIS', 'paris', levenshtein({ case_sensitive: false }))).toBe(1);
  });

  it('compares non-string outputs as JSON text, and fields with output_key', async () => {
    expect(await similarity({ a: 1 }, '{"a":1}')).toBe(1);
    expect(await similarity(1234, 1235)).toBe(0.75);
    expect(await similarity({ text: 'abcd' }, 'abcd', levenshtein({ output_key: 'text' }))).toBe(1);
  });

  it('is an error feedback when the expectation is missing', async () => {
    const [feedback] = await score(levenshtein(), { outputs: 'x', expectations: {} });
    expect(feedback).toMatchObject({ value: null, error: { code: 'MISSING_EXPECTATION' } });
    const [other] = await score(levenshtein({ expectation_key: 'reference' }), {
      outputs: 'x',
      expectations: { expected_response: 'x' },
    });
    expect(other?.error?.message).toContain('expectations.reference');
  });

  it('has documented defaults and rejects invalid options', () => {
    expect(levenshteinOptionsSchema.parse({})).toEqual({
      case_sensitive: true,
      expectation_key: 'expected_response',
    });
    expect(levenshteinOptionsSchema.safeParse({ case_sensitive: 1 }).success).toBe(false);
    expect(levenshteinOptionsSchema.safeParse({ threshold: 0.5 }).success).toBe(false);
    expect(() => levenshtein({ expectation_key: '' })).toThrow(ConfigError);
  });
});
