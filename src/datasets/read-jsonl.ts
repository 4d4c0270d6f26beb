import { createInterface } from 'node:readline';
import { DatasetError, errorMessage } from '../core/errors.js';
import type { RawRow } from './dataset-source.js';
import { openDatasetFile, readFailure, stripByteOrderMark } from './open-dataset-file.js';

/**
 * Streams a JSON Lines file: one JSON value per line, blank lines skipped, CRLF and a leading BOM
 * accepted. readline's async iterator pauses the file stream while lines wait, so memory holds a few
 * chunks and the current line, whatever the file size; a single line may be many megabytes.
 */
export async function* readJsonl(filePath: string): AsyncGenerator<RawRow> {
  const input = await openDatasetFile(filePath);
  const lines = createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY });
  let line = 0;
  try {
    for await (const text of lines) {
      line++;
      const content = line === 1 ? stripByteOrderMark(text) : text;
      if (content.trim() === '') continue;
      let raw: unknown;
      try {
        raw = JSON.parse(content);
      } catch (error) {
        throw new DatasetError({
          file: filePath,
          line,
          message: `invalid JSON: ${errorMessage(error)}`,
          expected: 'one JSON object per line',
          cause: error,
        });
      }
      yield { raw, location: { source: filePath, line } };
    }
  } catch (error) {
    throw readFailure(error, filePath, line === 0 ? undefined : line);
  } finally {
    lines.close();
    input.destroy();
  }
}
