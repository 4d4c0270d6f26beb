import type { Env } from '../../config/env.js';
import { ConfigError, errorMessage } from '../../core/errors.js';
import { withoutCredentials } from '../../core/redact.js';
import type { MlflowClient } from './client.js';
import { isOutage } from './outage.js';
import { diedWhileWriting, type MetricsFromResults, recoverDeadRun } from './recover.js';
import { mlflowRunUrl } from './run-finish.js';
import { RunWriter } from './run-writer.js';
import { resolveTrackingUri } from './server.js';
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
  /** The server the user configured; credentials go nowhere else. */
  client: MlflowClient;
  /**
   * The user named the client's server explicitly (`--tracking-uri`) for this sync: a spool written for
   * another server is sent there. Otherwise such a spool is refused (a ConfigError): a spool folder is
   * data, and data must not choose where the user's MLflow credentials are sent.
   */
  explicitTarget?: boolean;
  /** How the client's server was chosen, for the refusal's message (`MLFLOW_TRACKING_URI`). */
  targetSource?: string;
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
  if (!sameTrackingServer(state.tracking_uri, options.client.trackingUri)) {
    if (options.explicitTarget !== true) throw foreignSpoolError(options.outDir, state.tracking_uri, options);
    log(
      `the spool was written for ${withoutCredentials(state.tracking_uri)}; sending it to ${options.client.trackingUri}`,
    );
  }
  state.tracking_uri = options.client.trackingUri;
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

/** Whether two tracking URIs name the same server (credentials, case of the host, trailing slashes aside). */
export function sameTrackingServer(a: string, b: string): boolean {
  return withoutCredentials(a) === withoutCredentials(b);
}

function foreignSpoolError(
  outDir: string,
  spoolUri: string,
  options: { client: MlflowClient; targetSource?: string },
): ConfigError {
  const written = withoutCredentials(spoolUri);
  return new ConfigError(
    `the MLflow spool in ${outDir} was written for ${written}, but the configured tracking server is ` +
      `${options.client.trackingUri}${options.targetSource !== undefined ? ` (${options.targetSource})` : ''}. ` +
      'judgeflow sends MLflow credentials only to the server you configured: to send this spool to ' +
      `${written}, run again with --tracking-uri ${written}`,
    { field: 'tracking_uri' },
  );
}

/**
 * Where `judgeflow mlflow sync` sends: `--tracking-uri`, else MLFLOW_TRACKING_URI, else the local
 * server — started only when the spool was written for a loopback server, so nothing is started just
 * to refuse a spool. A spool naming a remote server with nothing configured is refused here.
 */
export async function resolveSyncTarget(options: {
  env: Env;
  flag: string | undefined;
  spoolUri: string;
  log: (line: string) => void;
}): Promise<{ uri: string; source: string }> {
  const { env, flag, spoolUri } = options;
  if (flag !== undefined) return { uri: flag, source: '--tracking-uri' };
  if (env.mlflowTrackingUri !== undefined)
    return { uri: env.mlflowTrackingUri, source: 'MLFLOW_TRACKING_URI' };
  const local = isLoopbackUri(spoolUri)
    ? await resolveTrackingUri({ env, home: env.home, log: options.log })
    : undefined;
  if (local === undefined) {
    const written = withoutCredentials(spoolUri);
    throw new ConfigError(
      `the MLflow spool was written for ${written}, and no tracking server is configured (--tracking-uri, MLFLOW_TRACKING_URI); judgeflow sends MLflow credentials only to a server you name: run again with --tracking-uri ${written}`,
      { field: 'tracking_uri' },
    );
  }
  return { uri: local.uri, source: 'the local MLflow server' };
}

function isLoopbackUri(uri: string): boolean {
  try {
    const host = new URL(uri).hostname;
    return host === 'localhost' || host === '[::1]' || /^127\./.test(host);
  } catch {
    return false;
  }
}
