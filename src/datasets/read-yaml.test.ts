import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { collect, fixturesDir, rejection, useTempDir } from '../../test/fixtures/datasets/temp-files.js';
import { DatasetError } from '../core/errors.js';
import { readYaml } from './read-yaml.js';

const temp = useTempDir();

const expectedRows = [
  {
    id: 'q1',
    inputs: { question: 'What is the capital of France?' },
    outputs: 'Paris',
    expectations: { expected_response: 'Paris' },
    tags: { topic: 'geography' },
  },
  {
    inputs: { question: 'What is 2 + 2?' },
    outputs: '4',
    expectations: { expected_response: '4', expected_facts: ['four'] },
    tags: { topic: 'math', difficulty: 1 },
  },
  {
    id: 3,
    inputs: { question: 'Who wrote Hamlet?' },
    expectations: { expected_response: 'William Shakespeare' },
  },
];

describe('readYaml', () => {
  it('reads a list of records with the line each item starts on', async () => {
    const rows = await collect(readYaml(path.join(fixturesDir, 'qa-list.yaml')));
    expect(rows.map((row) => row.raw)).toEqual(expectedRows);
    expect(rows.map((row) => row.location.line)).toEqual([2, 10, 16]);
  });

  it('reads a mapping with a records list', async () => {
    const rows = await collect(readYaml(path.join(fixturesDir, 'qa-records.yaml')));
    expect(rows.map((row) => row.raw)).toEqual(expectedRows);
    expect(rows.map((row) => row.location.line)).toEqual([3, 11, 17]);
  });

  it('accepts a byte order mark and CRLF, and resolves anchors across items', async () => {
    const file = temp.write('crlf.yaml', '\uFEFF- inputs: &shared\r\n    q: one\r\n- inputs: *shared\r\n');
    const rows = await collect(readYaml(file));
    expect(rows).toEqual([
      { raw: { inputs: { q: 'one' } }, location: { source: file, line: 1 } },
      { raw: { inputs: { q: 'one' } }, location: { source: file, line: 3 } },
    ]);
  });

  it('yields nothing for an empty file or an empty records list', async () => {
    expect(await collect(readYaml(temp.write('empty.yaml', '')))).toEqual([]);
    expect(await collect(readYaml(temp.write('comment.yaml', '# nothing yet\n')))).toEqual([]);
    expect(await collect(readYaml(temp.write('no-records.yaml', 'records: []\n')))).toEqual([]);
  });

  it.each([
    ['invalid YAML', '- inputs: {q: 1}\n- inputs: [unclosed\n', undefined, 'invalid YAML'],
    ['an unknown top-level key', 'records:\n  - inputs: {q: 1}\nname: qa\n', 3, 'unknown top-level key'],
    ['records that are not a list', 'records:\n  q: 1\n', 1, 'is not a list'],
    ['a single scalar', 'hello\n', 1, 'single value'],
    ['duplicate keys', '- inputs: {q: 1}\n  inputs: {q: 2}\n', 2, 'invalid YAML'],
  ])('rejects %s', async (_, text, line, message) => {
    const file = temp.write('bad.yaml', text);
    const error = await rejection(collect(readYaml(file)));
    expect(error).toBeInstanceOf(DatasetError);
    expect((error as DatasetError).message).toContain(message);
    if (line !== undefined) expect((error as DatasetError).line).toBe(line);
    else expect((error as DatasetError).line).toBeGreaterThan(0);
  });
});
