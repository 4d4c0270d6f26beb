import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { RowResult } from '../core/result.js';
import {
  type EndpointRole,
  METRICS,
  type MlflowWriteKind,
  type MlflowWriteStatus,
  type RequestStatus,
  type RowState,
} from './metric-names.js';

type Definition = (typeof METRICS)[number];
type Named<N extends Definition['name']> = Extract<Definition, { name: N }>;

const SECONDS_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];

/** Recent judge latencies kept for the p50/p95 logged to MLflow (bounded: memory stays flat). */
const LATENCY_WINDOW = 1024;

/** Totals of the run so far, for the `progress/*` MLflow metrics. */
export interface ProgressSnapshot {
  rowsDispatched: number;
  rowsScored: number;
  rowsFailed: number;
  rowsWritten: number;
  judgeRequests: number;
  judgeErrors: number;
  judgeLatencyP50Seconds: number | undefined;
  judgeLatencyP95Seconds: number | undefined;
  inputTokens: number;
  outputTokens: number;
  costUsd: number;
  mlflowBacklog: number;
}

/**
 * The Prometheus metrics of one run in one process: its own registry (never prom-client's global one,
 * so two runs in one process, or a test, do not mix), every metric of `METRICS`, and typed helpers that
 * fill in the `run` label. Label values are always bounded: a row id never reaches a label.
 */
