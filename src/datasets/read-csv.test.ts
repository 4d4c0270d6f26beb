import { appendFileSync, createWriteStream } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { collect, fixturesDir, rejection, useTempDir } from '../../test/fixtures/datasets/temp-files.js';
import { DatasetError } from '../core/errors.js';
import { csvCell, readCsv } from './read-csv.js';

const temp = useTempDir();

describe('readCsv', () => {
  it('maps each record onto the header, parsing JSON cells and leaving empty cells out', async () => {
    const file = path.join(fixturesDir, 'qa.csv');
    const rows = await collect(readCsv(file));
    expect(rows).toEqual([
      {
        raw: {
          id: 'q1',
          question: 'What is the capital of France?',
          outputs: 'Paris',
          expected_response: 'Paris',
          'tags.topic': 'geography',
        },
        location: { source: file, line: 2 },
      },
      {
        raw: {
          question: 'What is 2 + 2?',
          outputs: '4',
          expected_response: '4',
          expected_facts: ['four'],
          'tags.topic': 'math',
          'tags.difficulty': '1',
        },
        location: { source: file, line: 3 },
      },
      {
        raw: { id: '3', question: 'Who wrote Hamlet?', expected_response: 'William Shakespeare' },
        location: { source: file, line: 4 },
      },
    ]);
  });

  it.each([
    ['CRLF', '\r\n'],
    ['LF', '\n'],
  ])(
    'accepts a byte order mark and %s, and gives the start line of a record with a multi-line cell',
    async (_, eol) => {
      const text = `\uFEFFquestion,context\n"first\nquestion",a\n\nsecond,b\n,\nthird,c\n`.replaceAll(
        '\n',
        eol,
      );
      const file = temp.write(`bom-${eol.length}.csv`, text);
      const rows = await collect(readCsv(file));
      expect(rows.map((row) => [row.raw, row.location.line])).toEqual([
        [{ question: `first${eol}question`, context: 'a' }, 2],
        [{ question: 'second', context: 'b' }, 5],
        [{ question: 'third', context: 'c' }, 7],
      ]);
    },
  );

  it('names the line of a record with the wrong number of fields', async () => {
    const file = temp.write('fields.csv', 'question,answer\nq1,a1\nq2\n');
    const error = await rejection(collect(readCsv(file)));
    expect(error).toBeInstanceOf(DatasetError);
    expect(error).toMatchObject({ file, line: 3, expected: '2 fields, like the header' });
  });

  it('reports an unclosed quote as invalid CSV with its line', async () => {
    const file = temp.write('quote.csv', 'question\nok\n"never closed\n');
    const error = await rejection(collect(readCsv(file)));
    expect(error).toBeInstanceOf(DatasetError);
    expect((error as DatasetError).line).toBe(3);
    expect((error as DatasetError).message).toContain('invalid CSV');
  });

  it('rejects duplicate and empty header names', async () => {
    const duplicate = await rejection(collect(readCsv(temp.write('dup.csv', 'q,a,q\n1,2,3\n'))));
    expect(duplicate).toMatchObject({ line: 1, field: 'q', expected: 'unique column names' });
    const empty = await rejection(collect(readCsv(temp.write('nameless.csv', 'q,,a\n1,2,3\n'))));
    expect(empty).toMatchObject({ line: 1, expected: 'a name for every column' });
  });

  it('yields nothing for an empty file or a header alone', async () => {
    expect(await collect(readCsv(temp.write('empty.csv', '')))).toEqual([]);
    expect(await collect(readCsv(temp.write('header.csv', 'question,answer\n')))).toEqual([]);
  });

  it('streams: rows appended after the first row was yielded are still read', async () => {
    const file = path.join(temp.dir, 'stream.csv');
    const out = createWriteStream(file);
    out.write('i,text\n');
    for (let i = 0; i < 50_000; i++) out.write(`${i},"row, number ${i}"\n`);
    await new Promise((resolve) => out.end(resolve));
    let count = 0;
    let last: unknown;
    for await (const row of readCsv(file)) {
      if (count === 0) appendFileSync(file, 'appended,last\n');
      count++;
      last = row.raw;
    }
    expect(count).toBe(50_001);
    expect(last).toEqual({ i: 'appended', text: 'last' });
  });
});

describe('csvCell', () => {
  it('parses whole-cell JSON arrays and objects and keeps other text', () => {
    expect(csvCell('["a","b"]')).toEqual(['a', 'b']);
    expect(csvCell(' {"k": 1} ')).toEqual({ k: 1 });
    expect(csvCell('[1] see [2]')).toBe('[1] see [2]');
    expect(csvCell('42')).toBe('42');
    expect(csvCell('true')).toBe('true');
    expect(csvCell(' ')).toBe(' ');
    expect(csvCell('')).toBeUndefined();
  });
});
