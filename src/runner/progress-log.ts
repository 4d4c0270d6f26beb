import type { Sink } from '../core/sink.js';
import type { RunMetrics } from '../observability/metrics.js';

/**
 * Feeds the run's metrics from the sinks (rows written, MLflow backlog) and hands the `progress/*`
 * run metrics to sinks that keep them (MLflow), so people who never open Grafana see the same curves.
 */
export class ProgressLog {
  readonly #sinks: readonly Sink[];
  readonly #metrics: RunMetrics;
  readonly #started: number;
  #written = 0;
  #step = 0;

  constructor(sinks: readonly Sink[], metrics: RunMetrics, started: number) {
    this.#sinks = sinks;
    this.#metrics = metrics;
    this.#started = started;
  }

  /** Rows written = the slowest sink's; the MLflow backlog = what the MLflow sink has not yet written. */
  observeSinks(): void {
    let written: number | undefined;
    for (const sink of this.#sinks) {
      let progress: ReturnType<NonNullable<Sink['progress']>> | undefined;
      try {
        progress = sink.progress?.();
      } catch {
        continue;
      }
      if (progress === undefined) continue;
      written = Math.min(written ?? progress.written, progress.written);
      if (sink.name === 'mlflow')
        this.#metrics.mlflowBacklog(Math.max(0, progress.accepted - progress.written));
    }
    const snapshot = this.#metrics.snapshot();
    const finished = snapshot.rowsScored + snapshot.rowsFailed;
    const now = Math.min(written ?? finished, finished);
    if (now > this.#written) {
      this.#metrics.rows('written', now - this.#written);
      this.#written = now;
    }
  }

  /** One point of every `progress/*` metric, to each sink that logs them. */
  log(): void {
    this.observeSinks();
    const s = this.#metrics.snapshot();
    const elapsed = Math.max(0.001, (performance.now() - this.#started) / 1000);
    const values: Record<string, number> = {
      'progress/rows_dispatched': s.rowsDispatched,
      'progress/rows_scored': s.rowsScored,
      'progress/rows_failed': s.rowsFailed,
      'progress/rows_written': s.rowsWritten,
      'progress/throughput_rows_per_s': (s.rowsScored + s.rowsFailed) / elapsed,
      'progress/error_ratio':
        s.rowsScored + s.rowsFailed > 0 ? s.rowsFailed / (s.rowsScored + s.rowsFailed) : 0,
      'progress/judge_error_ratio': s.judgeRequests > 0 ? s.judgeErrors / s.judgeRequests : 0,
      'progress/input_tokens': s.inputTokens,
      'progress/output_tokens': s.outputTokens,
      'progress/cost_usd': s.costUsd,
      'progress/mlflow_backlog': s.mlflowBacklog,
    };
    if (s.judgeLatencyP50Seconds !== undefined)
      values['progress/judge_latency_p50_s'] = s.judgeLatencyP50Seconds;
    if (s.judgeLatencyP95Seconds !== undefined)
      values['progress/judge_latency_p95_s'] = s.judgeLatencyP95Seconds;
    const step = this.#step++;
    for (const sink of this.#sinks) {
      try {
        sink.logProgress?.(values, { step, timestamp: Date.now() });
      } catch {
        // progress metrics are informational: they never end a run
      }
    }
  }
}
