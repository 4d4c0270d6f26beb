import { mkdir } from 'node:fs/promises';
import { ConfigError, errorMessage, JudgeflowError } from '../core/errors.js';
import type { RunEvent } from '../core/events.js';
import type { Executor } from '../core/executor.js';
import type { DatasetRow } from '../core/record.js';
import type { Redactor } from '../core/redact.js';
import type { RowResult, RunStatus, RunSummary } from '../core/result.js';
import type { Scorer } from '../core/scorer.js';
import type { DatasetInfo, RunStartInfo, Sink } from '../core/sink.js';
import { emptyUsage, type Usage } from '../core/usage.js';
import { withRunMetrics } from '../observability/current.js';
import type { RunMetrics } from '../observability/metrics.js';
import { Aggregator } from './aggregate.js';
import { BudgetGuard, type Budgets, type StopReason } from './budget.js';
import { type AllowNoValues, evaluateGates, type Gate, noValueGates } from './gates.js';
import { ProgressLog } from './progress-log.js';
import { writeSummaryJson } from './summary-file.js';

export type { Budgets, StopReason } from './budget.js';

export interface EvaluationRun {
  /** Rows of the validated dataset (already limited/sampled), streamed. */
  rows: AsyncIterable<DatasetRow>;
  /** The dataset as a run input; its `rows` is the count after limit/sample. */
  dataset: DatasetInfo;
  executor: Executor;
  /** Scorers, for their aggregations (a feedback takes its scorer's). */
  scorers: readonly Pick<Scorer, 'name' | 'aggregations'>[];
  /**
   * Where results go, in order (the caller builds the list: `defaultSinks()` in src/app puts
   * results.jsonl first, then MLflow, then a library user's own). summary.json is always written.
   */
  sinks: readonly Sink[];
  outDir: string;
  runName: string;
  experiment: string;
  params: Record<string, string>;
  /**
   * Scrubs every text that leaves the runner: each row result as it arrives (local or from a Ray
   * worker), params, the eval file, the summary. Sinks and event consumers see only scrubbed data.
   */
  redactor: Redactor;
  evalFile?: { path: string; text: string };
  gates?: Gate[];
  /** A gate on the number of failed rows + error feedbacks. */
  maxErrors?: number;
  /** Scorers allowed to end without a single value (see `AllowNoValues`); by default none is. */
  allowNoValues?: AllowNoValues;
  budgets?: Budgets;
  /** Stop dispatching (first Ctrl-C). */
  signal?: AbortSignal;
  /** Abort rows in flight (second Ctrl-C). */
  abortRows?: AbortSignal;
  onEvent?: (event: RunEvent) => void;
  /**
   * Default true: wait until every sink has written everything. False (`--no-wait`): sinks that
   * write to a remote system keep their backlog on disk (pending writes, exit 3).
   */
  waitForWrites?: boolean;
  /** Prometheus metrics of this run (rows by state, tokens, cost, MLflow backlog), when served. */
  metrics?: RunMetrics;
  /**
   * Called every `progressIntervalMs` (10 s) and once when scoring ends, with the run's metrics; the
   * MLflow sink logs them as `progress/*` run metrics.
   */
  progressIntervalMs?: number;
}

export interface EvaluationOutcome {
  summary: RunSummary;
  outDir: string;
  /** Writes the sinks left undelivered (spooled, e.g. MLflow's backlog under `--no-wait`). */
  pendingWrites: number;
  gatesPassed: boolean;
  stoppedReason: StopReason | undefined;
}

/**
 * Execute → aggregate → emit, for a dataset that has already passed its validation scan.
 * Results stream to every sink as rows finish; the first result for a row id wins. How a failing
 * sink is treated is part of the `Sink` contract (src/core/sink.ts).
 */
export function runEvaluation(run: EvaluationRun): Promise<EvaluationOutcome> {
  // Scorers, model/judge endpoints and MLflow requests of this run record into its metrics.
  return withRunMetrics(run.metrics, () => evaluateRun(run));
}

