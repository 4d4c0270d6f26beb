import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../core/errors.js';
import type { Feedback } from '../../core/feedback.js';
import { emptyUsage } from '../../core/usage.js';
import { estimatePassAtK as fromPackage, passAtK as passAtKFromPackage } from '../../index.js';
import { estimatePassAtK, passAtK } from './pass-at-k.js';

/** 1 - C(n-c, k) / C(n, k) with exact integers, for comparison. */
function exact(n: number, c: number, k: number): number {
  const choose = (a: number, b: number): bigint => {
    if (b < 0 || b > a) return 0n;
    let result = 1n;
    for (let i = 1; i <= b; i++) result = (result * BigInt(a - b + i)) / BigInt(i);
    return result;
  };
  const scale = 10n ** 30n;
  const ratio = (choose(n - c, k) * scale) / choose(n, k);
  return 1 - Number(ratio) / Number(scale);
}

describe('estimatePassAtK', () => {
  it('is 1 - C(n-c, k) / C(n, k), stable for large n', () => {
    expect(estimatePassAtK(6, 3, 1)).toBeCloseTo(0.5, 15);
    expect(estimatePassAtK(6, 3, 2)).toBeCloseTo(0.8, 15);
    expect(estimatePassAtK(10, 0, 5)).toBe(0);
    expect(estimatePassAtK(10, 10, 5)).toBe(1);
    expect(estimatePassAtK(10, 6, 5)).toBe(1); // fewer than k failed: every k-subset holds a pass
    for (const [n, c, k] of [
      [200, 1, 1],
      [200, 1, 100],
      [200, 37, 10],
      [200, 100, 100],
      [1000, 3, 500],
    ] as const) {
      expect(Math.abs(estimatePassAtK(n, c, k) - exact(n, c, k))).toBeLessThan(1e-12);
    }
  });

  it('refuses what has no estimate', () => {
    expect(() => estimatePassAtK(3, 1, 5)).toThrow(RangeError);
    expect(() => estimatePassAtK(3, 4, 1)).toThrow(RangeError);
    expect(() => estimatePassAtK(3, 1, 0)).toThrow(RangeError);
    expect(() => estimatePassAtK(3.5, 1, 1)).toThrow(RangeError);
  });

  it('is exported by the package', () => {
    expect(fromPackage).toBe(estimatePassAtK);
    expect(passAtKFromPackage).toBe(passAtK);
  });
});

describe('pass_at_k', () => {
  const JS_TEST =
    "const assert = require('node:assert');\nfunction check(f) { assert.strictEqual(f(2), 4); }";
  const args = (outputs: unknown, expectations: Record<string, unknown>) => ({
    inputs: {},
    outputs,
    expectations,
    trace: { spans: [] },
    signal: new AbortController().signal,
    usage: emptyUsage(),
  });

  it('runs every sample and gives one feedback pass_at_k/pass_at_<k> per k, from n and c', async () => {
    const scorer = passAtK({ language: 'javascript', k: [2, 1], max_parallel: 2 });
    expect(scorer.name).toBe('pass_at_k');
    expect(scorer.feedbackNames).toEqual(['pass_at_k/pass_at_1', 'pass_at_k/pass_at_2']);
    const samples = [
      'const sq = (x) => x * x;',
      'const sq = (x) => x + x + 1;',
      'const sq = (x) => { throw new Error("no"); };',
    ];
    const feedbacks = (await scorer.score(args(samples, { test: JS_TEST, entry_point: 'sq' }))) as Feedback[];
    expect(feedbacks.map((f) => [f.name, f.value])).toEqual([
      ['pass_at_k/pass_at_1', estimatePassAtK(3, 1, 1)],
      ['pass_at_k/pass_at_2', estimatePassAtK(3, 1, 2)],
    ]);
    expect(feedbacks[0]!.metadata).toMatchObject({
      n: '3',
      c: '1',
      statuses: '["passed","failed","failed"]',
    });
    expect(feedbacks[0]!.rationale).toMatch(
      /^1 of 3 samples passed; sample 2: AssertionError.*; sample 3: Error: no/,
    );
  });

  it('a k above n is an error feedback; a custom name is the prefix', async () => {
    const scorer = passAtK({ language: 'javascript', k: [1, 5], name: 'js_pass', max_parallel: 2 });
    const feedbacks = (await scorer.score(
      args('const sq = (x) => x * x;', { test: JS_TEST, entry_point: 'sq' }),
    )) as Feedback[];
    expect(feedbacks[0]).toMatchObject({ name: 'js_pass/pass_at_1', value: 1 });
    expect(feedbacks[1]).toMatchObject({
      name: 'js_pass/pass_at_5',
      value: null,
      error: { code: 'TOO_FEW_SAMPLES' },
    });
  });

  it('a row without tests is an error feedback for every k', async () => {
    const feedbacks = (await passAtK({ k: [1, 10] }).score(args(['x = 1'], {}))) as Feedback[];
    expect(feedbacks.map((f) => [f.name, f.error?.code])).toEqual([
      ['pass_at_k/pass_at_1', 'MISSING_EXPECTATION'],
      ['pass_at_k/pass_at_10', 'MISSING_EXPECTATION'],
    ]);
  });

  it('rejects invalid k', () => {
    expect(() => passAtK({ k: [0] })).toThrow(ConfigError);
    expect(() => passAtK({ k: [] })).toThrow(/pass_at_k\.k/);
  });
});
