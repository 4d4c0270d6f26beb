import path from 'node:path';
import type { Env } from '../../config/env.js';
import { ConfigError, errorMessage } from '../../core/errors.js';
import type { RunStartInfo, Sink, SinkFinishOptions, SinkProgress, SinkReport } from '../../core/events.js';
import type { RowResult, RunSummary } from '../../core/result.js';
import type { MlflowClient } from './client.js';
import { ColspecSchemaBuilder } from './dataset-schema.js';
import { isOutage } from './outage.js';
import { writeResultsTable } from './results-table.js';
import { RowDelivery } from './row-delivery.js';
import { mlflowRunUrl, runFinishState } from './run-finish.js';
import { datasetColumns, type RunIdentityOptions, runStartState } from './run-start.js';
import { RunWriter } from './run-writer.js';
import { Spool } from './spool.js';
import type { MlflowRunSection } from './summary-section.js';
import { defaultTracePolicy, isTraced, type TracePolicy } from './trace-policy.js';

export interface MlflowSinkOptions extends RunIdentityOptions {
  /** The tracking server's client; the caller owns it (and closes it after `finish`). */
  client: MlflowClient;
  /** Informational: the client's tracking URI is what counts. */
  trackingUri?: string;
  /** Informational (the client already carries auth and timeout). */
  env?: Env;
  /** Which rows get a trace; default all (every row is in the results table either way). */
  traces?: TracePolicy;
  /** Row batches written at once; default 3. */
  concurrency?: number;
  /**
   * Rows per batch at most; default 100. A batch is one StartTraceV3 per row plus one OTLP request
   * with every row's spans, which links at most 100 traces to the run.
   */
  batchSize?: number;
  /** How long a batch waits to fill before it goes out not full (while rows keep coming); default 200 ms. */
  lingerMs?: number;
  /** Span transport: `auto` (OTLP when the server ingests it, else the artifact) or `artifact`. */
  spans?: 'auto' | 'artifact';
  /**
   * `auto` (default): write through the server's batch writer when it has one (judgeflow's own
   * server), else the REST path; `off`: always the REST path.
   */
  batchWriter?: 'auto' | 'off';
  /** Rows held in memory before further rows go to the disk spool; default 2000. */
  maxQueuedRows?: number;
  /** While the server is unreachable: how often to try again; default 5 s. */
  retryIntervalMs?: number;
  /** Progress and outage messages (stderr in the CLI). */
  log?: (message: string) => void;
  /**
   * More table artifacts: files of the output folder in `mlflow.log_table`'s layout, written by the
   * time the sink finishes (e.g. by a sink before this one), uploaded with the run's other artifacts
   * and listed in `mlflow.loggedArtifacts` beside the results table.
   */
  tables?: readonly string[];
  /** Clock (tests). */
  now?: () => number;
}

/**
 * The evaluation logger: one MLflow run per evaluation, laid out as `mlflow.genai.evaluate()` lays
 * it out (see run-writer.ts and trace-job.ts). `write()` never blocks: rows go to a `RowDelivery`
 * (a bounded queue drained by a few concurrent batch writers; beyond the bound, and whenever the
 * server is unreachable, the disk spool, which is retried periodically and replayed by
 * `judgeflow mlflow sync`). The spool's state is on disk from the start, so a run whose process dies
 * can be completed later.
 */
export function createMlflowSink(options: MlflowSinkOptions): Sink {
  return new MlflowSink(options);
}

/** The phases of one run: start (run-start.ts, the writer), rows (row-delivery.ts), finish (run-finish.ts). */
class MlflowSink implements Sink {
  readonly name = 'mlflow';
  #progressWrites: Promise<void> = Promise.resolve();
  readonly #options: MlflowSinkOptions;
  readonly #client: MlflowClient;
  readonly #policy: TracePolicy;
  readonly #log: (message: string) => void;
  readonly #now: () => number;

  #run: { info: RunStartInfo; spool: Spool; writer: RunWriter; delivery: RowDelivery } | undefined;
  #schema: ColspecSchemaBuilder | undefined;
  readonly #seen = new Set<string>();
  #accepted = 0;
  /** Rows deliberately not traced (the trace policy): written through the results table. */
  #untraced = 0;

  constructor(options: MlflowSinkOptions) {
    this.#options = options;
    this.#client = options.client;
    this.#policy = options.traces ?? defaultTracePolicy;
    this.#log = options.log ?? (() => undefined);
    this.#now = options.now ?? Date.now;
  }

