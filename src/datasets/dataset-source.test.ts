import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DatasetError } from '../core/errors.js';
import { datasetName, datasetOrigin, formatFromExtension, sourceLabel } from './dataset-source.js';
import { fileFormat } from './read-raw-rows.js';

describe('dataset sources', () => {
  it.each([
    ['qa.jsonl', 'jsonl'],
    ['qa.NDJSON', 'jsonl'],
    ['qa.json', 'json'],
    ['data/qa.csv', 'csv'],
    ['qa.yaml', 'yaml'],
    ['qa.yml', 'yaml'],
    ['qa.jsonl.gz', 'jsonl'],
    ['qa.txt', undefined],
    ['qa', undefined],
  ])('%s has format %s', (file, format) => {
    expect(formatFromExtension(file)).toBe(format);
  });

  it('names a file dataset after the file without its extension, unless named', () => {
    expect(datasetName({ kind: 'file', path: 'data/qa-v1.jsonl' })).toBe('qa-v1');
    expect(datasetName({ kind: 'file', path: 'data/qa.v2.csv.gz' })).toBe('qa.v2');
    expect(datasetName({ kind: 'file', path: 'data/qa.jsonl', name: 'golden' })).toBe('golden');
    expect(datasetName({ kind: 'records', records: [] })).toBe('dataset');
  });

  it('labels and describes sources for errors and MLflow', () => {
    expect(sourceLabel({ kind: 'records', records: [] })).toBe('<inline>');
    expect(sourceLabel({ kind: 'records', records: [], source: 'eval.yaml#dataset.records' })).toBe(
      'eval.yaml#dataset.records',
    );
    expect(datasetOrigin({ kind: 'file', path: 'qa.jsonl' })).toEqual({
      sourceType: 'local',
      source: { uri: path.resolve('qa.jsonl') },
    });
    expect(datasetOrigin({ kind: 'records', records: [] })).toEqual({ sourceType: 'code', source: {} });
  });

  it('prefers an explicit format and rejects a file without a known extension', () => {
    expect(fileFormat({ kind: 'file', path: 'rows.txt', format: 'csv' })).toBe('csv');
    expect(() => fileFormat({ kind: 'file', path: 'rows' })).toThrow(DatasetError);
    expect(() => fileFormat({ kind: 'file', path: 'rows' })).toThrow('has no extension');
  });
});
