import type { RowResult, RunStatus, RunSummary } from './result.js';

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

/** What a sink needs to know before the first row. */
export interface RunStartInfo {
  runName: string;
  experiment: string;
  startedAt: Date;
  totalRows: number;
  /** Resolved configuration with secrets redacted, flattened to string params. */
  params: Record<string, string>;
  dataset: DatasetInfo;
  /** Output folder of this run (results.jsonl, summary.json, spool). */
  outDir: string;
  /** The eval file's path and text, if the run came from one. */
  evalFile?: { path: string; text: string };
}

/** The dataset as a run input (MLflow `log-inputs`). */
export interface DatasetInfo {
  name: string;
  digest: string;
  /** `local` file, `code` (library records), or `mlflow_evaluation_dataset`. */
  sourceType: 'local' | 'code' | 'mlflow_evaluation_dataset';
  /** JSON-encodable description of the source (`{uri}` or `{dataset_id}`). */
  source: Record<string, unknown>;
  rows: number;
  /** Column schema: names of input/output/expectation keys seen. */
  schema: Record<string, unknown>;
}

/**
 * A result sink. `write` must not block scoring: sinks queue and write asynchronously.
 * `finish` resolves when everything is written (or spooled).
 */
export interface Sink {
  readonly name: string;
  start(info: RunStartInfo): Promise<void>;
  write(result: RowResult): void;
  /**
   * Writes what is left and ends the sink's run. With `wait: false` a sink that writes to a remote
   * system keeps its backlog on disk instead of sending it (reported as `pendingWrites`).
   */
  finish(summary: RunSummary, options?: SinkFinishOptions): Promise<SinkReport>;
  /** How far the sink's writes are, for sinks that write asynchronously (progress, ETA). */
  progress?(): SinkProgress;
}

export interface SinkFinishOptions {
  /** Default true: send the whole backlog before returning. */
  wait?: boolean;
}

export interface SinkProgress {
  /** Rows the sink has taken. */
  accepted: number;
  /** Rows completely written (or deliberately skipped, e.g. traces not kept). */
  written: number;
  /** Rows waiting in the sink's disk spool (part of accepted − written). */
  spooled: number;
}

export interface SinkReport {
  /** Extra fields for summary.json (e.g. `mlflow`). */
  summaryPatch?: Partial<RunSummary>;
  /** Writes left undelivered (spooled); a non-zero value makes the CLI exit 3. */
  pendingWrites?: number;
}