async function evaluateRun(run: EvaluationRun): Promise<EvaluationOutcome> {
  const startedAt = new Date();
  const started = performance.now();
  try {
    await mkdir(run.outDir, { recursive: true });
  } catch (cause) {
    throw new ConfigError(`cannot create the output folder ${run.outDir}: ${errorMessage(cause)}`, {
      field: 'out',
      cause,
    });
  }
  const sinks = run.sinks;
  const { redactor } = run;
  const startInfo: RunStartInfo = {
    runName: redactor.text(run.runName),
    experiment: redactor.text(run.experiment),
    startedAt,
    totalRows: run.dataset.rows,
    params: redactor.params(run.params),
    dataset: redactor.value(run.dataset),
    outDir: run.outDir,
    ...(run.evalFile !== undefined
      ? { evalFile: { path: run.evalFile.path, text: redactor.text(run.evalFile.text) } }
      : {}),
  };
  const started_sinks: Sink[] = [];
  try {
    for (const sink of sinks) {
      await sink.start(startInfo);
      started_sinks.push(sink);
    }
  } catch (error) {
    // A sink that cannot start (a server rejecting the run) ends the run before any row is scored.
    for (const sink of started_sinks)
      await sink.finish(emptySummary(run, startedAt, 'FAILED')).catch(() => undefined);
    throw error;
  }
  run.onEvent?.({ type: 'run-start', runName: run.runName, totalRows: run.dataset.rows, startedAt });
  const { metrics: runMetrics } = run;
  runMetrics?.runStarted({
    totalRows: run.dataset.rows,
    experiment: startInfo.experiment,
    budgetUsd: run.budgets?.maxCostUsd,
  });
  const progressLog = runMetrics !== undefined ? new ProgressLog(sinks, runMetrics, started) : undefined;
  const progressLogTimer =
    progressLog !== undefined
      ? setInterval(() => progressLog.log(), run.progressIntervalMs ?? 10_000)
      : undefined;
  progressLogTimer?.unref();

  const aggregator = new Aggregator(run.scorers);
  const seen = new Set<string>();
  let stoppedReason: StopReason | undefined;
  const signal = run.signal ?? new AbortController().signal;
  const budget = new BudgetGuard(run.budgets);

  // The root of every row's way out: scrubbed once here, whichever executor produced it.
  const onResult = (raw: RowResult): void => {
    if (seen.has(raw.id)) return;
    seen.add(raw.id);
    budget.finished(raw.usage);
    const result = redactor.value(raw);
    aggregator.add(result);
    for (const sink of sinks) {
      try {
        sink.write(result);
      } catch (error) {
        process.emitWarning(
          redactor.text(`sink ${sink.name} failed to take row ${result.id}: ${errorMessage(error)}`),
        );
      }
    }
    runMetrics?.rowFinished(result);
    run.onEvent?.({ type: 'row-end', result });
  };

  // Sinks that write asynchronously report how far they are while they lag behind scoring.
  const reportProgress = (): void => {
    progressLog?.observeSinks();
    for (const sink of sinks) {
      let progress: ReturnType<NonNullable<Sink['progress']>> | undefined;
      try {
        progress = sink.progress?.();
      } catch {
        // progress is informational: a sink that cannot say how far it is must not end the run
        continue;
      }
      if (progress !== undefined && progress.written < progress.accepted)
        run.onEvent?.({ type: 'sink-progress', sink: sink.name, progress });
    }
  };
  const progressTimer =
    run.onEvent !== undefined || runMetrics !== undefined ? setInterval(reportProgress, 1000) : undefined;
  progressTimer?.unref();

  let status: RunStatus = 'FINISHED';
  let executionError: unknown;
  try {
    await run.executor.execute(run.rows, {
      signal,
      ...(run.abortRows !== undefined ? { abortRows: run.abortRows } : {}),
      onResult,
      onRowStart: (row) => {
        budget.started();
        runMetrics?.rowDispatched();
        run.onEvent?.({ type: 'row-start', rowId: row.record.id, index: row.index });
      },
      admit: () => budget.admit(),
    });
  } catch (error) {
    executionError = error;
    status = 'FAILED';
  }
  stoppedReason = budget.stoppedReason;
  if (signal.aborted || run.abortRows?.aborted) {
    status = 'KILLED';
    stoppedReason = 'interrupted';
  }
  const scoringSeconds = round((performance.now() - started) / 1000, 3);
  run.onEvent?.({ type: 'scoring-end', rows: aggregator.rows, scoringSeconds });
  if (progressLogTimer !== undefined) clearInterval(progressLogTimer);
  progressLog?.log();

  const metrics = aggregator.metrics();
  let summary: RunSummary = {
    rows: aggregator.rows,
    failed_rows: aggregator.failedRows,
    error_feedbacks: aggregator.errorFeedbacks,
    metrics,
    counts: aggregator.feedbackCounts(),
    usage: usageSummary(aggregator.usage),
    started_at: startedAt.toISOString(),
    duration_s: scoringSeconds,
    scoring_s: scoringSeconds,
    status,
    dataset: { name: run.dataset.name, digest: run.dataset.digest, rows: run.dataset.rows },
  };
  if (stoppedReason !== undefined) summary.stopped_reason = stoppedReason;
  const gateResults = evaluateGates({
    gates: run.gates ?? [],
    metrics,
    ...(run.maxErrors !== undefined ? { maxErrors: run.maxErrors } : {}),
    errors: aggregator.failedRows + aggregator.errorFeedbacks,
  });
  // An interrupted run scored only part of the dataset: "no value yet" is not a verdict on a scorer.
  if (stoppedReason !== 'interrupted') {
    gateResults.push(
      ...noValueGates({
        counts: summary.counts,
        firstErrors: aggregator.firstErrors,
        scorers: run.scorers.map((s) => s.name),
        rows: aggregator.rows,
        failedRows: aggregator.failedRows,
        ...(run.allowNoValues !== undefined ? { allow: run.allowNoValues } : {}),
      }),
    );
  }
  if (gateResults.length > 0) summary.gates = gateResults;
  summary = redactor.value(summary);

  await writeSummaryJson(run.outDir, summary);
  const drainStarted = performance.now();
  let pendingWrites = 0;
  const sinkErrors: string[] = [];
  try {
    for (const sink of sinks) {
      try {
        const report = await sink.finish(summary, { wait: run.waitForWrites ?? true });
        // a sink's patch (a tracking server's URL) may name a URI with credentials in it
        if (report.summaryPatch !== undefined) Object.assign(summary, redactor.value(report.summaryPatch));
        pendingWrites += report.pendingWrites ?? 0;
      } catch (error) {
        sinkErrors.push(`${sink.name}: ${errorMessage(error)}`);
      }
    }
  } finally {
    if (progressTimer !== undefined) clearInterval(progressTimer);
  }
  if (runMetrics !== undefined && progressLog !== undefined) {
    progressLog.observeSinks();
    runMetrics.runEnded();
    if (summary.mlflow !== undefined)
      runMetrics.setRunInfo({ mlflowRunId: summary.mlflow.run_id, mlflowUrl: summary.mlflow.url });
  }
  // Scoring time and the time the sinks took to write what scoring left them (a remote backlog).
  summary.drain_s = round((performance.now() - drainStarted) / 1000, 3);
  summary.duration_s = round((performance.now() - started) / 1000, 3);
  await writeSummaryJson(run.outDir, summary);
  run.onEvent?.({ type: 'run-end', status, summary });
  if (executionError !== undefined) throw executionError;
  if (sinkErrors.length > 0)
    throw new JudgeflowError(redactor.text(`writing results failed: ${sinkErrors.join('; ')}`));
  return {
    summary,
    outDir: run.outDir,
    pendingWrites,
    gatesPassed: gateResults.every((g) => g.passed),
    stoppedReason,
  };
}

