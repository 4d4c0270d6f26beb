import type { RowResult, RunStatus, RunSummary } from './result.js';
import type { SinkProgress } from './sink.js';

// The sink contract lives in sink.ts; re-exported here for imports written before it moved.
export type { DatasetInfo, RunStartInfo, Sink, SinkFinishOptions, SinkProgress, SinkReport } from './sink.js';

/** Run events, noun-verb. Sinks and progress reporters consume these. */
export type RunEvent =
  | { type: 'run-start'; runName: string; totalRows: number; startedAt: Date }
  | { type: 'row-start'; rowId: string; index: number }
  | { type: 'row-end'; result: RowResult }
  | { type: 'run-end'; status: RunStatus; summary: RunSummary }
  /** Every row is scored; what remains is the sinks' writing (`finish`). */
  | { type: 'scoring-end'; rows: number; scoringSeconds: number }
  /** A sink's writes, while they lag behind scoring (about once a second). */
  | { type: 'sink-progress'; sink: string; progress: SinkProgress };
