import { describe, expect, it } from 'vitest';
import { ConfigError } from '../core/errors.js';
import { evaluateGates, parseGate } from './gates.js';

describe('quality gates', () => {
  it('parses <name>/<agg>=<min>', () => {
    expect(parseGate('exact_match/mean=0.8')).toEqual({ metric: 'exact_match/mean', threshold: 0.8 });
    expect(parseGate('a/b/p90=1')).toEqual({ metric: 'a/b/p90', threshold: 1 });
  });
  it('rejects malformed gates and unknown aggregations with a ConfigError', () => {
    expect(() => parseGate('exact_match=0.8')).toThrow(ConfigError);
    expect(() => parseGate('exact_match/avg=0.8')).toThrow(/unknown aggregation "avg"/);
  });
  it('passes at or above the threshold, fails below it and when the metric is missing', () => {
    const results = evaluateGates({
      gates: [
        { metric: 'a/mean', threshold: 0.5 },
        { metric: 'b/mean', threshold: 0.9 },
        { metric: 'missing/mean', threshold: 0 },
      ],
      metrics: { 'a/mean': 0.5, 'b/mean': 0.8 },
      errors: 0,
    });
    expect(results.map((r) => r.passed)).toEqual([true, false, false]);
  });
  it('max errors counts failed rows plus error feedbacks', () => {
    expect(evaluateGates({ gates: [], metrics: {}, maxErrors: 2, errors: 3 })[0]?.passed).toBe(false);
    expect(evaluateGates({ gates: [], metrics: {}, maxErrors: 3, errors: 3 })[0]?.passed).toBe(true);
  });
});