export class RunMetrics {
  readonly registry = new Registry();
  readonly run: string;
  readonly #rows: Counter<'run' | 'state'>;
  readonly #remaining: Gauge<'run'>;
  readonly #info: Gauge<'run' | 'experiment' | 'mlflow_run_id' | 'mlflow_url'>;
  readonly #scorer: Histogram<'run' | 'scorer'>;
  readonly #requestDuration: Histogram<'run' | 'role' | 'endpoint'>;
  readonly #requests: Counter<'run' | 'role' | 'endpoint' | 'status'>;
  readonly #retries: Counter<'run' | 'role' | 'reason'>;
  readonly #rateLimitWait: Counter<'run' | 'role'>;
  readonly #tokens: Counter<'run' | 'role' | 'kind'>;
  readonly #cost: Counter<'run' | 'role'>;
  readonly #budget: Gauge<'run'>;
  readonly #backlog: Gauge<'run'>;
  readonly #mlflowDuration: Histogram<'run' | 'kind'>;
  readonly #mlflowWrites: Counter<'run' | 'kind' | 'status'>;
  readonly #restarts: Counter<'run'>;
  readonly #totals = {
    dispatched: 0,
    scored: 0,
    failed: 0,
    written: 0,
    judgeRequests: 0,
    judgeErrors: 0,
    inputTokens: 0,
    outputTokens: 0,
    costUsd: 0,
    backlog: 0,
  };
  readonly #judgeLatencies: number[] = [];
  #judgeLatencyNext = 0;
  #remainingRows = 0;
  #info_labels: Record<'experiment' | 'mlflow_run_id' | 'mlflow_url', string> | undefined;

  constructor(options: { run: string }) {
    this.run = options.run;
    const registers = [this.registry];
    const counter = <N extends Definition['name']>(name: N) => {
      const d = definition(name);
      return new Counter({ name, help: d.help, labelNames: d.labels, registers });
    };
    const gauge = <N extends Definition['name']>(name: N) => {
      const d = definition(name);
      return new Gauge({ name, help: d.help, labelNames: d.labels, registers });
    };
    const histogram = <N extends Definition['name']>(name: N) => {
      const d = definition(name);
      return new Histogram({ name, help: d.help, labelNames: d.labels, buckets: SECONDS_BUCKETS, registers });
    };
    this.#rows = counter('judgeflow_rows_total');
    this.#remaining = gauge('judgeflow_rows_remaining');
    this.#info = gauge('judgeflow_run_info');
    this.#scorer = histogram('judgeflow_scorer_duration_seconds');
    this.#requestDuration = histogram('judgeflow_endpoint_request_duration_seconds');
    this.#requests = counter('judgeflow_endpoint_requests_total');
    this.#retries = counter('judgeflow_endpoint_retries_total');
    this.#rateLimitWait = counter('judgeflow_rate_limit_wait_seconds_total');
    this.#tokens = counter('judgeflow_tokens_total');
    this.#cost = counter('judgeflow_cost_usd_total');
    this.#budget = gauge('judgeflow_budget_usd');
    this.#backlog = gauge('judgeflow_mlflow_write_backlog');
    this.#mlflowDuration = histogram('judgeflow_mlflow_write_duration_seconds');
    this.#mlflowWrites = counter('judgeflow_mlflow_writes_total');
    this.#restarts = counter('judgeflow_worker_restarts_total');
  }

  /** The run's size is known: every row remains. */
  runStarted(options: { totalRows: number; experiment: string; budgetUsd?: number | undefined }): void {
    this.#remainingRows = options.totalRows;
    this.#remaining.set({ run: this.run }, options.totalRows);
    this.setRunInfo({ experiment: options.experiment });
    if (options.budgetUsd !== undefined) this.#budget.set({ run: this.run }, options.budgetUsd);
  }

  /** The drill-down link; called again once the MLflow run id and URL are known. */
  setRunInfo(info: { experiment?: string; mlflowRunId?: string; mlflowUrl?: string }): void {
    const previous = this.#info_labels;
    const next = {
      experiment: info.experiment ?? previous?.experiment ?? '',
      mlflow_run_id: info.mlflowRunId ?? previous?.mlflow_run_id ?? '',
      mlflow_url: info.mlflowUrl ?? previous?.mlflow_url ?? '',
    };
    if (previous !== undefined) this.#info.remove({ run: this.run, ...previous });
    this.#info_labels = next;
    this.#info.set({ run: this.run, ...next }, 1);
  }

  rows(state: RowState, count = 1): void {
    if (count <= 0) return;
    this.#rows.inc({ run: this.run, state }, count);
    this.#totals[state] += count;
  }

  rowDispatched(): void {
    this.rows('dispatched');
  }

  /** A row's result reached the driver: scored or failed, its tokens and cost. */
  rowFinished(result: Pick<RowResult, 'error' | 'usage'>): void {
    this.rows(result.error === undefined ? 'scored' : 'failed');
    this.#remainingRows = Math.max(0, this.#remainingRows - 1);
    this.#remaining.set({ run: this.run }, this.#remainingRows);
    const { usage } = result;
    this.#addTokens('model', usage.model.inputTokens, usage.model.outputTokens);
    this.#addTokens('judge', usage.judge.inputTokens, usage.judge.outputTokens);
    if (usage.modelCostUsd > 0) this.#cost.inc({ run: this.run, role: 'model' }, usage.modelCostUsd);
    if (usage.judgeCostUsd > 0) this.#cost.inc({ run: this.run, role: 'judge' }, usage.judgeCostUsd);
    this.#totals.costUsd += usage.costUsd;
  }

  /** The run ended: nothing remains (a stopped run's undispatched rows will not be scored). */
  runEnded(): void {
    this.#remainingRows = 0;
    this.#remaining.set({ run: this.run }, 0);
  }

  scorerDuration(scorer: string, seconds: number): void {
    this.#scorer.observe({ run: this.run, scorer }, seconds);
  }

  /** One model/judge request (all its attempts) ended; `seconds` is its whole latency. */
  endpointRequest(options: {
    role: EndpointRole;
    endpoint: string;
    status: RequestStatus;
    seconds?: number;
  }): void {
    const { role, endpoint, status } = options;
    this.#requests.inc({ run: this.run, role, endpoint, status });
    if (options.seconds !== undefined) {
      this.#requestDuration.observe({ run: this.run, role, endpoint }, options.seconds);
      if (role === 'judge' && status === 'ok') this.#keepJudgeLatency(options.seconds);
    }
    if (role === 'judge') {
      this.#totals.judgeRequests += 1;
      if (status !== 'ok') this.#totals.judgeErrors += 1;
    }
  }

  endpointRetry(options: { role: EndpointRole; reason: RequestStatus; waitSeconds: number }): void {
    this.#retries.inc({ run: this.run, role: options.role, reason: options.reason });
    if (options.reason === 'rate_limited' && options.waitSeconds > 0)
      this.#rateLimitWait.inc({ run: this.run, role: options.role }, options.waitSeconds);
  }

  mlflowBacklog(rows: number): void {
    this.#totals.backlog = rows;
    this.#backlog.set({ run: this.run }, rows);
  }

  mlflowWrite(kind: MlflowWriteKind, status: MlflowWriteStatus, seconds: number): void {
    this.#mlflowDuration.observe({ run: this.run, kind }, seconds);
    this.#mlflowWrites.inc({ run: this.run, kind, status });
  }

  workerRestarted(count = 1): void {
    this.#restarts.inc({ run: this.run }, count);
  }

  /** Totals for the MLflow `progress/*` metrics. */
  snapshot(): ProgressSnapshot {
    const t = this.#totals;
    const sorted = [...this.#judgeLatencies].sort((a, b) => a - b);
    return {
      rowsDispatched: t.dispatched,
      rowsScored: t.scored,
      rowsFailed: t.failed,
      rowsWritten: t.written,
      judgeRequests: t.judgeRequests,
      judgeErrors: t.judgeErrors,
      judgeLatencyP50Seconds: quantile(sorted, 0.5),
      judgeLatencyP95Seconds: quantile(sorted, 0.95),
      inputTokens: t.inputTokens,
      outputTokens: t.outputTokens,
      costUsd: t.costUsd,
      mlflowBacklog: t.backlog,
    };
  }

  /** The Prometheus text exposition of this run's metrics. */
  text(): Promise<string> {
    return this.registry.metrics();
  }

  #addTokens(role: EndpointRole, input: number, output: number): void {
    if (input > 0) this.#tokens.inc({ run: this.run, role, kind: 'input' }, input);
    if (output > 0) this.#tokens.inc({ run: this.run, role, kind: 'output' }, output);
    this.#totals.inputTokens += input;
    this.#totals.outputTokens += output;
  }

  #keepJudgeLatency(seconds: number): void {
    if (this.#judgeLatencies.length < LATENCY_WINDOW) this.#judgeLatencies.push(seconds);
    else this.#judgeLatencies[this.#judgeLatencyNext] = seconds;
    this.#judgeLatencyNext = (this.#judgeLatencyNext + 1) % LATENCY_WINDOW;
  }
}

function definition<N extends Definition['name']>(name: N): Named<N> & { labels: string[] } {
  const found = METRICS.find((m) => m.name === name);
  if (found === undefined) throw new Error(`metric ${name} is not in METRICS`);
  return { ...found, labels: [...found.labels] } as Named<N> & { labels: string[] };
}

function quantile(sorted: readonly number[], q: number): number | undefined {
  if (sorted.length === 0) return undefined;
  const index = Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1);
  return sorted[Math.max(0, index)];
}

/**
 * How a failed model/judge attempt is counted, from the error the HTTP runtime raised. A response that
 * arrived but was not what the API promises (`invalid_response`: a 200 whose body does not parse) is the
 * server's failure, not the network's.
 */
export function requestStatusOf(error: { kind?: string; status?: number | undefined }): RequestStatus {
  if (error.status === 429) return 'rate_limited';
  if (error.status !== undefined && error.status >= 500) return 'server_error';
  if (error.status !== undefined && error.status >= 400) return 'client_error';
  if (error.kind === 'timeout') return 'timeout';
  if (error.kind === 'http') return 'client_error';
  if (error.kind === 'invalid_response') return 'server_error';
  return 'network_error';
}
