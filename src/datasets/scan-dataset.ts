import { createHash } from 'node:crypto';
import type { Stats } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { ConfigError, DatasetError } from '../core/errors.js';
import type { DatasetInfo } from '../core/events.js';
import { RowIdAssigner } from '../core/ids.js';
import { canonicalJson } from '../core/json.js';
import type { RowLocation } from '../core/record.js';
import {
  type DatasetFormat,
  type DatasetOrigin,
  type DatasetSource,
  datasetName,
  datasetOrigin,
  formatFromExtension,
  knownDatasetExtensions,
  sourceLabel,
} from './dataset-source.js';
import { fileFormat, readRawRows } from './read-raw-rows.js';
import { ReservoirSampler } from './row-sampler.js';
import { type DatasetSchemaSummary, SchemaSummaryBuilder } from './schema-summary.js';
import { validateRow } from './validate-row.js';

/** Which rows a run takes: all of them, the first N, or a seeded random sample of N. */
export interface ScanDatasetOptions {
  /** Take the first `limit` rows. Not together with `sample`. */
  limit?: number;
  /** Take a deterministic random sample of `size` rows (kept in file order); `seed` defaults to 0. */
  sample?: { size: number; seed?: number };
  signal?: AbortSignal;
  /** Called every `progressEvery` rows with the number of rows validated so far (a long scan's progress line). */
  onProgress?: (rowsScanned: number) => void;
  /**
   * Input fields every row should have (dotted paths under `inputs`, e.g. `question` for a prompt's
   * `{{ inputs.question }}`): the scan counts the rows that lack each one (see `missingInputs`).
   */
  requiredInputs?: readonly string[];
}

/** A row named in a message: where it is and its id. */
export interface RowReference {
  location: RowLocation;
  id: string;
}

/** Rows lacking an input field that `requiredInputs` asked for. */
export interface MissingInput {
  /** The dotted path under `inputs`. */
  path: string;
  /** How many rows lack it. */
  rows: number;
  /** The first of them. */
  first: RowReference;
}

/** How often `onProgress` is called. */
export const progressEvery = 1000;

/** Digest length in hex characters: within MLflow's 36-character limit for dataset digests. */
export const digestLength = 32;

/** The result of the validation pass: everything a run needs to know before its first row. */
export interface DatasetScan {
  /** The dataset's name (given, or the file name without extension, or `dataset`). */
  name: string;
  /** The file path, or the label of in-memory rows (`<inline>`, `mlflow:<name>`). */
  source: string;
  format: DatasetFormat | 'records' | 'rows';
  /** How to describe the source to MLflow's log-inputs. */
  origin: DatasetOrigin;
  /** 32 hex: sha256 over the canonical JSON of every validated row (with its id), in order. Covers the whole dataset, not the selection. */
  digest: string;
  /** Rows in the dataset. */
  rows: number;
  /** Rows the run takes after limit/sample (what readDataset yields). */
  selectedRows: number;
  schema: DatasetSchemaSummary;
  /** Rows that carry recorded outputs (no model call needed) and rows that do not, over the whole dataset. */
  rowsWithOutputs: number;
  rowsWithoutOutputs: number;
  /** The first row without outputs, to name it when no model under test is configured. */
  firstRowWithoutOutputs?: RowReference;
  /** The `requiredInputs` some rows lack, in the order asked (empty when every row has them all). */
  missingInputs: MissingInput[];
  /** What readDataset needs to stream the selected rows again. Treat as opaque. */
  readonly plan: ReadPlan;
}

/** Internal to the datasets module: the second pass's instructions. */
export interface ReadPlan {
  readonly source: DatasetSource;
  readonly selection: RowSelection;
  /** Ids with a `#n` suffix (repeated inputs) by position, so the second pass needs no table of every id. */
  readonly repeatedIds: ReadonlyMap<number, string>;
  /** Size and modification time of the file when it was scanned, to refuse a file changed in between. */
  readonly fileStamp: FileStamp | undefined;
}

export type RowSelection =
  | { kind: 'all' }
  | { kind: 'first'; count: number }
  | { kind: 'positions'; positions: readonly number[] };

export interface FileStamp {
  size: number;
  mtimeMs: number;
}

