import type { RowResult, RunSummary } from './result.js';

/**
 * Where a run's results go. The runner takes a list of sinks and calls them in list order: `start`
 * before the first row, `write` with every row result, `progress` about once a second while rows are
 * scored, `finish` once with the summary. The app builds the default list (results.jsonl, then
 * MLflow when enabled); a library user's sinks come after those.
 *
 * How the runner treats a sink that fails: `start` throwing ends the run before any row is scored
 * (sinks already started are finished as FAILED); `write` throwing is a warning and the run goes on;
 * `finish` throwing does not stop the other sinks' `finish` or summary.json, and then fails the run
 * with the sink's name in the message; `progress` throwing is ignored.
 */
export interface Sink {
  /** Names the sink in messages and in `sink-progress` events. */
  readonly name: string;
  /** Called once before the first row. Throwing here ends the run before anything is scored. */
  start(info: RunStartInfo): Promise<void>;
  /**
   * Takes one row's result (already scrubbed of secrets). Must not block scoring: a sink that writes
   * to a slow or remote system queues and writes asynchronously.
   */
  write(result: RowResult): void;
  /**
   * Writes what is left and ends the sink's run; resolves when everything is written (or spooled).
   * The summary carries the sections earlier sinks in the list patched in (e.g. the MLflow run's URL).
   * With `wait: false` a sink that writes to a remote system keeps its backlog on disk instead of
   * sending it (reported as `pendingWrites`).
   */
  finish(summary: RunSummary, options?: SinkFinishOptions): Promise<SinkReport>;
  /** How far the sink's writes are, for sinks that write asynchronously (progress, ETA). */
  progress?(): SinkProgress;
  /**
   * Takes one point of the run's `progress/*` metrics (rows scored, throughput, latency, tokens, cost)
   * while it runs, for sinks that keep time series (MLflow run metrics). Must not block; best effort.
   */
  logProgress?(values: Record<string, number>, at: { step: number; timestamp: number }): void;
}

/** What a sink needs to know before the first row. */
export interface RunStartInfo {
  runName: string;
  experiment: string;
  startedAt: Date;
  totalRows: number;
  /** Resolved configuration with secrets redacted, flattened to string params. */
  params: Record<string, string>;
  dataset: DatasetInfo;
  /** Output folder of this run (results.jsonl, summary.json, a sink's own files). */
  outDir: string;
  /** The eval file's path and text, if the run came from one. */
  evalFile?: { path: string; text: string };
}

/** The dataset as a run input. */
export interface DatasetInfo {
  name: string;
  digest: string;
  /**
   * Where the rows came from: `local` (a file), `code` (records passed by a library caller), or the
   * kind a dataset source names itself (a managed dataset in a tracking server).
   */
  sourceType: string;
  /** JSON-encodable description of the source (`{uri}` or `{dataset_id}`). */
  source: Record<string, unknown>;
  rows: number;
  /** Column schema: names of input/output/expectation keys seen. */
  schema: Record<string, unknown>;
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
  /** Sections the sink adds to summary.json (see `RunSummary` for how a sink declares its section). */
  summaryPatch?: Partial<RunSummary>;
  /** Writes left undelivered (spooled); a non-zero value makes the CLI exit 3. */
  pendingWrites?: number;
}
