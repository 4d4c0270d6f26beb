import { describe, expect, it } from 'vitest';
import { ConfigError } from '../core/errors.js';
import { parseEvalFile } from './load.js';

const valid = `
experiment: qa
dataset:
  path: data/qa.jsonl
scorers:
  - exact_match
  - { type: contains, value: Paris }
concurrency: 8
`;

function errorOf(text: string): ConfigError {
  try {
    parseEvalFile(text, 'eval.yaml');
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('parseEvalFile', () => {
  it('accepts a valid file', () => {
    const config = parseEvalFile(valid, 'eval.yaml');
    expect(config.dataset).toEqual({ path: 'data/qa.jsonl' });
    expect(config.scorers).toHaveLength(2);
    expect(config.concurrency).toBe(8);
  });

  it('names file, line and field for a wrong type', () => {
    const error = errorOf(valid.replace('concurrency: 8', 'concurrency: lots'));
    expect(error.message).toMatch(/^eval\.yaml:8: concurrency: /);
    expect(error.field).toBe('concurrency');
    expect(error.exitCode).toBe(2);
  });

  it('rejects unknown keys (typos) with their name', () => {
    const error = errorOf(`${valid}concurency: 3\n`);
    expect(error.message).toContain('"concurency"');
  });

  it('reports the line of a nested error', () => {
    const text = `dataset:\n  path: x.jsonl\nmodel:\n  provider: openai-compatible\n  model: m\n  temperature: 9\nscorers: [exact_match]\n`;
    const error = errorOf(text);
    expect(error.message).toMatch(/^eval\.yaml:6: model\.temperature: /);
  });

  it('reports invalid YAML with its line', () => {
    const error = errorOf('dataset:\n  path: [unclosed\nscorers: []\n');
    expect(error.message).toMatch(/eval\.yaml(:\d+)?: invalid YAML/);
  });

  it('requires a mapping and at least one scorer', () => {
    expect(errorOf('- a\n- b\n').message).toContain('expected a mapping');
    expect(errorOf('dataset: {path: x.jsonl}\nscorers: []\n').field).toBe('scorers');
  });

  it('checks quality gate keys', () => {
    expect(errorOf(`${valid}fail_under: {exact_match: 0.5}\n`).message).toContain('<name>/<aggregation>');
  });
});
