import { setMaxListeners } from 'node:events';
import type { ExecuteOptions, Executor } from '../core/executor.js';
import type { DatasetRow } from '../core/record.js';
import type { RowResult } from '../core/result.js';
import { type RowPipeline, runRow } from '../runner/pipeline.js';

/**
 * Runs rows in this process with at most `concurrency` rows in flight. Rows are pulled from the source
 * only when a slot frees up, so neither rows nor promises pile up: memory is flat in the dataset size.
 */
export function createLocalExecutor(options: { pipeline: RowPipeline; concurrency: number }): Executor {
  const concurrency = Math.max(1, Math.floor(options.concurrency));
  return {
    name: 'local',
    async execute(rows: AsyncIterable<DatasetRow>, execute: ExecuteOptions): Promise<void> {
      const iterator = rows[Symbol.asyncIterator]();
      const rowSignal = execute.abortRows ?? new AbortController().signal;
      // every row in flight listens on the same signal; lift Node's leak warning (meant for listeners
      // that pile up without bound, which these do not: at most `concurrency` at a time)
      setMaxListeners(0, rowSignal);
      let done = false;
      let failure: unknown;

      const nextRow = async (): Promise<DatasetRow | undefined> => {
        if (done || execute.signal.aborted || failure !== undefined) return undefined;
        if (execute.shouldStop?.() !== undefined) {
          done = true;
          return undefined;
        }
        const next = await iterator.next();
        if (next.done === true) {
          done = true;
          return undefined;
        }
        return next.value;
      };

      // Each lane pulls its next row after finishing the previous one; pulls are serialized so the
      // source iterator is never called concurrently.
      let pulling: Promise<unknown> = Promise.resolve();
      const pull = (): Promise<DatasetRow | undefined> => {
        const result = pulling.then(nextRow);
        pulling = result.catch(() => undefined);
        return result;
      };

      const lane = async (): Promise<void> => {
        for (;;) {
          let row: DatasetRow | undefined;
          try {
            row = await pull();
          } catch (error) {
            failure ??= error;
            return;
          }
          if (row === undefined) return;
          execute.onRowStart?.(row);
          const result: RowResult = await runRow(row, options.pipeline, rowSignal);
          if (!rowSignal.aborted) execute.onResult(result);
        }
      };

      await Promise.all(Array.from({ length: concurrency }, lane));
      if (!done) await iterator.return?.();
      if (failure !== undefined) throw failure;
    },
  };
}
