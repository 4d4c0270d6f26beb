import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../core/errors.js';
import type { Feedback } from '../../core/feedback.js';
import type { ScorerArgs } from '../../core/scorer.js';
import { emptyUsage } from '../../core/usage.js';
import { rouge as rougeFromPackage } from '../../index.js';
import { normalizeScore } from '../../runner/normalize.js';
import { type RougeOptions, rouge } from './rouge.js';

function row(outputs: unknown, expectations: Record<string, unknown>): ScorerArgs {
  return {
    inputs: { text: 'source' },
    outputs,
    expectations,
    trace: { spans: [] },
    signal: new AbortController().signal,
    usage: emptyUsage(),
  };
}

async function run(options: RougeOptions, outputs: unknown, expectations: Record<string, unknown>) {
  const scorer = rouge(options);
  const feedbacks = normalizeScore(scorer, await scorer.score(row(outputs, expectations)));
  return Object.fromEntries(feedbacks.map((f) => [f.name, f])) as Record<string, Feedback>;
}

describe('rouge', () => {
  it('gives one F-measure feedback per default type, named <name>/<type>, with P/R/F in metadata', async () => {
    const byName = await run({}, 'the cat lay on the mat', { expected_response: 'The cat sat on the mat.' });
    expect(Object.keys(byName)).toEqual(['rouge/rouge1', 'rouge/rouge2', 'rouge/rougeL', 'rouge/rougeLsum']);
    expect(byName['rouge/rouge1']).toMatchObject({
      value: 5 / 6,
      source: { type: 'CODE', id: 'rouge' },
      metadata: { precision: String(5 / 6), recall: String(5 / 6), fmeasure: String(5 / 6) },
    });
    expect(byName['rouge/rouge2']?.value).toBeCloseTo(3 / 5, 15);
    expect(byName['rouge/rougeL']?.value).toBe(5 / 6);
    expect(byName['rouge/rougeL']?.rationale).toBe('rougeL: precision 0.8333, recall 0.8333, F 0.8333');
    expect(rouge().feedbackNames).toEqual([
      'rouge/rouge1',
      'rouge/rouge2',
      'rouge/rougeL',
      'rouge/rougeLsum',
    ]);
  });

  it('stems only with use_stemmer, and rougeLsum matches sentence by sentence (lines)', async () => {
    const plain = await run({ rouge_types: ['rouge1'] }, 'cats running', { expected_response: 'cat runs' });
    expect(plain['rouge/rouge1']?.value).toBe(0);
    const stemmed = await run({ rouge_types: ['rouge1'], use_stemmer: true }, 'cats running', {
      expected_response: 'cat runs',
    });
    expect(stemmed['rouge/rouge1']?.value).toBe(1);
    const lines = await run({ rouge_types: ['rougeL', 'rougeLsum'] }, 'a b\nc d', {
      expected_response: 'c d\na b',
    });
    expect(lines['rouge/rougeL']?.value).toBe(0.5);
    expect(lines['rouge/rougeLsum']?.value).toBe(1);
  });

  it('takes the best reference per type from a list, and reports which', async () => {
    const byName = await run({ rouge_types: ['rouge1', 'rouge2'] }, 'the quick brown fox', {
      expected_response: ['a slow dog', 'quick brown fox the', 'the quick brown fox jumps'],
    });
    expect(byName['rouge/rouge1']).toMatchObject({ value: 1, metadata: { reference_index: '1' } });
    expect(byName['rouge/rouge2']?.metadata?.reference_index).toBe('2');
    expect(byName['rouge/rouge2']?.rationale).toContain('(reference 3 of 3, the highest F)');
  });

  it('values by precision or recall with measure; reads output_key and expectation_key', async () => {
    const byName = await run(
      { rouge_types: ['rouge1'], measure: 'recall', output_key: 'summary', expectation_key: 'references' },
      { summary: 'alpha beta' },
      { references: 'alpha beta gamma delta' },
    );
    expect(byName['rouge/rouge1']).toMatchObject({ value: 0.5, metadata: { precision: '1', recall: '0.5' } });
    const precision = await run({ rouge_types: ['rouge1'], measure: 'precision' }, 'alpha beta', {
      expected_response: 'alpha beta gamma delta',
    });
    expect(precision['rouge/rouge1']?.value).toBe(1);
  });

  it('scores empty or symbol-only text 0, never an error; a missing or empty reference is an error feedback', async () => {
    const empty = await run({}, '', { expected_response: 'something' });
    expect(Object.values(empty).map((f) => f.value)).toEqual([0, 0, 0, 0]);
    const symbols = await run({ rouge_types: ['rougeL'] }, '!!! 😀', { expected_response: '日本語' });
    expect(symbols['rouge/rougeL']).toMatchObject({ value: 0 });
    expect(symbols['rouge/rougeL']?.error).toBeUndefined();
    const missing = await run({}, 'text', {});
    expect(missing.rouge).toMatchObject({ value: null, error: { code: 'MISSING_EXPECTATION' } });
    expect(missing.rouge?.error?.message).toContain('expectations.expected_response');
    const none = await run({}, 'text', { expected_response: [] });
    expect(none.rouge?.error?.message).toContain('empty list');
    const absentKey = await run({ output_key: 'summary' }, { other: 1 }, { expected_response: 'x' });
    expect(absentKey.rouge?.error?.code).toBe('MISSING_OUTPUT_KEY');
  });

  it('rejects unknown, duplicate and empty rouge_types and unknown options, naming the field', () => {
    expect(() => rouge({ rouge_types: ['rouge0' as 'rouge1'] })).toThrow(ConfigError);
    expect(() => rouge({ rouge_types: ['rouge1', 'rouge1'] })).toThrow(/rouge_types/);
    expect(() => rouge({ rouge_types: [] })).toThrow(/rouge_types/);
    expect(() => rouge({ stemmer: true } as RougeOptions)).toThrow(ConfigError);
    expect(rouge({ name: 'rouge_stemmed', use_stemmer: true }).feedbackNames?.[0]).toBe(
      'rouge_stemmed/rouge1',
    );
  });

  it('is exported by the package', () => {
    expect(rougeFromPackage).toBe(rouge);
  });
});
