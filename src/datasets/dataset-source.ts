import path from 'node:path';
import type { DatasetInfo } from '../core/events.js';
import type { RowLocation } from '../core/record.js';

/** File formats judgeflow reads. */
export type DatasetFormat = 'jsonl' | 'json' | 'csv' | 'yaml';

/**
 * Where a dataset comes from. Every variant can be read more than once: the scan pass validates the
 * whole dataset, then a second pass streams the rows for the run.
 */
export type DatasetSource = FileDatasetSource | RecordsDatasetSource | RowsDatasetSource;

/** A file on disk. `.gz` after the extension is decompressed on the fly (`qa.jsonl.gz`). */
export interface FileDatasetSource {
  kind: 'file';
  /** Path of the file; relative paths resolve against the working directory (resolve eval-file paths first). */
  path: string;
  /** Default: from the extension (.jsonl/.ndjson, .json, .csv, .yaml/.yml). */
  format?: DatasetFormat;
  /** Default: the file name without its extension. */
  name?: string;
}

/** Records held in memory: the eval file's `dataset.records`, or `evaluate({data: [...]})`. */
export interface RecordsDatasetSource {
  kind: 'records';
  records: readonly unknown[];
  /** Default: `dataset` (what `mlflow.genai.evaluate()` names a list or DataFrame). */
  name?: string;
  /** Label used in error messages. Default: `<inline>`. */
  source?: string;
}

/**
 * Raw rows produced by someone else (MLflow evaluation datasets). `rows` is a factory, not an iterable,
 * because the dataset is read twice (scan, then run) and an async iterable can be consumed only once.
 * Each item is a row as a user would write it in JSONL (structured or flat); strip fields that are
 * not row fields (e.g. MLflow's `dataset_record_id`) before yielding it.
 */
export interface RowsDatasetSource {
  kind: 'rows';
  name: string;
  /** Label used in error messages and row locations, e.g. `mlflow:qa-golden`. */
  source: string;
  rows: () => AsyncIterable<unknown> | Iterable<unknown>;
  /** How the run input is described to MLflow. Default: `{sourceType: 'code', source: {}}`. */
  origin?: DatasetOrigin;
}

/** The dataset as MLflow's `log-inputs` describes its source. */
export interface DatasetOrigin {
  sourceType: DatasetInfo['sourceType'];
  source: Record<string, unknown>;
}

/** One row as a loader read it, before validation. */
export interface RawRow {
  raw: unknown;
  location: RowLocation;
}

const formatByExtension: Readonly<Record<string, DatasetFormat>> = {
  '.jsonl': 'jsonl',
  '.ndjson': 'jsonl',
  '.json': 'json',
  '.csv': 'csv',
  '.yaml': 'yaml',
  '.yml': 'yaml',
};

/** The extension that decides the format, with a trailing `.gz` looked through. */
export function datasetExtension(filePath: string): string {
  const base = path.basename(filePath).toLowerCase();
  const withoutGzip = base.endsWith('.gz') ? base.slice(0, -3) : base;
  return path.extname(withoutGzip);
}

/** The format named by a file's extension, or undefined when the extension is not one judgeflow reads. */
export function formatFromExtension(filePath: string): DatasetFormat | undefined {
  return formatByExtension[datasetExtension(filePath)];
}

/** The extensions judgeflow recognises, for error messages. */
export const knownDatasetExtensions: readonly string[] = Object.keys(formatByExtension);

/** The dataset's name: the given one, else the file name without extension (and `.gz`), else `dataset`. */
export function datasetName(source: DatasetSource): string {
  if (source.name !== undefined) return source.name;
  if (source.kind === 'file') {
    const base = path.basename(source.path);
    const withoutGzip = base.toLowerCase().endsWith('.gz') ? base.slice(0, -3) : base;
    const extension = path.extname(withoutGzip);
    const stem = extension === '' ? withoutGzip : withoutGzip.slice(0, -extension.length);
    return stem === '' ? withoutGzip : stem;
  }
  return 'dataset';
}

/** The label that names the source in errors and row locations. */
export function sourceLabel(source: DatasetSource): string {
  switch (source.kind) {
    case 'file':
      return source.path;
    case 'records':
      return source.source ?? '<inline>';
    case 'rows':
      return source.source;
  }
}

/** How the source is described to MLflow as a run input. */
export function datasetOrigin(source: DatasetSource): DatasetOrigin {
  switch (source.kind) {
    case 'file':
      return { sourceType: 'local', source: { uri: path.resolve(source.path) } };
    case 'records':
      return { sourceType: 'code', source: {} };
    case 'rows':
      return source.origin ?? { sourceType: 'code', source: {} };
  }
}
