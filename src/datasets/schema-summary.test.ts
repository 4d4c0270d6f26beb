import { describe, expect, it } from 'vitest';
import { maxSchemaKeys, SchemaSummaryBuilder } from './schema-summary.js';

describe('SchemaSummaryBuilder', () => {
  it('lists the keys seen, sorted, and the outputs type', () => {
    const builder = new SchemaSummaryBuilder();
    builder.add({
      inputs: { question: 'q' },
      outputs: { answer: 'a' },
      expectations: { expected_response: 'a' },
    });
    builder.add({
      inputs: { context: 'c', question: 'q' },
      outputs: { answer: 'b' },
      tags: { split: 'dev' },
    });
    expect(builder.summary()).toEqual({
      inputs: ['context', 'question'],
      outputs: 'object',
      expectations: ['expected_response'],
      tags: ['split'],
    });
  });

  it('says mixed when outputs types differ, and leaves outputs out when no row has any', () => {
    const mixed = new SchemaSummaryBuilder();
    mixed.add({ inputs: { q: 1 }, outputs: 'text' });
    mixed.add({ inputs: { q: 2 }, outputs: ['list'] });
    expect(mixed.summary().outputs).toBe('mixed');
    const none = new SchemaSummaryBuilder();
    none.add({ inputs: { q: 1 } });
    expect(none.summary()).not.toHaveProperty('outputs');
  });

  it('stops recording keys at maxSchemaKeys and says so', () => {
    const builder = new SchemaSummaryBuilder();
    for (let i = 0; i < maxSchemaKeys + 5; i++) builder.add({ inputs: { [`k${i}`]: i } });
    const summary = builder.summary();
    expect(summary.inputs).toHaveLength(maxSchemaKeys);
    expect(summary.truncated).toBe(true);
  });
});