  async start(info: RunStartInfo): Promise<void> {
    if (Spool.existsIn(info.outDir)) {
      throw new ConfigError(
        `${path.join(info.outDir, 'mlflow-spool')} holds MLflow writes of an earlier run that were never sent; run \`judgeflow mlflow sync ${info.outDir}\` first, or write this run to another folder`,
        { field: 'out_dir' },
      );
    }
    const options = this.#options;
    const spool = new Spool(info.outDir);
    const state = runStartState(info, options, {
      trackingUri: this.#client.trackingUri,
      traces: this.#policy,
    });
    const writer = new RunWriter(this.#client, state, {
      spans: options.spans ?? 'auto',
      ...(options.batchWriter !== undefined ? { batchWriter: options.batchWriter } : {}),
    });
    const delivery = new RowDelivery(writer, spool, {
      concurrency: Math.max(1, options.concurrency ?? 3),
      batchSize: Math.min(100, Math.max(1, options.batchSize ?? 100)),
      lingerMs: Math.max(0, options.lingerMs ?? 200),
      maxQueuedRows: Math.max(1, options.maxQueuedRows ?? 2000),
      retryIntervalMs: options.retryIntervalMs ?? 5000,
      log: this.#log,
      now: this.#now,
    });
    this.#run = { info, spool, writer, delivery };
    this.#schema = new ColspecSchemaBuilder(datasetColumns(info.dataset.schema));
    try {
      await writer.ensureRun({ searchFirst: false });
      delivery.markOnline();
      this.#log(
        `MLflow run ${state.run_id} in experiment "${state.experiment_name}" (${this.#client.trackingUri})`,
      );
    } catch (error) {
      if (!isOutage(error)) throw error;
      await delivery.goOffline(error);
    }
    // On disk from the start: if this process dies, `judgeflow mlflow sync` finds the run again.
    await spool.writeState(state);
  }

  write(result: RowResult): void {
    if (this.#run === undefined) throw new Error('MlflowSink.write() before start()');
    if (this.#seen.has(result.id)) return; // the first result for a row wins
    this.#seen.add(result.id);
    this.#accepted++;
    this.#schema?.add({
      inputs: result.inputs,
      outputs: result.outputs,
      expectations: result.expectations,
      tags: result.tags,
    });
    if (!isTraced(this.#policy, result)) {
      // Its result reaches the run through the results table; no trace is stored for it.
      this.#untraced++;
      return;
    }
    this.#run.delivery.take(result);
  }

  /**
   * `progress/*` metrics go straight to log-batch, outside the row spool: a point lost in an outage is
   * only a gap in a curve, and the final values are logged again at the run's end. Metrics append, so
   * this never touches the spool's idempotent replay.
   */
  logProgress(values: Record<string, number>, at: { step: number; timestamp: number }): void {
    const runId = this.#run?.writer.runId;
    if (runId === undefined) return;
    const metrics = Object.entries(values)
      .filter(([, value]) => Number.isFinite(value))
      .map(([key, value]) => ({ key, value, timestamp: at.timestamp, step: at.step }));
    this.#progressWrites = this.#progressWrites
      .then(() => this.#client.logBatch({ runId, metrics }))
      .catch((error: unknown) => {
        if (!isOutage(error)) this.#log(`MLflow: progress metrics not logged: ${errorMessage(error)}`);
      });
  }

  progress(): SinkProgress {
    return {
      accepted: this.#accepted,
      written: this.#untraced + (this.#run?.delivery.written ?? 0),
      spooled: this.#run !== undefined ? this.#run.spool.pendingLines : 0,
    };
  }

  /**
   * Rows first, then the run's end (metrics, dataset input, artifacts, status). Whatever could not be
   * delivered stays in the spool and is counted in `pendingWrites` (the CLI exits 3).
   */
  async finish(summary: RunSummary, options: SinkFinishOptions = {}): Promise<SinkReport> {
    if (this.#run === undefined) throw new Error('MlflowSink.finish() before start()');
    const { info, spool, writer, delivery } = this.#run;
    await this.#progressWrites;
    const wait = options.wait ?? true;
    await delivery.finish({ wait });

    const state = writer.state;
    const section: MlflowRunSection | undefined =
      state.run_id !== undefined && state.experiment_id !== undefined
        ? {
            tracking_uri: this.#client.trackingUri,
            experiment_id: state.experiment_id,
            run_id: state.run_id,
            url: mlflowRunUrl(this.#client.trackingUri, state.experiment_id, state.run_id),
          }
        : undefined;
    const table =
      state.run_id !== undefined
        ? await writeResultsTable({
            outDir: info.outDir,
            runId: state.run_id,
            policy: this.#policy,
            feedbackNames: Object.keys(summary.counts),
          })
        : undefined;
    state.finish = runFinishState({
      info,
      summary,
      summaryText: `${JSON.stringify({ ...summary, ...(section !== undefined ? { mlflow: section } : {}) }, null, 2)}\n`,
      schema: this.#schema,
      now: this.#now(),
      table: table !== undefined,
      ...(this.#options.tables !== undefined ? { tables: this.#options.tables } : {}),
    });
    if (delivery.online && wait) {
      try {
        await writer.finish(info.outDir);
        state.finish = undefined;
      } catch (error) {
        // The finish stays in the spool either way; only an outage means "unreachable".
        if (isOutage(error)) {
          await delivery.goOffline(error);
          delivery.stopTimers();
        } else {
          delivery.noteFailure(errorMessage(error));
          this.#log(`MLflow: could not finish the run: ${delivery.lastOutage}`);
        }
      }
    }
    await delivery.settled();
    const pending =
      spool.pendingLines + (state.finish !== undefined ? 1 : 0) + (state.run_id === undefined ? 1 : 0);
    delete state.writer;
    if (pending > 0) {
      await spool.writeState(state);
      await spool.compact({ keepState: true });
      if (wait) {
        const reason = delivery.lastOutage !== '' ? ` (${delivery.lastOutage})` : '';
        this.#log(
          `MLflow: ${pending} write(s) could not be delivered${reason}; they are kept in ${spool.dir} — run \`judgeflow mlflow sync ${info.outDir}\` to send them`,
        );
      }
    } else {
      await spool.compact({ keepState: false });
    }
    return {
      ...(section !== undefined
        ? { summaryPatch: { mlflow: { ...section, ...(pending > 0 ? { pending_writes: pending } : {}) } } }
        : {}),
      pendingWrites: pending,
    };
  }
}
