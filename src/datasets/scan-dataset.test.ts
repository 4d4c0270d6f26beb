import { appendFileSync, createWriteStream } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { collect, fixturesDir, rejection, useTempDir } from '../../test/fixtures/datasets/temp-files.js';
import { ConfigError, DatasetError } from '../core/errors.js';
import { rowIdFromInputs } from '../core/ids.js';
import type { DatasetSource } from './dataset-source.js';
import { readDataset } from './read-dataset.js';
import { datasetInfo, scanDataset } from './scan-dataset.js';

const temp = useTempDir();

const fixture = (name: string): DatasetSource => ({ kind: 'file', path: path.join(fixturesDir, name) });

async function readAll(source: DatasetSource, options: Parameters<typeof scanDataset>[1] = {}) {
  const scan = await scanDataset(source, options);
  return { scan, rows: await collect(readDataset(source, { scan })) };
}

async function datasetError(promise: Promise<unknown>): Promise<DatasetError> {
  const error = await rejection(promise);
  expect(error).toBeInstanceOf(DatasetError);
  return error as DatasetError;
}

const twoPlusTwo = { question: 'What is 2 + 2?' };

describe('scanDataset', () => {
  it('reads the same three records, ids and digest from every format and the flat mapping', async () => {
    const expected = [
      {
        id: 'q1',
        inputs: { question: 'What is the capital of France?' },
        outputs: 'Paris',
        expectations: { expected_response: 'Paris' },
        tags: { topic: 'geography' },
      },
      {
        id: rowIdFromInputs(twoPlusTwo),
        inputs: twoPlusTwo,
        outputs: '4',
        expectations: { expected_response: '4', expected_facts: ['four'] },
        tags: { topic: 'math', difficulty: '1' },
      },
      {
        id: '3',
        inputs: { question: 'Who wrote Hamlet?' },
        expectations: { expected_response: 'William Shakespeare' },
      },
    ];
    const digests = new Set<string>();
    for (const name of ['qa.jsonl', 'qa.json', 'qa.csv', 'qa-list.yaml', 'qa-records.yaml', 'flat.jsonl']) {
      const { scan, rows } = await readAll(fixture(name));
      expect(
        rows.map((row) => row.record),
        name,
      ).toEqual(expected);
      expect(rows.map((row) => row.index)).toEqual([0, 1, 2]);
      expect(scan.rows).toBe(3);
      digests.add(scan.digest);
    }
    expect(digests.size).toBe(1);
    expect([...digests][0]).toMatch(/^[0-9a-f]{32}$/);
  });

  it('summarises the schema, the outputs counts, the name, format and origin', async () => {
    const scan = await scanDataset(fixture('qa.jsonl'));
    expect(scan).toMatchObject({
      name: 'qa',
      format: 'jsonl',
      rows: 3,
      selectedRows: 3,
      rowsWithOutputs: 2,
      rowsWithoutOutputs: 1,
      schema: {
        inputs: ['question'],
        outputs: 'string',
        expectations: ['expected_facts', 'expected_response'],
        tags: ['difficulty', 'topic'],
      },
      origin: { sourceType: 'local', source: { uri: path.join(fixturesDir, 'qa.jsonl') } },
    });
    expect(datasetInfo(scan)).toEqual({
      name: 'qa',
      digest: scan.digest,
      sourceType: 'local',
      source: { uri: path.join(fixturesDir, 'qa.jsonl') },
      rows: 3,
      schema: scan.schema,
    });
  });

  it('computes a digest that ignores key order and whitespace but not content or row order', async () => {
    const digest = async (text: string) =>
      (await scanDataset({ kind: 'file', path: temp.write('d.jsonl', text) })).digest;
    const base = await digest('{"inputs":{"a":1,"b":2},"outputs":"x"}\n{"inputs":{"a":2}}\n');
    expect(await digest('{ "outputs": "x", "inputs": { "b": 2, "a": 1 } }\n\n{"inputs": {"a": 2}}\n')).toBe(
      base,
    );
    expect(await digest('{"inputs":{"a":1,"b":2},"outputs":"y"}\n{"inputs":{"a":2}}\n')).not.toBe(base);
    expect(await digest('{"inputs":{"a":2}}\n{"inputs":{"a":1,"b":2},"outputs":"x"}\n')).not.toBe(base);
  });

  it('gives repeated inputs #2, #3 in file order', async () => {
    const text =
      '{"inputs":{"q":"same"}}\n{"inputs":{"q":"other"}}\n{"inputs":{"q":"same"}}\n{"inputs":{"q":"same"}}\n';
    const { rows } = await readAll({ kind: 'file', path: temp.write('repeats.jsonl', text) });
    const same = rowIdFromInputs({ q: 'same' });
    expect(rows.map((row) => row.record.id)).toEqual([
      same,
      rowIdFromInputs({ q: 'other' }),
      `${same}#2`,
      `${same}#3`,
    ]);
  });

  it('rejects a duplicate explicit id, naming both lines', async () => {
    const text =
      '{"id":"a","inputs":{"q":1}}\n{"id":3,"inputs":{"q":2}}\n{"id":"b","inputs":{"q":3}}\n{"id":"3","inputs":{"q":4}}\n';
    const file = temp.write('dup-ids.jsonl', text);
    const error = await datasetError(scanDataset({ kind: 'file', path: file }));
    expect(error).toMatchObject({ file, line: 4, field: 'id' });
    expect(error.message).toContain('duplicate id "3", first used on line 2');
  });

  it.each([
    ['empty.jsonl', ''],
    ['blank.jsonl', '\n\n'],
    ['header.csv', 'question,answer\n'],
    ['empty.json', '[]'],
    ['empty.yaml', '# no rows\n'],
  ])('says "dataset is empty" for %s', async (name, text) => {
    const file = temp.write(name, text);
    const error = await datasetError(scanDataset({ kind: 'file', path: file }));
    expect(error.file).toBe(file);
    expect(error.message).toContain('dataset is empty');
  });

  it('stops at the first invalid row with its DatasetError', async () => {
    const text = '{"inputs":{"q":1}}\n{"inputs":{"q":2}}\n{"outputs":"no inputs"}\n{"inputs":"bad"}\n';
    const file = temp.write('invalid.jsonl', text);
    const error = await datasetError(scanDataset({ kind: 'file', path: file }));
    expect(error).toMatchObject({ file, line: 3, field: 'inputs' });
  });

  it('takes the format from the extension unless given, and rejects an unknown extension', async () => {
    const file = temp.write('rows.txt', '{"inputs":{"q":1}}\n');
    const error = await datasetError(scanDataset({ kind: 'file', path: file }));
    expect(error.message).toContain('unknown dataset file extension ".txt"');
    expect(error.expected).toContain('.jsonl');
    const scan = await scanDataset({ kind: 'file', path: file, format: 'jsonl', name: 'custom' });
    expect(scan).toMatchObject({ rows: 1, format: 'jsonl', name: 'custom' });
  });

  it('reads inline records and rows from another reader (re-opened for each pass)', async () => {
    const records = await readAll({
      kind: 'records',
      records: [{ inputs: { q: 1 } }, { q: 2, expected_response: 'x' }],
    });
    expect(records.scan).toMatchObject({ name: 'dataset', source: '<inline>', format: 'records', rows: 2 });
    expect(records.rows.map((row) => row.record.inputs)).toEqual([{ q: 1 }, { q: 2 }]);
    expect(records.rows[1]?.location).toEqual({ source: '<inline>', line: 2 });

    let opened = 0;
    const source: DatasetSource = {
      kind: 'rows',
      name: 'golden',
      source: 'mlflow:golden',
      origin: { sourceType: 'mlflow_evaluation_dataset', source: { dataset_id: 'd-1' } },
      rows: async function* () {
        opened++;
        yield { inputs: { q: 'a' }, expectations: { expected_response: 'A' } };
        yield { inputs: { q: 'b' } };
      },
    };
    const rows = await readAll(source);
    expect(opened).toBe(2);
    expect(rows.rows.map((row) => row.record.inputs)).toEqual([{ q: 'a' }, { q: 'b' }]);
    expect(datasetInfo(rows.scan)).toMatchObject({
      sourceType: 'mlflow_evaluation_dataset',
      source: { dataset_id: 'd-1' },
    });
    const error = await datasetError(scanDataset({ kind: 'records', records: [] }));
    expect(error.message).toContain('<inline>: dataset is empty');
  });

  it('rejects limit together with sample, and non-positive sizes', async () => {
    await expect(scanDataset(fixture('qa.jsonl'), { limit: 1, sample: { size: 1 } })).rejects.toBeInstanceOf(
      ConfigError,
    );
    await expect(scanDataset(fixture('qa.jsonl'), { limit: 0 })).rejects.toBeInstanceOf(ConfigError);
    await expect(scanDataset(fixture('qa.jsonl'), { sample: { size: 1.5 } })).rejects.toBeInstanceOf(
      ConfigError,
    );
  });

  it('stops when aborted', async () => {
    const controller = new AbortController();
    controller.abort();
    await expect(scanDataset(fixture('qa.jsonl'), { signal: controller.signal })).rejects.toThrow();
  });
});

