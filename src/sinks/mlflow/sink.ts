import { randomUUID } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import type { Env } from '../../config/env.js';
import { ConfigError, errorMessage, MlflowError } from '../../core/errors.js';
import type { RunStartInfo, Sink, SinkFinishOptions, SinkProgress, SinkReport } from '../../core/events.js';
import { isSecretKey, REDACTED } from '../../core/redact.js';
import type { RowResult, RunSummary } from '../../core/result.js';
import type { MlflowClient } from './client.js';
import { ColspecSchemaBuilder, type SchemaColumn } from './dataset-schema.js';
import { mlflowLimits, truncate } from './limits.js';
import { pythonJsonDumps } from './python-json.js';
import { writeResultsTable } from './results-table.js';
import { mlflowRunUrl, runFinishState } from './run-finish.js';
import { RunWriter } from './run-writer.js';
import { Spool, type SpoolState } from './spool.js';
import { defaultTracePolicy, formatTracePolicy, isTraced, type TracePolicy } from './trace-policy.js';

export { mlflowRunUrl, usageMetrics } from './run-finish.js';

export interface MlflowSinkOptions {
  /** The tracking server's client; the caller owns it (and closes it after `finish`). */
  client: MlflowClient;
  /** Informational: the client's tracking URI is what counts. */
  trackingUri?: string;
  /** Informational (the client already carries auth and timeout). */
  env?: Env;
  /** Experiment name; default `RunStartInfo.experiment`. */
  experiment?: string;
  /** Run name; default `RunStartInfo.runName` (empty: the server picks one). */
  runName?: string;
  /** `mlflow.user`; default the OS user. */
  user?: string;
  /** `mlflow.source.name`; default the eval file's path, else `judgeflow`. */
  sourceName?: string;
  /** `mlflow.source.type`; default `LOCAL`. */
  sourceType?: string;
  /** Extra run tags (e.g. the prompt version used: `judgeflow.prompt`). */
  tags?: Record<string, string>;
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
  /** Clock (tests). */
  now?: () => number;
}

interface QueueItem {
  result: RowResult;
  /** The row may be partly written already: check before writing. */
  verify: boolean;
  /** Its spool line, when it came from the spool. */
  line?: number;
}

/**
 * The evaluation logger: one MLflow run per evaluation, laid out as `mlflow.genai.evaluate()` lays
 * it out (see run-writer.ts and trace-job.ts). `write()` never blocks: rows go to a bounded queue
 * drained by a few concurrent batch writers; beyond the bound, and whenever the server is unreachable,
 * rows go to the disk spool, which is retried periodically and replayed by `judgeflow mlflow sync`.
 * The spool's state is on disk from the start, so a run whose process dies can be completed later.
 */
export function createMlflowSink(options: MlflowSinkOptions): Sink {
  return new MlflowSink(options);
}

class MlflowSink implements Sink {
  readonly name = 'mlflow';
  readonly #options: MlflowSinkOptions;
  readonly #client: MlflowClient;
  readonly #concurrency: number;
  readonly #batchSize: number;
  readonly #lingerMs: number;
  readonly #maxQueued: number;
  readonly #retryIntervalMs: number;
  readonly #policy: TracePolicy;
  readonly #log: (message: string) => void;
  readonly #now: () => number;

  #info: RunStartInfo | undefined;
  #spool: Spool | undefined;
  #writer: RunWriter | undefined;
  #schema: ColspecSchemaBuilder | undefined;
  #online = false;
  /** `finish` has begun: batches no longer wait to fill. */
  #finishing = false;
  /** `finish({wait: false})`: nothing new is sent; the backlog stays spooled. */
  #stopping = false;
  readonly #queue: QueueItem[] = [];
  /** When the oldest row in the queue arrived (for the linger). */
  #queuedSince = 0;
  #lingerTimer: NodeJS.Timeout | undefined;
  #active = 0;
  readonly #seen = new Set<string>();
  #accepted = 0;
  #written = 0;
  /** Spool lines rejected by the server for a reason a retry will not fix; left for `sync` to report. */
  readonly #rejected = new Set<number>();
  /** Spool lines of rows never sent (overflow, or spooled while offline). */
  readonly #fresh = new Set<number>();
  #spoolCursor = 0;
  #refilling = false;
  /** Nothing after the cursor is left to read (until an append, or a reconnect rewinds the cursor). */
  #spoolExhausted = true;
  #retryTimer: NodeJS.Timeout | undefined;
  #retrying: Promise<void> | undefined;
  readonly #io = new Set<Promise<unknown>>();
  #waiters: Array<() => void> = [];
  #lastOutage = '';

