import { describe, expect, it } from 'vitest';
import { DatasetError } from '../core/errors.js';
import { validateRow } from './validate-row.js';

const at = { source: 'data/qa.jsonl', line: 7 };

function failure(raw: unknown): DatasetError {
  try {
    validateRow(raw, at);
  } catch (error) {
    expect(error).toBeInstanceOf(DatasetError);
    return error as DatasetError;
  }
  throw new Error('expected a DatasetError');
}

describe('validateRow: structured rows', () => {
  it('keeps the record fields, turning a numeric id and numeric/boolean tags into strings', () => {
    expect(
      validateRow(
        {
          id: 12,
          inputs: { question: 'q', context: ['a'] },
          outputs: { answer: 'a' },
          expectations: { expected_response: 'a' },
          tags: { topic: 'geo', level: 3, reviewed: true },
        },
        at,
      ),
    ).toEqual({
      id: '12',
      inputs: { question: 'q', context: ['a'] },
      outputs: { answer: 'a' },
      expectations: { expected_response: 'a' },
      tags: { topic: 'geo', level: '3', reviewed: 'true' },
    });
  });

  it('treats null id, outputs, expectations and tags as absent, and drops empty expectations and tags', () => {
    expect(
      validateRow({ id: null, inputs: { q: 1 }, outputs: null, expectations: {}, tags: null }, at),
    ).toEqual({
      inputs: { q: 1 },
    });
  });

  it('keeps falsy outputs that are not null', () => {
    expect(validateRow({ inputs: { q: 1 }, outputs: '' }, at).outputs).toBe('');
    expect(validateRow({ inputs: { q: 1 }, outputs: 0 }, at).outputs).toBe(0);
    expect(validateRow({ inputs: { q: 1 }, outputs: false }, at).outputs).toBe(false);
  });

  it.each([
    ['inputs a string', { inputs: 'What?' }, 'inputs', 'an object', 'got a string ("What?")'],
    ['inputs an array', { inputs: ['What?'] }, 'inputs', 'an object', 'got an array'],
    ['inputs empty', { inputs: {} }, 'inputs', 'a non-empty object', 'got an empty object'],
    ['inputs null', { inputs: null }, 'inputs', 'an object', 'got null'],
    [
      'expectations a list',
      { inputs: { q: 1 }, expectations: ['a'] },
      'expectations',
      'an object',
      'got an array',
    ],
    ['a tag an object', { inputs: { q: 1 }, tags: { t: { x: 1 } } }, 't', 'a string', 'got an object'],
    ['tags a string', { inputs: { q: 1 }, tags: 'x' }, 'tags', 'an object of strings', 'got a string'],
    ['id empty', { id: '', inputs: { q: 1 } }, 'id', 'a non-empty string or a number', 'got an empty string'],
    [
      'id an object',
      { id: { a: 1 }, inputs: { q: 1 } },
      'id',
      'a non-empty string or a number',
      'got an object',
    ],
  ])('rejects %s, naming the field and what was expected', (_, raw, field, expected, got) => {
    const error = failure(raw);
    expect(error.file).toBe('data/qa.jsonl');
    expect(error.line).toBe(7);
    expect(error.field).toContain(field);
    expect(error.expected).toContain(expected);
    expect(error.message).toContain(got);
    expect(error.message).toContain('data/qa.jsonl:line 7');
  });

  it('rejects an unknown top-level key in a row with inputs, naming the key', () => {
    const error = failure({ inputs: { q: 1 }, expected_response: 'a' });
    expect(error.field).toBe('expected_response');
    expect(error.message).toContain('unknown field');
    expect(error.expected).toContain('id, inputs, outputs, expectations, tags');
  });

  it('rejects a row that is not an object', () => {
    expect(failure(['a', 'b']).message).toContain('the row is an array');
    expect(failure('text').message).toContain('the row is a string');
    expect(failure(null).message).toContain('the row is null');
  });
});

describe('validateRow: flat rows (no "inputs" key)', () => {
  it('maps columns onto id, inputs, outputs, expectations and tags', () => {
    expect(
      validateRow(
        {
          id: 'r1',
          question: 'q',
          'inputs.context': 'ctx',
          response: 'a',
          expected_response: 'a',
          expected_facts: ['f1', 'f2'],
          expected_score: 3,
          guidelines: ['be brief'],
          'expectations.rubric': 'r',
          'tags.topic': 'geo',
          'tags.level': 2,
        },
        at,
      ),
    ).toEqual({
      id: 'r1',
      inputs: { question: 'q', context: 'ctx' },
      outputs: 'a',
      expectations: {
        expected_response: 'a',
        expected_facts: ['f1', 'f2'],
        expected_score: 3,
        guidelines: ['be brief'],
        rubric: 'r',
      },
      tags: { topic: 'geo', level: '2' },
    });
  });

  it.each(['outputs', 'output', 'response'])('reads "%s" as the outputs', (column) => {
    expect(validateRow({ prompt: 'p', [column]: 'answer' }, at)).toEqual({
      inputs: { prompt: 'p' },
      outputs: 'answer',
    });
  });

  it('merges "expectations" and "tags" object columns', () => {
    expect(
      validateRow({ prompt: 'p', expectations: { expected_response: 'x' }, tags: { split: 'dev' } }, at),
    ).toEqual({ inputs: { prompt: 'p' }, expectations: { expected_response: 'x' }, tags: { split: 'dev' } });
  });

  it('treats null outside inputs as absent but keeps null inputs', () => {
    expect(
      validateRow({ prompt: null, other: 'o', outputs: null, expected_response: null, id: null }, at),
    ).toEqual({
      inputs: { prompt: null, other: 'o' },
    });
  });

  it('rejects two outputs columns', () => {
    const error = failure({ prompt: 'p', output: 'a', response: 'b' });
    expect(error.field).toBe('response');
    expect(error.message).toContain('both "output" and "response"');
  });

  it('rejects two columns that set the same key', () => {
    const error = failure({ prompt: 'p', expected_response: 'a', 'expectations.expected_response': 'b' });
    expect(error.field).toBe('expectations.expected_response');
    expect(error.message).toContain('already set');
    expect(failure({ question: 'a', 'inputs.question': 'b' }).field).toBe('inputs.question');
  });

  it('rejects a row with no input columns (e.g. missing "inputs")', () => {
    const error = failure({ outputs: 'a', expected_response: 'b' });
    expect(error.field).toBe('inputs');
    expect(error.message).toContain('no input columns');
  });

  it('rejects a non-object "expectations" column and a prefix without a key', () => {
    expect(failure({ prompt: 'p', expectations: 'yes' }).field).toBe('expectations');
    expect(failure({ prompt: 'p', 'tags.': 'x' }).field).toBe('tags.');
  });

  it('rejects a tag column holding a list', () => {
    const error = failure({ prompt: 'p', 'tags.topics': ['a', 'b'] });
    expect(error.field).toBe('tags.topics');
    expect(error.expected).toContain('a string');
  });
});