describe('readDataset with limit and sample', () => {
  const rowsText = Array.from({ length: 300 }, (_, i) => JSON.stringify({ inputs: { q: i % 40 } })).join(
    '\n',
  );
  const source: DatasetSource = { kind: 'file', path: temp.write('three-hundred.jsonl', `${rowsText}\n`) };

  it('limit takes the first N rows, indexed from 0, and still validates the whole file', async () => {
    const { scan, rows } = await readAll(source, { limit: 5 });
    expect(scan).toMatchObject({ rows: 300, selectedRows: 5 });
    expect(rows.map((row) => row.index)).toEqual([0, 1, 2, 3, 4]);
    expect(rows.map((row) => row.location.line)).toEqual([1, 2, 3, 4, 5]);
    const bad = temp.write('late-error.jsonl', `${rowsText}\n{"inputs":[]}\n`);
    expect((await datasetError(scanDataset({ kind: 'file', path: bad }, { limit: 5 }))).line).toBe(301);
  });

  it('a limit larger than the dataset takes every row', async () => {
    expect((await readAll(source, { limit: 1000 })).rows).toHaveLength(300);
  });

  it('sample: the same seed picks the same rows, another seed other rows, in file order with the full-read ids', async () => {
    const all = (await readAll(source)).rows;
    const idAtLine = new Map(all.map((row) => [row.location.line, row.record.id]));
    const first = (await readAll(source, { sample: { size: 20, seed: 7 } })).rows;
    const again = (await readAll(source, { sample: { size: 20, seed: 7 } })).rows;
    const other = (await readAll(source, { sample: { size: 20, seed: 8 } })).rows;
    expect(first).toHaveLength(20);
    expect(first.map((row) => row.record.id)).toEqual(again.map((row) => row.record.id));
    expect(first.map((row) => row.record.id)).not.toEqual(other.map((row) => row.record.id));
    expect(first.map((row) => row.index)).toEqual(Array.from({ length: 20 }, (_, i) => i));
    const lines = first.map((row) => row.location.line);
    expect(lines).toEqual([...lines].sort((a, b) => a - b));
    // Inputs repeat every 40 rows, so most sampled ids carry a #n suffix: they must match the full read.
    for (const row of first) expect(row.record.id).toBe(idAtLine.get(row.location.line));
    expect(first.some((row) => row.record.id.includes('#'))).toBe(true);
  });

  it('refuses to read a file that changed after the scan', async () => {
    const file = temp.write('changing.jsonl', '{"inputs":{"q":1}}\n');
    const scan = await scanDataset({ kind: 'file', path: file });
    appendFileSync(file, '{"inputs":{"q":2}}\n');
    const error = await datasetError(collect(readDataset({ kind: 'file', path: file }, { scan })));
    expect(error.message).toContain('changed after it was validated');
  });

  it('refuses the scan of another source', async () => {
    const scan = await scanDataset(fixture('qa.jsonl'));
    await expect(collect(readDataset(fixture('qa.csv'), { scan }))).rejects.toThrow('scan of');
  });
});

