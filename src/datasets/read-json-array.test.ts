import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { collect, fixturesDir, rejection, useTempDir } from '../../test/fixtures/datasets/temp-files.js';
import { DatasetError } from '../core/errors.js';
import { JsonArraySplitter, readJsonArray } from './read-json-array.js';

const temp = useTempDir();

describe('readJsonArray', () => {
  it('yields each element with the line it starts on', async () => {
    const file = path.join(fixturesDir, 'qa.json');
    const rows = await collect(readJsonArray(file));
    expect(rows.map((row) => row.location.line)).toEqual([2, 9, 15]);
    expect(rows[2]?.raw).toEqual({
      id: 3,
      inputs: { question: 'Who wrote Hamlet?' },
      expectations: { expected_response: 'William Shakespeare' },
    });
  });

  it('accepts a byte order mark, CRLF and an empty array', async () => {
    const rows = await collect(
      readJsonArray(temp.write('bom.json', '\uFEFF[\r\n{"inputs":{"q":1}},\r\n{"inputs":{"q":2}}\r\n]\r\n')),
    );
    expect(rows).toEqual([
      { raw: { inputs: { q: 1 } }, location: expect.objectContaining({ line: 2 }) },
      { raw: { inputs: { q: 2 } }, location: expect.objectContaining({ line: 3 }) },
    ]);
    expect(await collect(readJsonArray(temp.write('empty-array.json', ' [ ] ')))).toEqual([]);
    expect(await collect(readJsonArray(temp.write('empty.json', '')))).toEqual([]);
  });

  it.each([
    ['not an array', '{"inputs": {}}', 1, 'does not start with "["'],
    ['a trailing comma', '[\n{"inputs":{"q":1}},\n]', 3, 'unexpected "]"'],
    ['a missing element', '[{"inputs":{"q":1}},,{"inputs":{"q":1}}]', 1, 'unexpected ","'],
    ['an unclosed array', '[\n{"inputs":{"q":1}}\n', 3, 'ended inside the JSON array'],
    ['content after the array', '[{"inputs":{"q":1}}]\n[]', 2, 'after the closing "]"'],
    ['a stray brace', '[{"inputs":{"q":1}}}]', 1, 'unexpected "}"'],
    ['an invalid element', '[\n{"inputs":{"q":1}},\n{"inputs": {"q" 1}}\n]', 3, 'invalid JSON'],
  ])('rejects %s with its line', async (_, text, line, message) => {
    const file = temp.write('bad.json', text);
    const error = await rejection(collect(readJsonArray(file)));
    expect(error).toBeInstanceOf(DatasetError);
    expect(error).toMatchObject({ file, line });
    expect((error as DatasetError).message).toContain(message);
  });

  it('reads a 5 MB element', async () => {
    const big = 'y'.repeat(5 * 1024 * 1024);
    const rows = await collect(
      readJsonArray(temp.write('huge.json', `[{"inputs":{"q":"${big}"}},{"inputs":{"q":"b"}}]`)),
    );
    expect(rows).toHaveLength(2);
    expect((rows[0]!.raw as { inputs: { q: string } }).inputs.q).toHaveLength(big.length);
  });
});

describe('JsonArraySplitter', () => {
  it('splits correctly whatever the chunk boundaries, with brackets, commas and escapes inside strings', () => {
    const elements = [
      { inputs: { q: 'a, "quoted" ] } [ {' }, tags: { t: '\\' } },
      [1, [2, { x: [] }]],
      'plain string \\" ,',
      42,
      null,
      { inputs: { q: 'line\nbreak', unicode: 'é ✓ \u2028' } },
    ];
    const text = `[${elements.map((element) => JSON.stringify(element)).join(' ,\n ')}]`;
    for (const chunkSize of [1, 2, 3, 7, text.length]) {
      const splitter = new JsonArraySplitter('mem.json');
      const texts: string[] = [];
      for (let at = 0; at < text.length; at += chunkSize) {
        for (const element of splitter.push(text.slice(at, at + chunkSize))) texts.push(element.text);
      }
      splitter.end();
      expect(texts.map((element) => JSON.parse(element))).toEqual(elements);
    }
  });
});