/**
 * Reads the whole dataset once: validates every row (stopping at the first invalid one with its
 * DatasetError), assigns row ids (explicit, or the inputs hash with `#2`, `#3` for repeats; a
 * duplicate explicit id is an error naming both lines), and computes the digest, row count, schema
 * summary, outputs counts and the limit/sample selection — holding no rows. Memory grows only with
 * the id table (RowIdAssigner: about 100 bytes per row) and the sample size.
 */
export async function scanDataset(
  source: DatasetSource,
  options: ScanDatasetOptions = {},
): Promise<DatasetScan> {
  checkSelectionOptions(options);
  const label = sourceLabel(source);
  // the file first: a folder or a missing file is named as such, before its extension is looked at
  const fileStamp = source.kind === 'file' ? await fileStampOf(source.path) : undefined;
  const format = source.kind === 'file' ? fileFormat(source) : source.kind;
  const ids = new RowIdAssigner();
  const hash = createHash('sha256');
  const schema = new SchemaSummaryBuilder();
  const sampler =
    options.sample !== undefined
      ? new ReservoirSampler(options.sample.size, options.sample.seed ?? 0)
      : undefined;
  const repeatedIds = new Map<number, string>();
  let rows = 0;
  let rowsWithOutputs = 0;
  let firstRowWithoutOutputs: RowReference | undefined;
  const missing = new Map<string, { rows: number; first: RowReference }>();
  const required = (options.requiredInputs ?? []).map((p) => ({ path: p, parts: p.split('.') }));

  for await (const { raw, location } of readRawRows(source)) {
    options.signal?.throwIfAborted();
    const input = validateRow(raw, location);
    const assigned = ids.assign(input.id, input.inputs);
    if ('duplicate' in assigned) throw await duplicateIdError(source, assigned.duplicate, rows, location);
    if (input.id === undefined && assigned.id.includes('#')) repeatedIds.set(rows, assigned.id);
    hash.update(canonicalJson({ ...input, id: assigned.id }));
    hash.update('\n');
    schema.add(input);
    if (input.outputs !== undefined) rowsWithOutputs++;
    else firstRowWithoutOutputs ??= { location, id: assigned.id };
    for (const { path, parts } of required) {
      if (hasPath(input.inputs, parts)) continue;
      const entry = missing.get(path);
      if (entry === undefined) missing.set(path, { rows: 1, first: { location, id: assigned.id } });
      else entry.rows++;
    }
    sampler?.add();
    rows++;
    if (rows % progressEvery === 0) options.onProgress?.(rows);
  }

  if (rows === 0) {
    throw new DatasetError({ file: label, message: 'dataset is empty', expected: 'at least one row' });
  }
  const selection = selectRows(rows, options, sampler);
  return {
    name: datasetName(source),
    source: label,
    format,
    origin: datasetOrigin(source),
    digest: hash.digest('hex').slice(0, digestLength),
    rows,
    selectedRows: selectedCount(selection, rows),
    schema: schema.summary(),
    rowsWithOutputs,
    rowsWithoutOutputs: rows - rowsWithOutputs,
    ...(firstRowWithoutOutputs !== undefined ? { firstRowWithoutOutputs } : {}),
    missingInputs: required.flatMap(({ path }) => {
      const entry = missing.get(path);
      return entry !== undefined ? [{ path, ...entry }] : [];
    }),
    plan: { source, selection, repeatedIds: keepSelected(repeatedIds, selection), fileStamp },
  };
}

/** The dataset as a run input for sinks (MLflow log-inputs). */
export function datasetInfo(scan: DatasetScan): DatasetInfo {
  return {
    name: scan.name,
    digest: scan.digest,
    sourceType: scan.origin.sourceType,
    source: scan.origin.source,
    rows: scan.rows,
    schema: { ...scan.schema },
  };
}

/** The size and modification time of a dataset file (a DatasetError when it cannot be read). */
export async function fileStampOf(filePath: string): Promise<FileStamp> {
  let stats: Stats;
  try {
    stats = await stat(filePath);
  } catch (error) {
    const missing = (error as NodeJS.ErrnoException).code === 'ENOENT';
    throw new DatasetError({
      file: filePath,
      message: missing ? 'the dataset file does not exist' : 'cannot open the dataset file',
      ...(missing ? { expected: 'dataset.path relative to the eval file' } : {}),
      cause: error,
    });
  }
  if (stats.isDirectory()) throw await folderError(filePath);
  return { size: stats.size, mtimeMs: stats.mtimeMs };
}

