import { pipeline } from 'node:stream';
import { type CastingContext, type Info, parse } from 'csv-parse';
import { DatasetError } from '../core/errors.js';
import type { RawRow } from './dataset-source.js';
import { openDatasetFile, readFailure } from './open-dataset-file.js';

/**
 * Streams a CSV file with a header row into one object per record, keyed by column name. Cells:
 * an empty cell is left out (absent, not ""); a cell whose whole text is a JSON array or object
 * (`["a","b"]`, `{"k":1}`) becomes that value; every other cell stays a string. Lines that are empty
 * or hold only empty cells are skipped. `location.line` is the line where the record starts (a quoted
 * cell may span lines).
 */
export async function* readCsv(filePath: string): AsyncGenerator<RawRow> {
  const input = await openDatasetFile(filePath);
  const parser = pipeline(
    input,
    // relax_column_count: the record comes through and we report the mismatch with its line ourselves.
    parse({ bom: true, info: true, skip_empty_lines: true, relax_column_count: true }),
    () => {},
  );
  let header: string[] | undefined;
  let previousEndLine = 0;
  let previousEmptyLines = 0;
  // csv-parse counts a CRLF inside a quoted cell as two lines; this is the running excess to take off.
  let excessLines = 0;
  let line: number | undefined;
  try {
    for await (const { record, info } of parser as AsyncIterable<{
      record: string[];
      info: Info & CastingContext;
    }>) {
      line = previousEndLine + 1 + (info.empty_lines - previousEmptyLines);
      excessLines += countCrLf(record);
      previousEndLine = info.lines - excessLines;
      previousEmptyLines = info.empty_lines;
      if (header === undefined) {
        header = readHeader(record, filePath, line);
        continue;
      }
      if (record.length !== header.length) {
        throw new DatasetError({
          file: filePath,
          line,
          message: `the record has ${record.length} fields`,
          expected: `${header.length} fields, like the header`,
        });
      }
      const raw: Record<string, unknown> = {};
      let cells = 0;
      for (let i = 0; i < header.length; i++) {
        const value = csvCell(record[i] ?? '');
        if (value === undefined) continue;
        raw[header[i] as string] = value;
        cells++;
      }
      if (cells === 0) continue;
      yield { raw, location: { source: filePath, line } };
    }
  } catch (error) {
    throw csvFailure(error, filePath, line, excessLines);
  } finally {
    parser.destroy();
  }
}

/** The value of one CSV cell (see readCsv). */
export function csvCell(text: string): unknown {
  if (text === '') return undefined;
  const trimmed = text.trim();
  const first = trimmed[0];
  const last = trimmed[trimmed.length - 1];
  if ((first === '[' && last === ']') || (first === '{' && last === '}')) {
    try {
      return JSON.parse(trimmed);
    } catch {
      // Text such as "[1] see [2]" only looks like JSON; it stays a string.
      return text;
    }
  }
  return text;
}

function readHeader(record: string[], filePath: string, line: number): string[] {
  const header = record.map((name) => name.trim());
  const firstSeen = new Map<string, number>();
  header.forEach((name, column) => {
    if (name === '') {
      throw new DatasetError({
        file: filePath,
        line,
        message: `header column ${column + 1} has no name`,
        expected: 'a name for every column',
      });
    }
    const earlier = firstSeen.get(name);
    if (earlier !== undefined) {
      throw new DatasetError({
        file: filePath,
        line,
        field: name,
        message: `header columns ${earlier + 1} and ${column + 1} have the same name`,
        expected: 'unique column names',
      });
    }
    firstSeen.set(name, column);
  });
  return header;
}

function countCrLf(record: readonly string[]): number {
  let count = 0;
  for (const cell of record) {
    for (let at = cell.indexOf('\r\n'); at !== -1; at = cell.indexOf('\r\n', at + 2)) count++;
  }
  return count;
}

function csvFailure(
  error: unknown,
  filePath: string,
  line: number | undefined,
  excessLines: number,
): DatasetError {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && code.startsWith('CSV_')) {
    const errorLine = (error as { lines?: unknown }).lines;
    return new DatasetError({
      file: filePath,
      ...(typeof errorLine === 'number'
        ? { line: errorLine - excessLines }
        : line !== undefined
          ? { line }
          : {}),
      message: `invalid CSV: ${(error as Error).message}`,
      cause: error,
    });
  }
  return readFailure(error, filePath, line);
}
