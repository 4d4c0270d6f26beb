import { describe, expect, it } from 'vitest';
import type { Scorer } from '../core/scorer.js';
import { normalizeScore, thrownFeedback } from './normalize.js';

const codeScorer: Scorer = { name: 'my_scorer', kind: 'code', score: () => undefined };
const judgeScorer: Scorer = { name: 'my_judge', kind: 'llm_judge', score: () => undefined };

describe('normalizeScore (MLflow @scorer return rules)', () => {
  it('wraps primitives into one feedback named after the scorer with a CODE source', () => {
    expect(normalizeScore(codeScorer, true)).toEqual([
      { name: 'my_scorer', value: true, source: { type: 'CODE', id: 'my_scorer' } },
    ]);
    expect(normalizeScore(codeScorer, 0)[0]?.value).toBe(0);
    expect(normalizeScore(codeScorer, 'yes')[0]?.value).toBe('yes');
    expect(normalizeScore(judgeScorer, 'no')[0]?.source).toEqual({ type: 'LLM_JUDGE', id: 'my_judge' });
  });
  it('logs nothing for null/undefined', () => {
    expect(normalizeScore(codeScorer, undefined)).toEqual([]);
    expect(normalizeScore(codeScorer, null)).toEqual([]);
  });
  it('keeps feedbacks, defaulting name and source, and stringifying metadata values', () => {
    const [f] = normalizeScore(codeScorer, { value: 0.5, rationale: 'half', metadata: { n: 2 } });
    expect(f).toEqual({
      name: 'my_scorer',
      value: 0.5,
      rationale: 'half',
      metadata: { n: '2' },
      source: { type: 'CODE', id: 'my_scorer' },
    });
    const named = normalizeScore(codeScorer, [
      { name: 'a', value: 1 },
      { name: 'b', value: false },
    ]);
    expect(named.map((x) => [x.name, x.value])).toEqual([
      ['a', 1],
      ['b', false],
    ]);
  });
  it('keeps an error feedback with a null value', () => {
    const [f] = normalizeScore(codeScorer, { value: 3, error: { code: 'X', message: 'bad' } });
    expect(f?.value).toBeNull();
    expect(f?.error).toEqual({ code: 'X', message: 'bad' });
  });
  it('turns unsupported values into an error feedback naming the scorer — never a 0', () => {
    for (const bad of [Number.NaN, { foo: 1 }, () => 1, [1, { nope: true }], Symbol('s')]) {
      const out = normalizeScore(codeScorer, bad);
      expect(out).toHaveLength(1);
      expect(out[0]?.value).toBeNull();
      expect(out[0]?.error?.code).toBe('SCORER_INVALID_RETURN');
      expect(out[0]?.error?.message).toContain('my_scorer');
    }
  });
  it('a thrown error becomes SCORER_ERROR with the message and a stack', () => {
    const f = thrownFeedback(codeScorer, new Error('kaput'));
    expect(f.error?.code).toBe('SCORER_ERROR');
    // MLflow's error_message is the exception's text, nothing added (test/integration/mlflow-crosscheck)
    expect(f.error?.message).toBe('kaput');
    expect(f.name).toBe(codeScorer.name);
    expect(f.error?.stack).toContain('Error: kaput');
    expect(f.value).toBeNull();
  });
});
