import { describe, expect, it } from 'vitest';
import { chunk, chunkLogBatch, mlflowLimits, truncate } from '../../src/sinks/mlflow/limits.js';
import { pythonJsonDumps } from '../../src/sinks/mlflow/python-json.js';

describe('truncate', () => {
  it('keeps short text and cuts long text to the limit with "..."', () => {
    expect(truncate('abc', 5)).toBe('abc');
    const cut = truncate('x'.repeat(7000), 6000);
    expect(cut).toHaveLength(6000);
    expect(cut.endsWith('...')).toBe(true);
  });

  it('never splits a surrogate pair', () => {
    const text = `${'a'.repeat(6)}😀${'b'.repeat(10)}`; // the emoji is two UTF-16 units at 6..7
    const cut = truncate(text, 10); // would end after the high surrogate
    expect(cut).toBe('aaaaaa...');
    expect(Buffer.from(cut, 'utf8').toString('utf8')).toBe(cut);
  });
});

describe('chunkLogBatch', () => {
  it('keeps every request within MLflow limits and keeps all entities in order', () => {
    const metrics = Array.from({ length: 2500 }, (_, i) => ({
      key: `m${i}`,
      value: i,
      timestamp: 1,
      step: 0,
    }));
    const params = Array.from({ length: 230 }, (_, i) => ({ key: `p${i}`, value: 'v' }));
    const tags = Array.from({ length: 30 }, (_, i) => ({ key: `t${i}`, value: 'v' }));
    const chunks = chunkLogBatch({ metrics, params, tags });
    for (const c of chunks) {
      expect(c.metrics.length).toBeLessThanOrEqual(mlflowLimits.batchMetrics);
      expect(c.params.length + c.tags.length).toBeLessThanOrEqual(mlflowLimits.batchParamsAndTags);
      expect(c.metrics.length + c.params.length + c.tags.length).toBeLessThanOrEqual(mlflowLimits.batchTotal);
      expect(JSON.stringify(c).length).toBeLessThan(1_000_000);
    }
    expect(chunks.flatMap((c) => c.metrics)).toEqual(metrics);
    expect(chunks.flatMap((c) => c.params)).toEqual(params);
    expect(chunks.flatMap((c) => c.tags)).toEqual(tags);
  });

  it('splits by body size when values are large', () => {
    const params = Array.from({ length: 90 }, (_, i) => ({ key: `p${i}`, value: 'x'.repeat(6000) }));
    const tags = Array.from({ length: 90 }, (_, i) => ({ key: `t${i}`, value: 'y'.repeat(8000) }));
    const chunks = chunkLogBatch({ metrics: [], params, tags });
    expect(chunks.length).toBeGreaterThan(1);
    for (const c of chunks) expect(JSON.stringify(c).length).toBeLessThan(1_000_000);
  });

  it('returns nothing for an empty batch', () => {
    expect(chunkLogBatch({ metrics: [], params: [], tags: [] })).toEqual([]);
    expect(chunk([1, 2, 3, 4, 5], 2)).toEqual([[1, 2], [3, 4], [5]]);
  });
});

describe('pythonJsonDumps', () => {
  it("writes Python's json.dumps text: spaced separators, insertion order", () => {
    expect(pythonJsonDumps({ question: 'hi?', context: { time: 'day' }, n: [1, 2.5, true, null] })).toBe(
      '{"question": "hi?", "context": {"time": "day"}, "n": [1, 2.5, true, null]}',
    );
  });

  it('escapes non-ASCII unless ensureAscii is false', () => {
    expect(pythonJsonDumps('café')).toBe('"caf\\u00e9"');
    expect(pythonJsonDumps('café', { ensureAscii: false })).toBe('"café"');
  });
});
