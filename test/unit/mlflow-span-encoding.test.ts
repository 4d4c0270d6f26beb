import { describe, expect, it } from 'vitest';
import type { Span } from '../../src/core/span.js';
import {
  anyValue,
  msToNanos,
  otlpRequest,
  otlpSpan,
  tracesJsonArtifact,
} from '../../src/sinks/mlflow/span-encoding.js';

const root: Span = {
  spanId: '0123456789abcdef',
  parentId: null,
  name: 'root_span',
  spanType: 'CHAIN',
  startTimeMs: 1_795_970_988_255.125,
  endTimeMs: 1_795_970_988_305,
  inputs: { question: 'hi?', n: 2 },
  outputs: 'hello',
  attributes: { 'mlflow.chat.tokenUsage': { input_tokens: 5, output_tokens: 3, total_tokens: 8 } },
  status: { code: 'ERROR', message: 'boom' },
  events: [{ name: 'exception', timeMs: 1_795_970_988_300, attributes: { 'exception.message': 'boom' } }],
};

describe('msToNanos', () => {
  it('converts fractional epoch ms to exact integer ns (beyond 2^53)', () => {
    expect(msToNanos(1_795_970_988_255.125)).toBe('1795970988255125000');
    expect(msToNanos(1)).toBe('1000000');
  });
});

describe('anyValue', () => {
  it('encodes JSON values as typed OTLP AnyValues', () => {
    expect(anyValue('x')).toEqual({ stringValue: 'x' });
    expect(anyValue(true)).toEqual({ boolValue: true });
    expect(anyValue(3)).toEqual({ intValue: '3' });
    expect(anyValue(0.5)).toEqual({ doubleValue: 0.5 });
    expect(anyValue(null)).toEqual({});
    expect(anyValue([1, 'a'])).toEqual({ arrayValue: { values: [{ intValue: '1' }, { stringValue: 'a' }] } });
    expect(anyValue({ a: { b: false } })).toEqual({
      kvlistValue: {
        values: [
          { key: 'a', value: { kvlistValue: { values: [{ key: 'b', value: { boolValue: false } }] } } },
        ],
      },
    });
  });
});

describe('otlpSpan', () => {
  it('carries hex ids, ns times, MLflow attributes, status and events', () => {
    const span = otlpSpan('ab'.repeat(16), root);
    expect(span).toMatchObject({
      traceId: 'ab'.repeat(16),
      spanId: '0123456789abcdef',
      name: 'root_span',
      startTimeUnixNano: '1795970988255125000',
      endTimeUnixNano: '1795970988305000000',
      status: { code: 2, message: 'boom' },
    });
    expect(span).not.toHaveProperty('parentSpanId');
    const keys = span.attributes.map((a) => a.key);
    expect(keys).toEqual([
      'mlflow.spanType',
      'mlflow.spanInputs',
      'mlflow.spanOutputs',
      'mlflow.chat.tokenUsage',
    ]);
    expect(span.events[0]).toMatchObject({ name: 'exception', timeUnixNano: '1795970988300000000' });
    const child = otlpSpan('ab'.repeat(16), { ...root, spanId: 'ffffffffffffffff', parentId: root.spanId });
    expect(child.parentSpanId).toBe(root.spanId);
    expect(otlpRequest([span]).resourceSpans[0]?.scopeSpans[0]?.spans).toHaveLength(1);
  });
});

describe('tracesJsonArtifact', () => {
  it("writes Python's trace data layout: base64 ids, JSON-dumped attributes, integer ns", () => {
    const text = tracesJsonArtifact('ab'.repeat(16), `tr-${'ab'.repeat(16)}`, [root]);
    expect(text).toContain('"start_time_unix_nano":1795970988255125000');
    const parsed = JSON.parse(text) as { spans: Array<Record<string, unknown>> };
    const span = parsed.spans[0] as Record<string, unknown>;
    expect(span.trace_id).toBe(Buffer.from('ab'.repeat(16), 'hex').toString('base64'));
    expect(span.span_id).toBe(Buffer.from('0123456789abcdef', 'hex').toString('base64'));
    expect(span.parent_span_id).toBeNull();
    expect(span.status).toEqual({ code: 'STATUS_CODE_ERROR', message: 'boom' });
    expect(span.attributes).toMatchObject({
      'mlflow.traceRequestId': `"tr-${'ab'.repeat(16)}"`,
      'mlflow.spanType': '"CHAIN"',
      'mlflow.spanInputs': '{"question": "hi?", "n": 2}',
    });
  });
});
