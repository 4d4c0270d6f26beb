import type { DatasetRow } from './record.js';
import type { RowResult } from './result.js';

/**
 * Runs the per-row pipeline over a stream of rows: locally with an async pool, or on a Ray cluster.
 * Results are delivered as they finish (completion order). Exactly one result per row id reaches `onResult`.
 */
export interface Executor {
  readonly name: string;
  /**
   * Gets ready to run rows — for Ray: reach the cluster (or start a local one) and start every worker —
   * before the run writes anything (no output folder, nothing in any sink), so a cluster that cannot be
   * reached costs nothing. Optional: `execute` prepares itself when it was not called.
   */
  prepare?(options: { signal?: AbortSignal }): Promise<void>;
  execute(rows: AsyncIterable<DatasetRow>, options: ExecuteOptions): Promise<void>;
  /** Releases what `prepare` acquired when `execute` is never called (a failure in between). */
  dispose?(): Promise<void>;
}

/**
 * What an executor does before dispatching the next row: `dispatch` it, `wait` until a row in flight
 * finishes and ask again, or `stop` dispatching (a budget is reached). `wait` is only answered while
 * rows are in flight.
 */
export type Admission = 'dispatch' | 'wait' | 'stop';

export interface ExecuteOptions {
  /** When aborted: stop dispatching new rows; rows in flight finish, then `execute` resolves. */
  signal: AbortSignal;
  /**
   * When aborted (Ctrl-C): abort rows in flight too, and return without waiting for them. Their partial
   * results are dropped, not reported, so results never hold a row cut off halfway.
   */
  abortRows?: AbortSignal;
  /** Called once per finished row. */
  onResult(result: RowResult): void;
  /** Called when a row is dispatched. */
  onRowStart?(row: DatasetRow): void;
  /** Asked before each dispatch (budgets); default `dispatch`. */
  admit?(): Admission;
}
