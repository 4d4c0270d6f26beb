import { isMap, isNode, isScalar, isSeq, LineCounter, type Node, parseDocument, type YAMLSeq } from 'yaml';
import { DatasetError } from '../core/errors.js';
import type { RawRow } from './dataset-source.js';
import { readDatasetText } from './open-dataset-file.js';

/**
 * YAML has no streaming parser here, so a YAML dataset is read and parsed whole; files over this size
 * are refused with a pointer to JSONL/CSV, which stream. The parsed tree takes several times the file
 * size in memory, hence the modest limit.
 */
export const maxYamlBytes = 64 * 1024 * 1024;

/**
 * Reads a YAML dataset: either a list of records, or a mapping whose only key is `records:` holding
 * that list. Rows are converted to plain values one at a time. YAML 1.2 core schema (no dates, no
 * `yes`/`no` booleans); duplicate keys are errors. `location.line` is the line where the item starts.
 */
export async function* readYaml(filePath: string): AsyncGenerator<RawRow> {
  const text = await readDatasetText(filePath, { maxBytes: maxYamlBytes, formatLabel: 'YAML' });
  const lineCounter = new LineCounter();
  const document = parseDocument(text, { lineCounter });
  const firstError = document.errors[0];
  if (firstError !== undefined) {
    const line = firstError.linePos?.[0].line;
    throw new DatasetError({
      file: filePath,
      ...(line !== undefined ? { line } : {}),
      message: `invalid YAML: ${firstError.message.split('\n')[0]}`,
      cause: firstError,
    });
  }
  const contents = document.contents;
  if (contents === null) return; // an empty file: the scan reports "dataset is empty"
  const lineOf = (node: Node): number => (node.range ? lineCounter.linePos(node.range[0]).line : 1);
  const list = recordList(contents, filePath, lineOf);
  for (const item of list.items) {
    if (isNode(item)) {
      yield { raw: item.toJS(document), location: { source: filePath, line: lineOf(item) } };
    } else {
      // An empty list item (`-` alone) has no node of its own; validation rejects the null.
      yield { raw: null, location: { source: filePath, line: lineOf(list) } };
    }
  }
}

function recordList(contents: Node, filePath: string, lineOf: (node: Node) => number): YAMLSeq {
  if (isSeq(contents)) return contents;
  const expected = 'a list of records, or a mapping with a "records:" list';
  if (!isMap(contents)) {
    throw new DatasetError({
      file: filePath,
      line: lineOf(contents),
      message: 'the YAML document is a single value',
      expected,
    });
  }
  let records: YAMLSeq | undefined;
  for (const pair of contents.items) {
    const key = isScalar(pair.key) ? pair.key.value : pair.key;
    const keyLine = isNode(pair.key) ? lineOf(pair.key) : lineOf(contents);
    if (key !== 'records') {
      throw new DatasetError({
        file: filePath,
        line: keyLine,
        field: String(key),
        message: 'unknown top-level key',
        expected,
      });
    }
    if (!isSeq(pair.value)) {
      throw new DatasetError({
        file: filePath,
        line: keyLine,
        field: 'records',
        message: 'is not a list',
        expected,
      });
    }
    records = pair.value;
  }
  if (records === undefined) {
    throw new DatasetError({
      file: filePath,
      line: lineOf(contents),
      message: 'no "records:" key',
      expected,
    });
  }
  return records;
}
