import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Env } from '../../config/env.js';
import { ConfigError, errorMessage, MlflowError } from '../../core/errors.js';
import type { RunStartInfo, Sink, SinkReport } from '../../core/events.js';
import type { RowResult, RunSummary } from '../../core/result.js';
import type { MlflowClient } from './client.js';
import { ColspecSchemaBuilder, type SchemaColumn } from './dataset-schema.js';
import { mlflowLimits, truncate } from './limits.js';
import { pythonJsonDumps } from './python-json.js';
import { RunWriter } from './run-writer.js';
import { Spool, type SpoolState } from './spool.js';

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
  /** Row batches written at once (each: one OTLP request + one StartTraceV3 per row); default 8. */
  concurrency?: number;
  /** Rows per batch at most (one OTLP request carries a batch's spans); default 8. */
  batchSize?: number;
  /** Span transport: `auto` (OTLP when the server ingests it, else the artifact) or `artifact`. */
  spans?: 'auto' | 'artifact';
  /** Rows held in memory before further rows go to the disk spool; default 2000. */
  maxQueuedRows?: number;
  /** While the server is unreachable: how often to try again; default 5 s. */
  retryIntervalMs?: number;
  /** Progress and outage messages (stderr in the CLI). */
  log?: (message: string) => void;
  /** Clock (tests). */
  now?: () => number;
}

/** The MLflow UI page of an evaluation run (3.17's experiment "Evaluation runs" tab). */
export function mlflowRunUrl(trackingUri: string, experimentId: string, runId: string): string {
  return `${trackingUri.replace(/\/+$/, '')}/#/experiments/${experimentId}/evaluation-runs?selectedRunUuid=${runId}`;
}

