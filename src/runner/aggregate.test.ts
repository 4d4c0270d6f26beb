import { describe, expect, it } from 'vitest';
import type { Feedback } from '../core/feedback.js';
import type { RowResult } from '../core/result.js';
import { emptyUsage } from '../core/usage.js';
import { Aggregator, aggregate, numericValue, percentile } from './aggregate.js';

const code = (name: string) => ({ type: 'CODE' as const, id: name });

function row(id: string, feedbacks: Feedback[], error = false): RowResult {
  return {
    id,
    index: 0,
    inputs: { q: id },
    outputs: 'x',
    expectations: {},
    tags: {},
    feedbacks,
    trace: { spans: [] },
    usage: emptyUsage(),
    durationMs: 1,
    ...(error ? { error: { code: 'MODEL_ERROR', message: 'boom' } } : {}),
  };
}

describe('numericValue (MLflow casting rules)', () => {
  it('casts numbers, booleans and yes/no; skips other strings, objects and errors', () => {
    expect(numericValue({ name: 'a', value: 0.25, source: code('a') })).toBe(0.25);
    expect(numericValue({ name: 'a', value: true, source: code('a') })).toBe(1);
    expect(numericValue({ name: 'a', value: false, source: code('a') })).toBe(0);
    expect(numericValue({ name: 'a', value: 'Yes', source: code('a') })).toBe(1);
    expect(numericValue({ name: 'a', value: 'no', source: code('a') })).toBe(0);
    expect(numericValue({ name: 'a', value: 'maybe', source: code('a') })).toBeUndefined();
    expect(numericValue({ name: 'a', value: { x: 1 }, source: code('a') })).toBeUndefined();
    expect(
      numericValue({ name: 'a', value: null, error: { code: 'E', message: 'm' }, source: code('a') }),
    ).toBeUndefined();
  });
});

describe('aggregations match numpy', () => {
  const values = Float64Array.from([1, 2, 3, 4, 10]);
  it('mean, min, max, median, population variance, p90 with linear interpolation', () => {
    expect(aggregate(values, 'mean')).toBe(4);
    expect(aggregate(values, 'min')).toBe(1);
    expect(aggregate(values, 'max')).toBe(10);
    expect(aggregate(values, 'median')).toBe(3);
    expect(aggregate(values, 'variance')).toBeCloseTo(10, 12); // np.var([1,2,3,4,10]) == 10.0
    expect(aggregate(values, 'p90')).toBeCloseTo(7.6, 12); // np.percentile([1,2,3,4,10], 90) == 7.6
  });
  it('percentile of an even-length list interpolates', () => {
    expect(percentile(Float64Array.from([1, 2, 3, 4]), 50)).toBe(2.5);
  });
});

describe('Aggregator', () => {
  it('aggregates per feedback name with the scorer aggregations, skipping errors but counting them', () => {
    const agg = new Aggregator([{ name: 'sim', aggregations: ['mean', 'min'] }, { name: 'exact' }]);
    agg.add(
      row('1', [
        { name: 'sim', value: 0.5, source: code('sim') },
        { name: 'exact', value: true, source: code('exact') },
      ]),
    );
    agg.add(
      row('2', [
        { name: 'sim', value: 1, source: code('sim') },
        { name: 'exact', value: null, error: { code: 'SCORER_ERROR', message: 'x' }, source: code('exact') },
      ]),
    );
    agg.add(row('3', [], true));
    expect(agg.metrics()).toEqual({ 'exact/mean': 1, 'sim/mean': 0.75, 'sim/min': 0.5 });
    expect(agg.feedbackCounts()).toEqual({ exact: { values: 1, errors: 1 }, sim: { values: 2, errors: 0 } });
    expect(agg.rows).toBe(3);
    expect(agg.failedRows).toBe(1);
    expect(agg.errorFeedbacks).toBe(1);
  });

  it('a feedback named differently from its scorer takes the scorer aggregations via its source id', () => {
    const agg = new Aggregator([{ name: 'multi', aggregations: ['max'] }]);
    agg.add(row('1', [{ name: 'part_a', value: 2, source: code('multi') }]));
    agg.add(row('2', [{ name: 'part_a', value: 5, source: code('multi') }]));
    expect(agg.metrics()).toEqual({ 'part_a/max': 5 });
  });

  it('logs no metric for a name whose values are all non-numeric', () => {
    const agg = new Aggregator();
    agg.add(row('1', [{ name: 'label', value: 'blue', source: code('label') }]));
    expect(agg.metrics()).toEqual({});
    expect(agg.feedbackCounts()).toEqual({ label: { values: 1, errors: 0 } });
  });
});
