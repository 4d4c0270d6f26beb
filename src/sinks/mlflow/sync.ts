import { errorMessage } from '../../core/errors.js';
import type { MlflowClient } from './client.js';
import { diedWhileWriting, type MetricsFromResults, recoverDeadRun } from './recover.js';
import { RunWriter } from './run-writer.js';
import { isOutage, mlflowRunUrl } from './sink.js';
import { Spool } from './spool.js';

export interface SyncReport {
  /** No spool in the folder: nothing to do. */
  nothingToSync: boolean;
  rowsWritten: number;
  linksWritten: number;
  finished: boolean;
  /** Entries still in the spool (0: the spool was removed). */
  remaining: number;
  runId?: string;
  url?: string;
  /** Why entries remain, when they do. */
  errors: string[];
}

/**
 * Replays `<outDir>/mlflow-spool/` (`judgeflow mlflow sync`): creates the run if it never was (finding
 * it first by its `judgeflow.runKey` tag, so a lost create is not repeated), writes every spooled row
 * with check-then-write (a row already in MLflow is left as it is, a partly written one is completed),
 * links the traces, finishes the run, and removes what was delivered. Safe to run again at any point.
 */
export async function syncSpool(options: {
  outDir: string;
  client: MlflowClient;
  batchSize?: number;
  log?: (line: string) => void;
  /**
   * For a run whose process died before it could finish: the metrics of the rows in results.jsonl
   * (default: none). With it, the run is completed from results.jsonl and ends KILLED.
   */
  metricsFromResults?: MetricsFromResults;
}): Promise<SyncReport> {
  const log = options.log ?? (() => undefined);
  const report: SyncReport = {
    nothingToSync: false,
    rowsWritten: 0,
    linksWritten: 0,
    finished: false,
    remaining: 0,
    errors: [],
  };
  if (!Spool.existsIn(options.outDir)) return { ...report, nothingToSync: true };
  const spool = new Spool(options.outDir);
  await spool.open();
  const state = await spool.readState();
  if (state === undefined) return { ...report, nothingToSync: true };
  const died = diedWhileWriting(state);
  if (state.tracking_uri !== options.client.trackingUri) {
    log(`the spool was written for ${state.tracking_uri}; sending it to ${options.client.trackingUri}`);
    state.tracking_uri = options.client.trackingUri;
  }
  const writer = new RunWriter(options.client, state);
  try {
    await writer.ensureRun({ searchFirst: true });
    await spool.writeState(state);
  } catch (error) {
    report.errors.push(errorMessage(error));
    report.remaining = spool.pendingLines + 1;
    return report;
  }
  if (state.run_id !== undefined) report.runId = state.run_id;
  if (state.experiment_id !== undefined && state.run_id !== undefined) {
    report.url = mlflowRunUrl(options.client.trackingUri, state.experiment_id, state.run_id);
  }

  const batchSize = options.batchSize ?? 8;
  let cursor = 0;
  let stopped = false;
  const linked: string[] = [];
  while (!stopped) {
    const entries = await spool.read(cursor, batchSize);
    if (entries.length === 0) break;
    cursor = (entries[entries.length - 1]?.line ?? cursor) + 1;
    const rows = entries.flatMap(({ line, entry }) =>
      entry.kind === 'row' ? [{ line, result: entry.result }] : [],
    );
    for (const { line, entry } of entries) {
      if (entry.kind !== 'link') continue;
      try {
        await writer.link(entry.trace_ids);
        spool.markDone([line]);
        report.linksWritten += entry.trace_ids.length;
      } catch (error) {
        report.errors.push(errorMessage(error));
        if (isOutage(error)) stopped = true;
      }
    }
    if (rows.length === 0 || stopped) continue;
    try {
      const ids = await writer.writeRows(
        rows.map((row) => writer.jobFor(row.result)),
        { verify: true },
      );
      spool.markDone(rows.map((row) => row.line));
      report.rowsWritten += rows.length;
      linked.push(...ids);
    } catch (error) {
      if (isOutage(error)) {
        report.errors.push(errorMessage(error));
        stopped = true;
        break;
      }
      // One bad row must not hold the others back: write them one by one.
      for (const row of rows) {
        try {
          const ids = await writer.writeRows([writer.jobFor(row.result)], { verify: true });
          spool.markDone([row.line]);
          report.rowsWritten++;
          linked.push(...ids);
        } catch (rowError) {
          report.errors.push(`row ${row.result.id}: ${errorMessage(rowError)}`);
          if (isOutage(rowError)) {
            stopped = true;
            break;
          }
        }
      }
    }
    if (linked.length >= 100 && !stopped) {
      try {
        await writer.link(linked.splice(0, linked.length));
      } catch (error) {
        report.errors.push(errorMessage(error));
        stopped = true;
      }
    }
  }
  if (!stopped && linked.length > 0) {
    try {
      await writer.link(linked);
    } catch (error) {
      report.errors.push(errorMessage(error));
      stopped = true;
    }
  }
  if (!stopped && spool.pendingLines === 0 && died) {
    try {
      const recovered = await recoverDeadRun({
        outDir: options.outDir,
        writer,
        client: options.client,
        metrics: options.metricsFromResults ?? (async () => ({})),
        log,
      });
      report.rowsWritten += recovered.rowsWritten;
      delete state.writer;
    } catch (error) {
      report.errors.push(errorMessage(error));
      stopped = true;
    }
  }
  // The run is finished only once all its rows are in, so a FINISHED run is complete.
  if (!stopped && spool.pendingLines === 0 && state.finish !== undefined) {
    try {
      await writer.finish(options.outDir);
      state.finish = undefined;
      report.finished = true;
    } catch (error) {
      report.errors.push(errorMessage(error));
    }
  }
  const pendingFinish = state.finish !== undefined || state.writer !== undefined ? 1 : 0;
  const kept = await spool.compact({ keepState: pendingFinish > 0 });
  if (kept > 0 || pendingFinish > 0) await spool.writeState(state);
  report.remaining = kept + pendingFinish;
  return report;
}