describe('scanDataset on larger and real data', () => {
  it('streams a 200k-row JSONL file: rows appended during the scan are counted', async () => {
    const file = path.join(temp.dir, 'big.jsonl');
    const out = createWriteStream(file);
    for (let i = 0; i < 200_000; i++) out.write(`{"inputs":{"i":${i}},"outputs":"o${i}"}\n`);
    await new Promise((resolve) => out.end(resolve));
    let appended = false;
    const scan = await scanDataset(
      { kind: 'file', path: file },
      {
        onProgress: () => {
          // A loader that read the whole file before validating the first row would miss this row.
          if (!appended) appendFileSync(file, '{"inputs":{"i":"late"}}\n');
          appended = true;
        },
      },
    );
    expect(appended).toBe(true);
    expect(scan.rows).toBe(200_001);
    expect(scan.rowsWithoutOutputs).toBe(1);
    expect(Object.keys(scan)).not.toContain('records');
  });

  // Flat rows shaped like IFEval's (key, prompt, instruction_id_list, kwargs with nested lists and
  // objects), from a fixture in the repository: every column maps to inputs.
  it('reads flat instruction-following rows: schema, ids, a pinned digest, a stable sample', async () => {
    const source: DatasetSource = { kind: 'file', path: path.join(fixturesDir, 'instructions.jsonl') };
    const { scan, rows } = await readAll(source);
    expect(scan).toMatchObject({
      name: 'instructions',
      rows: 12,
      rowsWithOutputs: 0,
      schema: { inputs: ['instruction_id_list', 'key', 'kwargs', 'prompt'], expectations: [], tags: [] },
    });
    // The digest is a contract (MLflow run inputs): a change here changes every stored digest.
    expect(scan.digest).toBe('1db23a7fd5b8765e8c8232d2a9d6b27d');
    expect(rows[0]?.record.inputs).toMatchObject({
      key: 3001,
      instruction_id_list: ['length_constraints:number_sentences'],
      kwargs: [{ relation: 'exactly', num_sentences: 4 }],
    });
    expect(rows[0]?.record.id).toBe(rowIdFromInputs(rows[0]?.record.inputs ?? {}));
    expect(new Set(rows.map((row) => row.record.id)).size).toBe(12);
    const sampled = (await readAll(source, { sample: { size: 5, seed: 1 } })).rows;
    expect(sampled).toHaveLength(5);
    expect(sampled.map((row) => row.location.line)).toEqual(
      (await readAll(source, { sample: { size: 5, seed: 1 } })).rows.map((row) => row.location.line),
    );
  });
});
