import { describe, expect, it } from 'vitest';
import { ColspecSchemaBuilder } from '../../src/sinks/mlflow/dataset-schema.js';

// Expected values: what mlflow 3.17.2's `mlflow.genai.evaluate()` logged for
// test/python/reference_data.jsonl (read back with test/python/dump_run.py).
const pythonSchema = {
  mlflow_colspec: [
    {
      type: 'object',
      properties: {
        context: {
          type: 'object',
          properties: { time: { type: 'string', required: true } },
          required: false,
        },
        question: { type: 'string', required: true },
      },
      name: 'inputs',
      required: true,
    },
    { type: 'string', name: 'outputs', required: true },
    {
      type: 'object',
      properties: {
        expected_facts: { type: 'array', items: { type: 'string' }, required: false },
        expected_response: { type: 'string', required: true },
      },
      name: 'expectations',
      required: true,
    },
    {
      type: 'object',
      properties: { topic: { type: 'string', required: true } },
      name: 'tags',
      required: true,
    },
  ],
};

const rows = [
  {
    inputs: { question: 'What is the capital of France?' },
    outputs: 'Paris',
    expectations: { expected_response: 'Paris' },
    tags: { topic: 'geography' },
  },
  {
    inputs: { question: '2 + 2 = ?' },
    outputs: '5',
    expectations: { expected_response: '4', expected_facts: ['four', 'even'] },
    tags: { topic: 'math' },
  },
  {
    inputs: { question: 'Name a colour of the sky.', context: { time: 'day' } },
    outputs: 'Blue, mostly',
    expectations: { expected_response: 'Blue' },
    tags: { topic: 'science' },
  },
];

describe('ColspecSchemaBuilder', () => {
  it('infers the schema and profile mlflow.genai.evaluate() logs for the same rows', () => {
    const builder = new ColspecSchemaBuilder(['inputs', 'outputs', 'expectations', 'tags']);
    for (const row of rows) builder.add(row);
    expect(JSON.parse(builder.schemaJson() ?? '')).toEqual(pythonSchema);
    expect(JSON.parse(builder.profileJson())).toEqual({ num_rows: 3, num_elements: 12 });
  });

  it('numbers: ints are long, others double; a missing value makes the column optional', () => {
    const builder = new ColspecSchemaBuilder(['inputs', 'outputs']);
    builder.add({ inputs: { n: 1, x: 0.5 }, outputs: null });
    builder.add({ inputs: { n: 2, x: 1.5 }, outputs: 'a' });
    const schema = JSON.parse(builder.schemaJson() ?? '') as {
      mlflow_colspec: Array<Record<string, unknown>>;
    };
    expect(schema.mlflow_colspec[0]).toMatchObject({
      properties: { n: { type: 'long' }, x: { type: 'double' } },
    });
    expect(schema.mlflow_colspec[1]).toEqual({ type: 'string', name: 'outputs', required: false });
  });

  it('gives no schema when a column mixes types (Python cannot infer one either)', () => {
    const builder = new ColspecSchemaBuilder(['inputs', 'outputs']);
    builder.add({ inputs: { q: 'a' }, outputs: 'text' });
    builder.add({ inputs: { q: 'b' }, outputs: 3 });
    expect(builder.schemaJson()).toBeUndefined();
    expect(JSON.parse(builder.profileJson(10))).toEqual({ num_rows: 10, num_elements: 20 });
  });
});