  constructor(options: MlflowSinkOptions) {
    this.#options = options;
    this.#client = options.client;
    this.#concurrency = Math.max(1, options.concurrency ?? 3);
    this.#batchSize = Math.min(100, Math.max(1, options.batchSize ?? 100));
    this.#lingerMs = Math.max(0, options.lingerMs ?? 200);
    this.#maxQueued = Math.max(1, options.maxQueuedRows ?? 2000);
    this.#retryIntervalMs = options.retryIntervalMs ?? 5000;
    this.#policy = options.traces ?? defaultTracePolicy;
    this.#log = options.log ?? (() => undefined);
    this.#now = options.now ?? Date.now;
  }

  async start(info: RunStartInfo): Promise<void> {
    this.#info = info;
    if (Spool.existsIn(info.outDir)) {
      throw new ConfigError(
        `${path.join(info.outDir, 'mlflow-spool')} holds MLflow writes of an earlier run that were never sent; run \`judgeflow mlflow sync ${info.outDir}\` first, or write this run to another folder`,
        { field: 'out_dir' },
      );
    }
    this.#spool = new Spool(info.outDir);
    const user = this.#options.user ?? safeUser();
    const sourceName = this.#options.sourceName ?? info.evalFile?.path ?? 'judgeflow';
    const sourceType = this.#options.sourceType ?? 'LOCAL';
    const runName = this.#options.runName ?? info.runName;
    const runKey = randomUUID();
    const tags: Array<{ key: string; value: string }> = [
      { key: 'mlflow.user', value: user },
      { key: 'mlflow.source.name', value: sourceName },
      { key: 'mlflow.source.type', value: sourceType },
      { key: 'mlflow.runType', value: 'genai_evaluate' },
      { key: 'mlflow.run.isEval', value: 'true' },
      { key: 'judgeflow.runKey', value: runKey },
      ...(this.#policy.mode !== 'all'
        ? [{ key: 'judgeflow.traces', value: formatTracePolicy(this.#policy) }]
        : []),
      ...Object.entries(this.#options.tags ?? {}).map(([key, value]) => ({ key, value })),
    ];
    const state: SpoolState = {
      version: 1,
      tracking_uri: this.#client.trackingUri,
      run_key: runKey,
      experiment_name: this.#options.experiment ?? info.experiment,
      start: {
        ...(runName !== '' ? { run_name: runName } : {}),
        start_time: info.startedAt.getTime(),
        tags,
        params: Object.entries(info.params).map(([key, value]) => ({
          key,
          // a param whose key names a secret is never logged, whatever the caller redacted already
          value: isSecretKey(key.split('.').pop() ?? key) ? REDACTED : value,
        })),
        experiment_tags: [{ key: 'mlflow.experimentKind', value: 'genai_development' }],
        dataset: {
          name: truncate(info.dataset.name, mlflowLimits.datasetName),
          digest: info.dataset.digest.slice(0, mlflowLimits.datasetDigest),
          source_type: info.dataset.sourceType,
          source: truncate(pythonJsonDumps(info.dataset.source), mlflowLimits.datasetSource),
          columns: datasetColumns(info.dataset.schema),
        },
      },
      context: { user, source_name: sourceName, source_type: sourceType },
      writer: { pid: process.pid, host: os.hostname() },
      traces: formatTracePolicy(this.#policy),
    };
    this.#writer = new RunWriter(this.#client, state, {
      spans: this.#options.spans ?? 'auto',
      ...(this.#options.batchWriter !== undefined ? { batchWriter: this.#options.batchWriter } : {}),
    });
    this.#schema = new ColspecSchemaBuilder(datasetColumns(info.dataset.schema));
    try {
      await this.#writer.ensureRun({ searchFirst: false });
      this.#online = true;
      this.#log(
        `MLflow run ${state.run_id} in experiment "${state.experiment_name}" (${this.#client.trackingUri})`,
      );
    } catch (error) {
      if (!isOutage(error)) throw error;
      await this.#goOffline(error);
    }
    // On disk from the start: if this process dies, `judgeflow mlflow sync` finds the run again.
    await this.#spool.writeState(state);
  }

  write(result: RowResult): void {
    if (this.#writer === undefined) throw new Error('MlflowSink.write() before start()');
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
      this.#written++;
      return;
    }
    if (!this.#online || this.#stopping || this.#queue.length >= this.#maxQueued) {
      this.#track(this.#toSpool([result], { attempted: false }));
      return;
    }
    if (this.#queue.length === 0) this.#queuedSince = this.#now();
    this.#queue.push({ result, verify: false });
    this.#pump();
  }

  progress(): SinkProgress {
    return {
      accepted: this.#accepted,
      written: this.#written,
      spooled: this.#spool !== undefined ? this.#spool.pendingLines : 0,
    };
  }

  async finish(summary: RunSummary, options: SinkFinishOptions = {}): Promise<SinkReport> {
    const info = this.#info;
    const writer = this.#writer;
    const spool = this.#spool;
    if (info === undefined || writer === undefined || spool === undefined)
      throw new Error('MlflowSink.finish() before start()');
    const wait = options.wait ?? true;
    this.#finishing = true;
    if (wait) {
      if (!this.#online) await this.#retry();
      await this.#drained();
    } else {
      await this.#stop();
    }
    this.#stopTimers();

    const state = writer.state;
    const runPatch = (): NonNullable<RunSummary['mlflow']> | undefined =>
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
    const patch = runPatch();
    state.finish = runFinishState({
      info,
      summary,
      summaryText: `${JSON.stringify({ ...summary, ...(patch !== undefined ? { mlflow: patch } : {}) }, null, 2)}\n`,
      schema: this.#schema,
      now: this.#now(),
      table: table !== undefined,
    });
    if (this.#online && wait) {
      try {
        await writer.finish(info.outDir);
        state.finish = undefined;
      } catch (error) {
        // The finish stays in the spool either way; only an outage means "unreachable".
        if (isOutage(error)) {
          await this.#goOffline(error);
          this.#stopTimers();
        } else {
          this.#lastOutage = errorMessage(error);
          this.#log(`MLflow: could not finish the run: ${this.#lastOutage}`);
        }
      }
    }
    await Promise.all([...this.#io]);
    const pendingRows = spool.pendingLines;
    const pending = pendingRows + (state.finish !== undefined ? 1 : 0) + (state.run_id === undefined ? 1 : 0);
    delete state.writer;
    if (pending > 0) {
      await spool.writeState(state);
      await spool.compact({ keepState: true });
      if (wait) {
        this.#log(
          `MLflow: ${pending} write(s) could not be delivered${this.#lastOutage !== '' ? ` (${this.#lastOutage})` : ''}; they are kept in ${spool.dir} — run \`judgeflow mlflow sync ${info.outDir}\` to send them`,
        );
      }
    } else {
      await spool.compact({ keepState: false });
    }
    return {
      ...(patch !== undefined
        ? { summaryPatch: { mlflow: { ...patch, ...(pending > 0 ? { pending_writes: pending } : {}) } } }
        : {}),
      pendingWrites: pending,
    };
  }

  // ---- the queue -------------------------------------------------------------------------------

  #pump(): void {
    while (this.#online && !this.#stopping && this.#active < this.#concurrency && this.#queue.length > 0) {
      if (this.#queue.length < this.#batchSize && !this.#finishing && this.#linger()) break;
      const batch = this.#queue.splice(0, this.#batchSize);
      if (this.#queue.length > 0) this.#queuedSince = this.#now();
      this.#active++;
      void this.#process(batch)
        .catch((error: unknown) =>
          this.#log(`MLflow: writing ${batch.length} row(s) failed: ${errorMessage(error)}`),
        )
        .finally(() => {
          this.#active--;
          this.#pump();
          this.#notify();
        });
    }
    if (
      this.#online &&
      !this.#stopping &&
      this.#queue.length === 0 &&
      !this.#refilling &&
      !this.#spoolExhausted
    ) {
      this.#refilling = true;
      void this.#refill()
        .catch((error: unknown) => this.#log(`MLflow: reading the spool failed: ${errorMessage(error)}`))
        .finally(() => {
          this.#refilling = false;
          this.#pump();
          this.#notify();
        });
    }
  }

  /**
   * True while a partial batch should wait for more rows (a full batch costs the server less per
   * row); arms a timer that pumps again when the wait is over.
   */
  #linger(): boolean {
    const waited = this.#now() - this.#queuedSince;
    if (waited >= this.#lingerMs) return false;
    if (this.#lingerTimer === undefined) {
      this.#lingerTimer = setTimeout(() => {
        this.#lingerTimer = undefined;
        this.#pump();
      }, this.#lingerMs - waited);
      this.#lingerTimer.unref();
    }
    return true;
  }

  async #process(batch: QueueItem[]): Promise<void> {
    const writer = this.#writer as RunWriter;
    try {
      const jobs = batch.map((item) => writer.jobFor(item.result));
      await writer.writeRows(jobs, { verify: batch.some((item) => item.verify) });
      this.#spool?.markDone(batch.flatMap((item) => (item.line !== undefined ? [item.line] : [])));
      this.#written += batch.length;
    } catch (error) {
      if (isOutage(error) || !this.#online) {
        await this.#goOffline(error);
        await this.#toSpool(
          batch.filter((item) => item.line === undefined).map((item) => item.result),
          { attempted: true },
        );
        return;
      }
      if (batch.length > 1) {
        // Find the row the server rejects; the others go through.
        for (const item of batch) await this.#process([{ ...item, verify: true }]);
        return;
      }
      const item = batch[0] as QueueItem;
      this.#log(`MLflow rejected row ${item.result.id}: ${errorMessage(error)} — kept in the spool`);
      const lines =
        item.line !== undefined ? [item.line] : await this.#toSpool([item.result], { attempted: true });
      for (const line of lines) this.#rejected.add(line);
    }
  }

  /** Moves the next spooled entries back into the queue (rows) or sends them (links of old spools). */
  async #refill(): Promise<void> {
    const spool = this.#spool as Spool;
    let entries: Awaited<ReturnType<Spool['read']>> = [];
    while (entries.length === 0) {
      const read = await spool.read(this.#spoolCursor, this.#batchSize * this.#concurrency);
      if (read.length === 0) break;
      this.#spoolCursor = (read[read.length - 1]?.line ?? this.#spoolCursor) + 1;
      entries = read.filter(({ line }) => !this.#rejected.has(line));
    }
    if (entries.length === 0) {
      this.#spoolExhausted = true;
      return;
    }
    if (this.#queue.length === 0) this.#queuedSince = this.#now() - this.#lingerMs;
    for (const { line, entry } of entries) {
      if (entry.kind === 'row') {
        // A fresh line is written without the check; if that fails, it is checked next time.
        this.#queue.push({ result: entry.result, verify: !this.#fresh.delete(line), line });
        continue;
      }
      try {
        await (this.#writer as RunWriter).link(entry.trace_ids);
        spool.markDone([line]);
      } catch (error) {
        if (isOutage(error)) await this.#goOffline(error);
        else this.#rejected.add(line);
      }
    }
  }

  /**
   * Appends rows to the spool. Rows never `attempted` are remembered as fresh: read back in this
   * process they are written without the check first (nothing of them can be in MLflow yet).
   */
  async #toSpool(results: RowResult[], options: { attempted: boolean }): Promise<number[]> {
    if (results.length === 0) return [];
    this.#spoolExhausted = false;
    const lines = await (this.#spool as Spool).append(results.map((result) => ({ kind: 'row', result })));
    if (!options.attempted) for (const line of lines) this.#fresh.add(line);
    return lines;
  }

  /** `finish({wait: false})`: in-flight batches settle, everything still queued goes to the spool. */
  async #stop(): Promise<void> {
    this.#stopping = true;
    const waiting = this.#queue.splice(0, this.#queue.length);
    await this.#toSpool(
      waiting.filter((item) => item.line === undefined).map((item) => item.result),
      { attempted: false },
    );
    for (;;) {
      await Promise.all([...this.#io]);
      if (this.#active === 0 && !this.#refilling) return;
      await new Promise<void>((resolve) => this.#waiters.push(resolve));
    }
  }

  // ---- outage ----------------------------------------------------------------------------------

  async #goOffline(error: unknown): Promise<void> {
    const message = errorMessage(error);
    if (this.#online || this.#lastOutage === '') {
      this.#log(
        `MLflow unreachable (${message}); writes go to the spool and are retried every ${Math.round(this.#retryIntervalMs / 1000)} s`,
      );
    }
    this.#lastOutage = message;
    this.#online = false;
    // Fresh rows waiting in memory move to the spool; spooled ones stay where they are.
    const waiting = this.#queue.splice(0, this.#queue.length);
    await this.#toSpool(
      waiting.filter((item) => item.line === undefined).map((item) => item.result),
      { attempted: false },
    );
    this.#scheduleRetry();
  }

  #scheduleRetry(): void {
    if (this.#retryTimer !== undefined || this.#stopping) return;
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = undefined;
      void this.#retry().then(() => {
        if (!this.#online) this.#scheduleRetry();
      });
    }, this.#retryIntervalMs);
    this.#retryTimer.unref();
  }

  #stopTimers(): void {
    if (this.#retryTimer !== undefined) clearTimeout(this.#retryTimer);
    this.#retryTimer = undefined;
    if (this.#lingerTimer !== undefined) clearTimeout(this.#lingerTimer);
    this.#lingerTimer = undefined;
  }

  /** One attempt to come back: the server answers, the run exists; then the spool drains. */
  #retry(): Promise<void> {
    this.#retrying ??= (async () => {
      try {
        if (!(await this.#client.health())) return;
        const writer = this.#writer as RunWriter;
        const hadRun = writer.runId !== undefined;
        await writer.ensureRun({ searchFirst: true });
        if (!hadRun) await (this.#spool as Spool).writeState(writer.state);
        this.#online = true;
        this.#spoolCursor = 0;
        this.#spoolExhausted = false;
        this.#log('MLflow reachable again; sending the spooled writes');
        this.#pump();
      } catch (error) {
        this.#lastOutage = errorMessage(error);
      } finally {
        this.#retrying = undefined;
      }
    })();
    return this.#retrying;
  }

  // ---- waiting ---------------------------------------------------------------------------------

  #track(promise: Promise<unknown>): void {
    this.#io.add(promise);
    promise
      .catch((error: unknown) => this.#log(`MLflow spool write failed: ${errorMessage(error)}`))
      .finally(() => this.#io.delete(promise));
  }

  #notify(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const resolve of waiters) resolve();
  }

  /**
   * Resolves when nothing is queued or in flight and — while the server answers — the spool holds
   * nothing more to send. While it does not answer, what is left stays spooled.
   */
  async #drained(): Promise<void> {
    for (;;) {
      await Promise.all([...this.#io]);
      this.#pump();
      const busy =
        this.#active > 0 ||
        this.#refilling ||
        (this.#online && (this.#queue.length > 0 || !this.#spoolExhausted));
      if (!busy) return;
      await new Promise<void>((resolve) => this.#waiters.push(resolve));
    }
  }
}

/** A failure that another attempt later may fix (server down, overloaded, timing out). */
export function isOutage(error: unknown): boolean {
  return error instanceof MlflowError && error.retryable;
}

/** The dataset's columns in Python's DataFrame order; `outputs` only when the dataset records outputs. */
function datasetColumns(schema: Record<string, unknown>): SchemaColumn[] {
  const hasKeys = (value: unknown) => Array.isArray(value) && value.length > 0;
  const columns: SchemaColumn[] = ['inputs'];
  if (schema.outputs !== undefined) columns.push('outputs');
  if (hasKeys(schema.expectations)) columns.push('expectations');
  if (hasKeys(schema.tags)) columns.push('tags');
  return columns;
}

function safeUser(): string {
  try {
    return os.userInfo().username;
  } catch {
    return 'unknown';
  }
}
