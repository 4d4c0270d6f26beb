import { appendFileSync, createWriteStream } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { collect, fixturesDir, rejection, useTempDir } from '../../test/fixtures/datasets/temp-files.js';
import { DatasetError } from '../core/errors.js';
import { readJsonl } from './read-jsonl.js';

const temp = useTempDir();

describe('readJsonl', () => {
  it('yields one raw row per line with its 1-based line, skipping blank lines', async () => {
    const file = path.join(fixturesDir, 'qa.jsonl');
    const rows = await collect(readJsonl(file));
    expect(rows.map((row) => row.location)).toEqual([
      { source: file, line: 1 },
      { source: file, line: 3 },
      { source: file, line: 4 },
    ]);
    expect(rows[0]?.raw).toMatchObject({ id: 'q1', inputs: { question: 'What is the capital of France?' } });
  });

  it('accepts a UTF-8 byte order mark and CRLF line endings', async () => {
    const file = temp.write(
      'bom-crlf.jsonl',
      '\uFEFF{"inputs":{"q":"a"}}\r\n\r\n{"inputs":{"q":"b\\r"}}\r\n',
    );
    const rows = await collect(readJsonl(file));
    expect(rows).toEqual([
      { raw: { inputs: { q: 'a' } }, location: { source: file, line: 1 } },
      { raw: { inputs: { q: 'b\r' } }, location: { source: file, line: 3 } },
    ]);
  });

  it('names the file and line of a bad JSON line', async () => {
    const file = temp.write('bad.jsonl', '{"inputs":{"q":"a"}}\n{"inputs": {"q": }\n');
    const error = await rejection(collect(readJsonl(file)));
    expect(error).toBeInstanceOf(DatasetError);
    expect(error).toMatchObject({ file, line: 2 });
    expect((error as DatasetError).message).toContain(`${file}:line 2`);
    expect((error as DatasetError).message).toContain('invalid JSON');
    expect((error as DatasetError).cause).toBeInstanceOf(SyntaxError);
  });

  it('reads a 5 MB single line', async () => {
    const big = 'x'.repeat(5 * 1024 * 1024);
    const file = temp.write('huge.jsonl', `{"inputs":{"q":"small"}}\n{"inputs":{"q":"${big}"}}\n`);
    const rows = await collect(readJsonl(file));
    expect(rows).toHaveLength(2);
    expect((rows[1]!.raw as { inputs: { q: string } }).inputs.q).toHaveLength(big.length);
  });

  it('yields nothing for an empty or blank file (the scan reports it)', async () => {
    expect(await collect(readJsonl(temp.write('empty.jsonl', '')))).toEqual([]);
    expect(await collect(readJsonl(temp.write('blank.jsonl', '\n  \r\n\n')))).toEqual([]);
  });

  it('reads gzip-compressed files', async () => {
    const file = temp.write('rows.jsonl.gz', gzipSync('{"inputs":{"q":1}}\n{"inputs":{"q":2}}\n'));
    const rows = await collect(readJsonl(file));
    expect(rows.map((row) => row.raw)).toEqual([{ inputs: { q: 1 } }, { inputs: { q: 2 } }]);
  });

  it('reports a missing file as a DatasetError naming it', async () => {
    const file = path.join(temp.dir, 'missing.jsonl');
    const error = await rejection(collect(readJsonl(file)));
    expect(error).toBeInstanceOf(DatasetError);
    expect((error as DatasetError).file).toBe(file);
    expect((error as DatasetError).message).toContain('cannot open');
  });

  it('streams: rows appended after the first row was yielded are still read', async () => {
    // If the loader read the whole file before yielding, the appended row would be missed.
    const file = path.join(temp.dir, 'stream.jsonl');
    const out = createWriteStream(file);
    for (let i = 0; i < 50_000; i++) out.write(`{"inputs":{"i":${i}}}\n`);
    await new Promise((resolve) => out.end(resolve));
    let count = 0;
    let last: unknown;
    for await (const row of readJsonl(file)) {
      if (count === 0) appendFileSync(file, '{"inputs":{"i":"appended"}}\n');
      count++;
      last = row.raw;
    }
    expect(count).toBe(50_001);
    expect(last).toEqual({ inputs: { i: 'appended' } });
  });
});
