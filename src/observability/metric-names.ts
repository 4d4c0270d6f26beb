/**
 * The Prometheus metric contract of judgeflow: every metric a judgeflow process exports, with its type,
 * help text and label names. The Grafana dashboard lint and the alert rules import this list, so a
 * metric renamed here fails their checks instead of silently emptying a panel.
 *
 * Labels are bounded on purpose: a run name, a scorer name, an endpoint role, a model URI, a status or
 * kind from a fixed set. Row ids, inputs and model outputs never become labels (one series per row
 * would exhaust Prometheus).
 */

/** One metric of the contract. */
export interface MetricDefinition {
  /** The Prometheus metric name, `judgeflow_` prefixed; counters end in `_total`. */
  readonly name: string;
  /** The Prometheus metric type. */
  readonly type: 'counter' | 'gauge' | 'histogram';
  /** The `# HELP` line. */
  readonly help: string;
  /** The label names, in a fixed order. */
  readonly labels: readonly string[];
}

/** Row states counted by `judgeflow_rows_total`. */
export const ROW_STATES = ['dispatched', 'scored', 'failed', 'written'] as const;
/** Row state label value. */
export type RowState = (typeof ROW_STATES)[number];

/** Endpoint roles: the model under test or a judge. */
export const ENDPOINT_ROLES = ['model', 'judge'] as const;
/** Endpoint role label value. */
export type EndpointRole = (typeof ENDPOINT_ROLES)[number];

/** Outcomes of one model/judge HTTP request. */
export const REQUEST_STATUSES = [
  'ok',
  'rate_limited',
  'server_error',
  'client_error',
  'timeout',
  'network_error',
] as const;
/** Request status label value. */
export type RequestStatus = (typeof REQUEST_STATUSES)[number];

/** Token kinds counted by `judgeflow_tokens_total`. */
export const TOKEN_KINDS = ['input', 'output'] as const;
/** Token kind label value. */
export type TokenKind = (typeof TOKEN_KINDS)[number];

/** Kinds of MLflow writes timed by `judgeflow_mlflow_write_duration_seconds`. */
export const MLFLOW_WRITE_KINDS = ['trace', 'metrics', 'batch', 'artifact', 'run'] as const;
/** MLflow write kind label value. */
export type MlflowWriteKind = (typeof MLFLOW_WRITE_KINDS)[number];

/** Outcomes of an MLflow write. */
export const MLFLOW_WRITE_STATUSES = ['ok', 'error'] as const;
/** MLflow write status label value. */
export type MlflowWriteStatus = (typeof MLFLOW_WRITE_STATUSES)[number];

/** Every metric judgeflow exports. Dashboard, alerts and code use exactly these names. */
export const METRICS = [
  {
    name: 'judgeflow_rows_total',
    type: 'counter',
    help: 'Rows of the run by state: dispatched to a worker, scored, failed (model or every scorer errored), written to the sinks.',
    labels: ['run', 'state'],
  },
  {
    name: 'judgeflow_rows_remaining',
    type: 'gauge',
    help: 'Rows of the run not yet finished (0 at the end).',
    labels: ['run'],
  },
  {
    name: 'judgeflow_run_info',
    type: 'gauge',
    help: 'Always 1; its labels link the run to its MLflow experiment and run.',
    labels: ['run', 'experiment', 'mlflow_run_id', 'mlflow_url'],
  },
  {
    name: 'judgeflow_scorer_duration_seconds',
    type: 'histogram',
    help: 'Time one scorer took on one row, in seconds.',
    labels: ['run', 'scorer'],
  },
  {
    name: 'judgeflow_endpoint_request_duration_seconds',
    type: 'histogram',
    help: 'Latency of one model or judge HTTP request attempt, in seconds.',
    labels: ['run', 'role', 'endpoint'],
  },
  {
    name: 'judgeflow_endpoint_requests_total',
    type: 'counter',
    help: 'Model and judge request attempts by outcome (ok, rate_limited, server_error, client_error, timeout, network_error).',
    labels: ['run', 'role', 'endpoint', 'status'],
  },
  {
    name: 'judgeflow_endpoint_retries_total',
    type: 'counter',
    help: 'Model and judge requests retried, by the reason of the retry.',
    labels: ['run', 'role', 'reason'],
  },
  {
    name: 'judgeflow_rate_limit_wait_seconds_total',
    type: 'counter',
    help: 'Seconds spent waiting before a retry because an endpoint rate-limited (429 / retry-after).',
    labels: ['run', 'role'],
  },
  {
    name: 'judgeflow_tokens_total',
    type: 'counter',
    help: 'Tokens used by the model under test and the judges, by kind (input, output).',
    labels: ['run', 'role', 'kind'],
  },
  {
    name: 'judgeflow_cost_usd_total',
    type: 'counter',
    help: 'Estimated spend in US dollars, by role.',
    labels: ['run', 'role'],
  },
  {
    name: 'judgeflow_budget_usd',
    type: 'gauge',
    help: "The run's budget (max_cost) in US dollars; absent when the run has none.",
    labels: ['run'],
  },
  {
    name: 'judgeflow_mlflow_write_backlog',
    type: 'gauge',
    help: 'Rows and traces waiting to be written to MLflow.',
    labels: ['run'],
  },
  {
    name: 'judgeflow_mlflow_write_duration_seconds',
    type: 'histogram',
    help: 'Duration of one MLflow write, by kind (trace, metrics, batch, artifact, run), in seconds.',
    labels: ['run', 'kind'],
  },
  {
    name: 'judgeflow_mlflow_writes_total',
    type: 'counter',
    help: 'MLflow writes by kind and outcome (ok, error).',
    labels: ['run', 'kind', 'status'],
  },
  {
    name: 'judgeflow_worker_restarts_total',
    type: 'counter',
    help: 'Ray workers restarted, or their rows re-dispatched, after a worker died.',
    labels: ['run'],
  },
] as const satisfies readonly MetricDefinition[];

/** A metric name of the contract. */
export type MetricName = (typeof METRICS)[number]['name'];
