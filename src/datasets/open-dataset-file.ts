import type { FileHandle } from 'node:fs/promises';
import { open } from 'node:fs/promises';
import { pipeline, type Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { DatasetError, errorMessage } from '../core/errors.js';

const byteOrderMark = '\uFEFF';

/** Reads 64 KiB at a time: large enough for throughput, small enough that memory stays flat. */
const chunkBytes = 64 * 1024;

/**
 * Opens a dataset file as a byte stream, decompressing `.gz` files. Opening eagerly (rather than letting
 * `createReadStream` fail on the first read) turns a missing file into a DatasetError before any row.
 */
export async function openDatasetFile(filePath: string): Promise<Readable> {
  let handle: FileHandle | undefined;
  try {
    handle = await open(filePath, 'r');
    const stats = await handle.stat();
    if (stats.isDirectory()) throw new Error('it is a folder, not a file');
    if (!stats.isFile()) throw new Error('not a regular file');
  } catch (error) {
    await handle?.close();
    throw new DatasetError({
      file: filePath,
      message: `cannot open the dataset file: ${errorMessage(error)}`,
      cause: error,
    });
  }
  const stream = handle.createReadStream({ highWaterMark: chunkBytes });
  if (!filePath.toLowerCase().endsWith('.gz')) return stream;
  // pipeline (not pipe) so a read error or corrupt gzip data surfaces on the stream the loader iterates.
  return pipeline(stream, createGunzip({ chunkSize: chunkBytes }), () => {});
}

/**
 * Reads a whole dataset file as text, refusing files over `maxBytes` (after decompression) with a
 * message that says what to do instead.
 */
export async function readDatasetText(
  filePath: string,
  options: { maxBytes: number; formatLabel: string },
): Promise<string> {
  const stream = await openDatasetFile(filePath);
  const chunks: Buffer[] = [];
  let total = 0;
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      total += chunk.length;
      if (total > options.maxBytes) {
        throw new DatasetError({
          file: filePath,
          message: `${options.formatLabel} datasets are read whole and this file is over ${formatMegabytes(options.maxBytes)}`,
          expected: 'a smaller file, or the same rows as JSONL or CSV, which are streamed',
        });
      }
      chunks.push(chunk);
    }
  } catch (error) {
    throw readFailure(error, filePath, undefined);
  } finally {
    stream.destroy();
  }
  return stripByteOrderMark(Buffer.concat(chunks, total).toString('utf8'));
}

/** Removes a leading UTF-8 byte order mark (Excel and some Windows tools write one). */
export function stripByteOrderMark(text: string): string {
  return text.startsWith(byteOrderMark) ? text.slice(1) : text;
}

/** Wraps an I/O failure into a DatasetError naming the file (and the line reached); DatasetErrors pass through. */
export function readFailure(error: unknown, filePath: string, line: number | undefined): DatasetError {
  if (error instanceof DatasetError) return error;
  return new DatasetError({
    file: filePath,
    ...(line !== undefined ? { line } : {}),
    message: `cannot read the dataset file: ${errorMessage(error)}`,
    cause: error,
  });
}

function formatMegabytes(bytes: number): string {
  return `${Math.round(bytes / (1024 * 1024))} MB`;
}
