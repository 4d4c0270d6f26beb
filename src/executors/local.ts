import { setMaxListeners } from 'node:events';
import type { ExecuteOptions, Executor } from '../core/executor.js';
import type { DatasetRow } from '../core/record.js';
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

      // Woken whenever a row finishes or the run is stopped: a lane told to `wait` asks again then.
      let wake: () => void = () => undefined;
      let changed = new Promise<void>((resolve) => {
        wake = resolve;
      });
      const notify = (): void => {
        const resolve = wake;
        changed = new Promise<void>((next) => {
          wake = next;
        });
        resolve();
      };
      execute.signal.addEventListener('abort', notify, { once: true });
      rowSignal.addEventListener('abort', notify, { once: true });
      const aborted = new Promise<'aborted'>((resolve) => {
        if (rowSignal.aborted) resolve('aborted');
        else rowSignal.addEventListener('abort', () => resolve('aborted'), { once: true });
      });

      const nextRow = async (): Promise<DatasetRow | undefined> => {
        for (;;) {
          if (done || execute.signal.aborted || rowSignal.aborted || failure !== undefined) return undefined;
          const admission = execute.admit?.() ?? 'dispatch';
          if (admission === 'stop') {
            done = true;
            return undefined;
          }
          if (admission === 'dispatch') break;
          await changed;
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
          // An aborted row is not waited for: a call that ignores its signal (a hung predict function)
          // must not hold the run after Ctrl-C. Its result, if it ever comes, is dropped.
          const result = await Promise.race([runRow(row, options.pipeline, rowSignal), aborted]);
          if (result === 'aborted' || rowSignal.aborted) return;
          execute.onResult(result);
          notify();
        }
      };

      try {
        await Promise.all(Array.from({ length: concurrency }, lane));
      } finally {
        execute.signal.removeEventListener('abort', notify);
        rowSignal.removeEventListener('abort', notify);
      }
      if (!done) await Promise.resolve(iterator.return?.()).catch(() => undefined);
      if (failure !== undefined) throw failure;
    },
  };
}
