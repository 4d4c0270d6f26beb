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

  it('points at the offending key itself, not at its parent', () => {
    // an unknown key on line 3 is reported at line 3, one on line 6 at line 6
    expect(errorOf('dataset: {path: x.jsonl}\nscorers: [exact_match]\nfoo: 1\n').message).toBe(
      'eval.yaml:3: unknown key "foo"',
    );
    const sixth = 'dataset:\n  path: x.jsonl\nscorers:\n  - exact_match\nconcurrency: 2\nbar: 1\n';
    expect(errorOf(sixth).message).toBe('eval.yaml:6: unknown key "bar"');
    const nested = 'dataset:\n  path: x.jsonl\n  wat: 1\nscorers: [exact_match]\n';
    expect(errorOf(nested).message).toBe('eval.yaml:3: dataset: unknown key "wat"');
  });

  it('never says only "Invalid input": it says what was expected', () => {
    const missing = errorOf('scorers: [exact_match]\n');
    expect(missing.message).toMatch(
      /dataset: missing; expected one of \{path: FILE\}.*\{records: \[\.\.\.\]\} or \{mlflow: NAME\}/,
    );
    const both = errorOf('dataset: {path: a.jsonl, records: [{inputs: {q: a}}]}\nscorers: [exact_match]\n');
    expect(both.message).toContain(
      '"path" and "records" given together; give exactly one of path, records, mlflow',
    );
    const p99 = errorOf(
      'dataset: {path: a.jsonl}\nscorers:\n  - exact_match\n  - {type: exact_match, name: b, aggregations: [mean, p99]}\n',
    );
    expect(p99.message).toBe(
      'eval.yaml:4: scorers[1].aggregations[1]: expected one of mean, min, max, median, variance, p90; got "p99"',
    );
    const ftp = errorOf(
      'dataset: {path: a.jsonl}\njudge:\n  model: {provider: vllm, base_url: "ftp://x/v1", model: m}\nscorers: [exact_match]\n',
    );
    expect(ftp.message).toMatch(
      /^eval\.yaml:3: judge\.model\.base_url: expected an http:\/\/ or https:\/\/ URL/,
    );
    for (const error of [missing, both, p99, ftp]) expect(error.message).not.toMatch(/Invalid input/);
  });
});