/** Param keys whose values are never logged, whatever the caller redacted already. */
const secretKey = /key|token|secret|password/i;

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
  readonly #maxQueued: number;
  readonly #retryIntervalMs: number;
  readonly #log: (message: string) => void;
  readonly #now: () => number;

  #info: RunStartInfo | undefined;
  #spool: Spool | undefined;
  #writer: RunWriter | undefined;
  #schema: ColspecSchemaBuilder | undefined;
  #online = false;
  #stateSaved = false;
  readonly #queue: QueueItem[] = [];
  #active = 0;
  readonly #seen = new Set<string>();
  readonly #links: string[] = [];
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
    this.#concurrency = Math.max(1, options.concurrency ?? 8);
    // Bigger OTLP batches hold a SQLite server's write lock longer and slowed everything (measured on
    // 3.17.2: 8 rows per batch did as well as any, 16 worse).
    this.#batchSize = Math.max(1, options.batchSize ?? 8);
    this.#maxQueued = Math.max(1, options.maxQueuedRows ?? 2000);
    this.#retryIntervalMs = options.retryIntervalMs ?? 5000;
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
    const tags: Array<{ key: string; value: string }> = [
      { key: 'mlflow.user', value: user },
      { key: 'mlflow.source.name', value: sourceName },
      { key: 'mlflow.source.type', value: sourceType },
      { key: 'mlflow.runType', value: 'genai_evaluate' },
      { key: 'mlflow.run.isEval', value: 'true' },
      { key: 'judgeflow.runKey', value: randomUUID() },
      ...Object.entries(this.#options.tags ?? {}).map(([key, value]) => ({ key, value })),
    ];
    const state: SpoolState = {
      version: 1,
      tracking_uri: this.#client.trackingUri,
      run_key: (tags.find((tag) => tag.key === 'judgeflow.runKey') as { value: string }).value,
      experiment_name: this.#options.experiment ?? info.experiment,
      start: {
        ...(runName !== '' ? { run_name: runName } : {}),
        start_time: info.startedAt.getTime(),
        tags,
        params: Object.entries(info.params).map(([key, value]) => ({
          key,
          value: secretKey.test(key) ? '[redacted]' : value,
        })),
        experiment_tags: [{ key: 'mlflow.experimentKind', value: 'genai_development' }],
      },
      context: { user, source_name: sourceName, source_type: sourceType },
    };
    this.#writer = new RunWriter(this.#client, state, { spans: this.#options.spans ?? 'auto' });
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
  }

  write(result: RowResult): void {
    if (this.#writer === undefined) throw new Error('MlflowSink.write() before start()');
    if (this.#seen.has(result.id)) return; // the first result for a row wins
    this.#seen.add(result.id);
    this.#schema?.add({
      inputs: result.inputs,
      outputs: result.outputs,
      expectations: result.expectations,
      tags: result.tags,
    });
    if (!this.#online || this.#queue.length >= this.#maxQueued) {
      this.#track(this.#toSpool([result], { attempted: false }));
      return;
    }
    this.#queue.push({ result, verify: false });
    this.#pump();
  }

  async finish(summary: RunSummary): Promise<SinkReport> {
    const info = this.#info;
    const writer = this.#writer;
    const spool = this.#spool;
    if (info === undefined || writer === undefined || spool === undefined)
      throw new Error('MlflowSink.finish() before start()');
    if (!this.#online) await this.#retry();
    await this.#drained();
    if (this.#online && this.#links.length > 0) await this.#flushLinks();
    this.#stopTimer();

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
    const metrics = Object.entries({ ...summary.metrics, ...usageMetrics(summary) })
      .filter(([, value]) => Number.isFinite(value))
      .map(([key, value]) => ({ key, value, timestamp: this.#now(), step: 0 }));
    const dataset = info.dataset;
    const schema = this.#schema?.schemaJson();
    const summaryText = `${JSON.stringify({ ...summary, ...(runPatch() !== undefined ? { mlflow: runPatch() } : {}) }, null, 2)}\n`;
    state.finish = {
      status: summary.status,
      end_time: this.#now(),
      metrics,
      dataset: {
        name: truncate(dataset.name, mlflowLimits.datasetName),
        digest: dataset.digest.slice(0, mlflowLimits.datasetDigest),
        source_type: dataset.sourceType,
        source: truncate(pythonJsonDumps(dataset.source), mlflowLimits.datasetSource),
        ...(schema !== undefined ? { schema } : {}),
        profile: this.#schema?.profileJson(dataset.rows) ?? pythonJsonDumps({ num_rows: dataset.rows }),
      },
      artifacts: [
        ...(info.evalFile !== undefined
          ? [{ path: path.basename(info.evalFile.path), text: info.evalFile.text }]
          : []),
        ...(existsSync(path.join(info.outDir, 'results.jsonl'))
          ? [{ path: 'results.jsonl', file: 'results.jsonl' }]
          : []),
        { path: 'summary.json', text: summaryText },
      ],
    };
    if (this.#online) {
      try {
        await writer.finish(info.outDir);
        state.finish = undefined;
      } catch (error) {
        // The finish stays in the spool either way; only an outage means "unreachable".
        if (isOutage(error)) {
          await this.#goOffline(error);
          this.#stopTimer();
        } else {
          this.#lastOutage = errorMessage(error);
          this.#log(`MLflow: could not finish the run: ${this.#lastOutage}`);
        }
      }
    }
    await Promise.all([...this.#io]);
    const pendingRows = spool.pendingLines;
    const pending = pendingRows + (state.finish !== undefined ? 1 : 0) + (state.run_id === undefined ? 1 : 0);
    if (pending > 0) {
      await spool.writeState(state);
      await spool.compact({ keepState: true });
      this.#log(
        `MLflow: ${pending} write(s) could not be delivered${this.#lastOutage !== '' ? ` (${this.#lastOutage})` : ''}; they are kept in ${spool.dir} — run \`judgeflow mlflow sync ${info.outDir}\` to send them`,
      );
    } else if (this.#stateSaved || existsSync(spool.dir)) {
      await spool.compact({ keepState: false });
    }
    const patch = runPatch();
    return {
      ...(patch !== undefined
        ? { summaryPatch: { mlflow: { ...patch, ...(pending > 0 ? { pending_writes: pending } : {}) } } }
        : {}),
      pendingWrites: pending,
    };
  }

  // ---- the queue -------------------------------------------------------------------------------

  #pump(): void {
    while (this.#online && this.#active < this.#concurrency && this.#queue.length > 0) {
      const batch = this.#queue.splice(0, this.#batchSize);
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
    if (this.#online && this.#queue.length === 0 && !this.#refilling && !this.#spoolExhausted) {
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

  async #process(batch: QueueItem[]): Promise<void> {
    const writer = this.#writer as RunWriter;
    try {
      const jobs = batch.map((item) => writer.jobFor(item.result));
      const ids = await writer.writeRows(jobs, { verify: batch.some((item) => item.verify) });
      this.#spool?.markDone(batch.flatMap((item) => (item.line !== undefined ? [item.line] : [])));
      this.#links.push(...ids);
      if (this.#links.length >= mlflowLimits.traceLinks) await this.#flushLinks();
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

  async #flushLinks(): Promise<void> {
    const ids = this.#links.splice(0, this.#links.length);
    try {
      await (this.#writer as RunWriter).link(ids);
    } catch (error) {
      if (isOutage(error)) await this.#goOffline(error);
      else this.#log(`MLflow: linking traces to the run failed: ${errorMessage(error)}`);
      await this.#saveState();
      this.#spoolExhausted = false;
      await (this.#spool as Spool).append([{ kind: 'link', trace_ids: ids }]);
    }
  }

  /** Moves the next spooled entries back into the queue (rows) or sends them (links). */
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
    await this.#saveState();
    this.#spoolExhausted = false;
    const lines = await (this.#spool as Spool).append(results.map((result) => ({ kind: 'row', result })));
    if (!options.attempted) for (const line of lines) this.#fresh.add(line);
    return lines;
  }

  /** Writes state.json before the first spooled entry (later changes: `#retry` and `finish`). */
  async #saveState(): Promise<void> {
    if (this.#stateSaved) return;
    this.#stateSaved = true;
    await (this.#spool as Spool).writeState((this.#writer as RunWriter).state);
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
    if (this.#retryTimer !== undefined) return;
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = undefined;
      void this.#retry().then(() => {
        if (!this.#online) this.#scheduleRetry();
      });
    }, this.#retryIntervalMs);
    this.#retryTimer.unref();
  }

  #stopTimer(): void {
    if (this.#retryTimer !== undefined) clearTimeout(this.#retryTimer);
    this.#retryTimer = undefined;
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

/**
 * Token and cost totals as run metrics (`usage/...`), only for runs that called a model or a judge:
 * a run on recorded outputs with code scorers logs exactly the metrics Python's evaluate would.
 */
export function usageMetrics(summary: RunSummary): Record<string, number> {
  const { model, judge, cost_usd: cost } = summary.usage;
  if (model.calls === 0 && judge.calls === 0) return {};
  return {
    'usage/model_input_tokens': model.input_tokens,
    'usage/model_output_tokens': model.output_tokens,
    'usage/model_calls': model.calls,
    'usage/model_retries': model.retries,
    'usage/model_cost_usd': model.cost_usd,
    'usage/judge_input_tokens': judge.input_tokens,
    'usage/judge_output_tokens': judge.output_tokens,
    'usage/judge_calls': judge.calls,
    'usage/judge_retries': judge.retries,
    'usage/judge_cost_usd': judge.cost_usd,
    'usage/total_tokens': model.total_tokens + judge.total_tokens,
    'usage/cost_usd': cost,
  };
}
