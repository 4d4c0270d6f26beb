import type { DatasetRow } from './record.js';
import type { RowResult } from './result.js';

/**
 * Runs the per-row pipeline over a stream of rows: locally with an async pool, or on a Ray cluster.
 * Results are delivered as they finish (completion order). Exactly one result per row id reaches `onResult`.
 */
export interface Executor {
  readonly name: string;
  execute(rows: AsyncIterable<DatasetRow>, options: ExecuteOptions): Promise<void>;
}

export interface ExecuteOptions {
  /** When aborted: stop dispatching new rows; rows in flight finish, then `execute` resolves. */
  signal: AbortSignal;
  /**
   * When aborted (a second Ctrl-C): abort rows in flight too. Their partial results are dropped, not
   * reported, so results never hold a row cut off halfway.
   */
  abortRows?: AbortSignal;
  /** Called once per finished row. */
  onResult(result: RowResult): void;
  /** Called when a row is dispatched. */
  onRowStart?(row: DatasetRow): void;
  /** Checked before each dispatch; returning a reason stops dispatching (budget reached). */
  shouldStop?(): string | undefined;
}