/** A folder given as the dataset: say so, and name the dataset files in it. */
async function folderError(folder: string): Promise<DatasetError> {
  const files = await readdir(folder).catch(() => [] as string[]);
  const datasets = files.filter((name) => formatFromExtension(name) !== undefined).sort();
  const shown = datasets.slice(0, 5).join(', ') + (datasets.length > 5 ? ', ...' : '');
  return new DatasetError({
    file: folder,
    message: 'this is a folder, not a dataset file',
    expected:
      datasets.length > 0
        ? `the path of one file in it, e.g. ${path.join(path.basename(folder), datasets[0] as string)} (it holds ${shown})`
        : `the path of a dataset file (${knownDatasetExtensions.join(', ')}); this folder holds none`,
  });
}

/** True when `inputs` has a value (not undefined) at the dotted path. */
function hasPath(inputs: Record<string, unknown>, parts: readonly string[]): boolean {
  let current: unknown = inputs;
  for (const part of parts) {
    if (current === null || typeof current !== 'object') return false;
    current = (current as Record<string, unknown>)[part];
  }
  return current !== undefined;
}

function checkSelectionOptions(options: ScanDatasetOptions): void {
  if (options.limit !== undefined && options.sample !== undefined) {
    throw new ConfigError('limit and sample cannot be used together', { field: 'limit' });
  }
  if (options.limit !== undefined && !(Number.isSafeInteger(options.limit) && options.limit > 0)) {
    throw new ConfigError(`limit must be a positive integer, got ${options.limit}`, { field: 'limit' });
  }
  const sample = options.sample;
  if (sample !== undefined && !(Number.isSafeInteger(sample.size) && sample.size > 0)) {
    throw new ConfigError(`sample must be a positive integer, got ${sample.size}`, { field: 'sample' });
  }
  if (sample?.seed !== undefined && !Number.isSafeInteger(sample.seed)) {
    throw new ConfigError(`seed must be an integer, got ${sample.seed}`, { field: 'seed' });
  }
}

function selectRows(
  rows: number,
  options: ScanDatasetOptions,
  sampler: ReservoirSampler | undefined,
): RowSelection {
  if (options.limit !== undefined && options.limit < rows) return { kind: 'first', count: options.limit };
  if (sampler !== undefined && options.sample !== undefined && options.sample.size < rows) {
    return { kind: 'positions', positions: sampler.positions() };
  }
  return { kind: 'all' };
}

function selectedCount(selection: RowSelection, rows: number): number {
  switch (selection.kind) {
    case 'all':
      return rows;
    case 'first':
      return selection.count;
    case 'positions':
      return selection.positions.length;
  }
}

function keepSelected(repeatedIds: Map<number, string>, selection: RowSelection): Map<number, string> {
  const isSelected = selectedPositions(selection);
  for (const position of repeatedIds.keys()) if (!isSelected(position)) repeatedIds.delete(position);
  return repeatedIds;
}

function selectedPositions(selection: RowSelection): (position: number) => boolean {
  switch (selection.kind) {
    case 'all':
      return () => true;
    case 'first':
      return (position) => position < selection.count;
    case 'positions': {
      const positions = new Set(selection.positions);
      return (position) => positions.has(position);
    }
  }
}

/**
 * A duplicate explicit id is rare and fatal, so rather than remembering every id's line during the
 * scan, the rows before the duplicate are read again to find where the id first appeared.
 */
async function duplicateIdError(
  source: DatasetSource,
  id: string,
  duplicatePosition: number,
  location: RowLocation,
): Promise<DatasetError> {
  let firstLine: number | undefined;
  let position = 0;
  for await (const { raw, location: earlier } of readRawRows(source)) {
    if (position++ >= duplicatePosition) break;
    if (validateRow(raw, earlier).id === id) {
      firstLine = earlier.line;
      break;
    }
  }
  return new DatasetError({
    file: location.source,
    line: location.line,
    field: 'id',
    message: `duplicate id ${JSON.stringify(id)}${firstLine !== undefined ? `, first used on line ${firstLine}` : ''}`,
    expected: 'a unique id per row',
  });
}
