import type { Feedback } from './feedback.js';
import type { RowTrace } from './span.js';
import type { Usage } from './usage.js';

/** Why a row has no outputs: its model call failed. */
export interface RowError {
  code: string;
  message: string;
}

/** The complete result of one row — what a worker returns and what every sink writes. */
export interface RowResult {
  id: string;
  /** 0-based position in the dataset. */
  index: number;
  inputs: Record<string, unknown>;
  /** The model's outputs (or the recorded ones); null when the model call failed. */
  outputs: unknown;
  expectations: Record<string, unknown>;
  tags: Record<string, string>;
  feedbacks: Feedback[];
  /** Set when the model call failed; the row's feedbacks are then empty. */
  error?: RowError;
  trace: RowTrace;
  usage: Usage;
  durationMs: number;
}

/** Aggregated counts for one feedback name. */
export interface FeedbackCounts {
  /** Feedbacks with a value. */
  values: number;
  /** Feedbacks with an error. */
  errors: number;
}

/** One role's share of a run's usage in summary.json. */
export interface RoleUsage {
  input_tokens: number;
  output_tokens: number;
  total_tokens: number;
  calls: number;
  retries: number;
  cost_usd: number;
}

export type RunStatus = 'FINISHED' | 'FAILED' | 'KILLED';

/**
 * `summary.json`, as README.md "Outputs" describes it. A sink adds its own section (its
 * `SinkReport.summaryPatch`) and declares it by merging a property into this interface from its own
 * folder (e.g. `src/sinks/mlflow/summary-section.ts`), so the core names no sink.
 */
export interface RunSummary {
  rows: number;
  failed_rows: number;
  error_feedbacks: number;
  metrics: Record<string, number>;
  counts: Record<string, FeedbackCounts>;
  /**
   * Tokens, requests and cost per role. `calls` are requests (first attempts); `retries` the extra HTTP
   * attempts the runtime made for them; judge `repairs` the calls that were repair attempts. `cost_usd`
   * at the top is the whole run's (model under test + judges), the one `--max-cost` counts.
   */
  usage: {
    model: RoleUsage;
    judge: RoleUsage & { repairs: number };
    cost_usd: number;
  };
  started_at: string;
  /** The whole run: scoring plus the sinks' drain. */
  duration_s: number;
  /** From the first row dispatched to the last row scored. */
  scoring_s?: number;
  /** From the last row scored until every sink had written (or spooled) everything. */
  drain_s?: number;
  status: RunStatus;
  /** Why dispatch stopped early, when it did (`interrupted`, `max_cost`, `max_tokens`, `max_errors`). */
  stopped_reason?: string;
  dataset: { name: string; digest: string; rows: number };
  /** Quality gates and their outcome; `detail` says why a gate without a threshold failed. */
  gates?: Array<{ gate: string; actual: number | null; passed: boolean; detail?: string }>;
}
