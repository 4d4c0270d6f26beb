import { DatasetError } from '../core/errors.js';
import {
  type DatasetFormat,
  type DatasetSource,
  datasetExtension,
  type FileDatasetSource,
  formatFromExtension,
  knownDatasetExtensions,
  type RawRow,
  sourceLabel,
} from './dataset-source.js';
import { readCsv } from './read-csv.js';
import { readJsonArray } from './read-json-array.js';
import { readJsonl } from './read-jsonl.js';
import { readYaml } from './read-yaml.js';

/** One loader per file format; a new format is a new file plus one line here. */
const fileLoaders: Readonly<Record<DatasetFormat, (filePath: string) => AsyncIterable<RawRow>>> = {
  jsonl: readJsonl,
  json: readJsonArray,
  csv: readCsv,
  yaml: readYaml,
};

/** The format of a file source: the given one, else from the extension; an unknown extension is an error. */
export function fileFormat(source: FileDatasetSource): DatasetFormat {
  if (source.format !== undefined) return source.format;
  const format = formatFromExtension(source.path);
  if (format !== undefined) return format;
  const extension = datasetExtension(source.path);
  throw new DatasetError({
    file: source.path,
    message:
      extension === ''
        ? 'the file has no extension, so its format is unknown'
        : `unknown dataset file extension "${extension}"`,
    expected: `one of ${knownDatasetExtensions.join(', ')} (optionally .gz), or an explicit format`,
  });
}

/** Streams a source's rows as read, before validation, each with its location. */
export function readRawRows(source: DatasetSource): AsyncIterable<RawRow> {
  switch (source.kind) {
    case 'file':
      return fileLoaders[fileFormat(source)](source.path);
    case 'records':
      return readIterable(source.records, sourceLabel(source));
    case 'rows':
      return readIterable(source.rows(), sourceLabel(source));
  }
}

/** Rows from memory or from another reader; the location's line is the 1-based position. */
async function* readIterable(
  rows: AsyncIterable<unknown> | Iterable<unknown>,
  source: string,
): AsyncGenerator<RawRow> {
  let line = 0;
  for await (const raw of rows) {
    line++;
    yield { raw, location: { source, line } };
  }
}