function emptySummary(run: EvaluationRun, startedAt: Date, status: RunStatus): RunSummary {
  return {
    rows: 0,
    failed_rows: 0,
    error_feedbacks: 0,
    metrics: {},
    counts: {},
    usage: usageSummary(emptyUsage()),
    started_at: startedAt.toISOString(),
    duration_s: 0,
    status,
    dataset: { name: run.dataset.name, digest: run.dataset.digest, rows: run.dataset.rows },
  };
}

/** The run's usage as summary.json spells it: per role, retries apart from calls, cost per role. */
export function usageSummary(usage: Usage): RunSummary['usage'] {
  return {
    model: {
      input_tokens: usage.model.inputTokens,
      output_tokens: usage.model.outputTokens,
      total_tokens: usage.model.totalTokens,
      calls: usage.modelCalls,
      retries: usage.modelRetries,
      cost_usd: round(usage.modelCostUsd, 6),
    },
    judge: {
      input_tokens: usage.judge.inputTokens,
      output_tokens: usage.judge.outputTokens,
      total_tokens: usage.judge.totalTokens,
      calls: usage.judgeCalls,
      retries: usage.judgeRetries,
      repairs: usage.judgeRepairs,
      cost_usd: round(usage.judgeCostUsd, 6),
    },
    cost_usd: round(usage.costUsd, 6),
  };
}

function round(value: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}
