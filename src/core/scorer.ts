import type { Feedback } from './feedback.js';
import type { RowTrace, SpanHandle, StartSpanOptions } from './span.js';
import type { Usage } from './usage.js';

/** MLflow's aggregations for a feedback name. */
export type Aggregation = 'mean' | 'min' | 'max' | 'median' | 'variance' | 'p90';

export const AGGREGATIONS: readonly Aggregation[] = ['mean', 'min', 'max', 'median', 'variance', 'p90'];

/** What a scorer sees for one row (MLflow's `inputs, outputs, expectations, trace`). */
export interface ScorerArgs {
  inputs: Record<string, unknown>;
  outputs: unknown;
  expectations: Record<string, unknown>;
  trace: RowTrace;
  /** Aborted when the run is cancelled. */
  signal: AbortSignal;
  /** Scorers that call models add their usage here (judge calls). */
  usage: Usage;
  /**
   * Records a span in the row's trace (a child of the root), e.g. one per judge call with model and
   * token usage. Present when the scorer runs inside the pipeline.
   */
  startSpan?: (options: StartSpanOptions) => SpanHandle;
}

/**
 * What a scorer may return — MLflow's `@scorer` rules: a primitive (bool, number, string), a Feedback,
 * a list of primitives or of Feedbacks, or nothing (no feedback logged). Anything else is an error feedback.
 */
export type ScoreResult =
  | boolean
  | number
  | string
  | Feedback
  | PartialFeedback
  | ReadonlyArray<boolean | number | string | Feedback | PartialFeedback>
  | null
  | undefined;

/** A feedback as a scorer may return it: name and source default to the scorer's. */
export type PartialFeedback = Omit<Feedback, 'name' | 'source'> & Partial<Pick<Feedback, 'name' | 'source'>>;

export type ScorerKind = 'code' | 'llm_judge';

/** A named scoring function. Returned values are normalized by the runner (see `normalizeScore`). */
export interface Scorer {
  /** Default feedback name and CODE source id. */
  readonly name: string;
  readonly kind: ScorerKind;
  /** Aggregations to compute for this scorer's feedbacks; `['mean']` when omitted. */
  readonly aggregations?: readonly Aggregation[];
  /**
   * Feedback names it produces besides `name` (a per-chunk judge's `<name>/precision`), so that a
   * quality gate on one of them is known to be reachable before the run starts.
   */
  readonly feedbackNames?: readonly string[];
  score(args: ScorerArgs): ScoreResult | Promise<ScoreResult>;
}
