import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { RunStartInfo, Sink, SinkReport } from '../../core/events.js';
import type { RowResult } from '../../core/result.js';

/** The line written for one row, as README.md "Outputs" describes it (`{id, inputs, outputs, expectations, feedbacks, error?, trace}`). */
export function resultLine(result: RowResult): string {
  const line: Record<string, unknown> = {
    id: result.id,
    index: result.index,
    inputs: result.inputs,
    outputs: result.outputs,
    expectations: result.expectations,
    tags: result.tags,
    feedbacks: result.feedbacks,
  };
  if (result.error !== undefined) line.error = result.error;
  line.usage = result.usage;
  line.duration_ms = Math.round(result.durationMs * 1000) / 1000;
  line.trace = result.trace;
  return `${JSON.stringify(line)}\n`;
}

/**
 * Appends one JSON line per finished row to `<outDir>/results.jsonl`, in completion order. Writes go
 * through a stream (never blocking scoring); `finish` resolves once every line is on disk.
 */
export function createResultsJsonlSink(): Sink {
  let stream: WriteStream | undefined;
  let failure: Error | undefined;
  return {
    name: 'results.jsonl',
    async start(info: RunStartInfo) {
      await mkdir(info.outDir, { recursive: true });
      stream = createWriteStream(path.join(info.outDir, 'results.jsonl'), { flags: 'a' });
      stream.on('error', (error) => {
        failure ??= error;
      });
    },
    write(result: RowResult) {
      if (stream === undefined) throw new Error('results.jsonl sink used before start()');
      stream.write(resultLine(result));
    },
    async finish(): Promise<SinkReport> {
      const s = stream;
      if (s !== undefined) {
        await new Promise<void>((resolve, reject) => {
          s.end((error?: Error | null) => (error ? reject(error) : resolve()));
        });
      }
      if (failure !== undefined) throw failure;
      return {};
    },
  };
}
