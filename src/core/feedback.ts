import type { JsonValue } from './json.js';

/** Who produced an assessment — MLflow's AssessmentSource types. */
export type AssessmentSourceType = 'CODE' | 'LLM_JUDGE' | 'HUMAN';

/** MLflow's assessment source: type plus an id (scorer name, judge model URI, or user). */
export interface AssessmentSource {
  type: AssessmentSourceType;
  /** For CODE, the scorer name; for LLM_JUDGE, the judge's model URI (`openai:/gpt-4.1-mini`). */
  id: string;
}

/** Why a feedback has no value. MLflow stores this as `feedback.error`. */
export interface FeedbackError {
  /** Machine-readable code, e.g. `SCORER_ERROR`, `JUDGE_OUTPUT_INVALID`, `MISSING_EXPECTATION`. */
  code: string;
  /** Human-readable message naming the scorer and the cause. */
  message: string;
  /** Stack trace, truncated; only for errors thrown by code. */
  stack?: string;
}

/** A feedback's value: what MLflow accepts as `feedback.value` (any JSON). */
export type FeedbackValue = JsonValue;

/**
 * One score for one row. "Could not score" is a feedback with `error` set and `value` null — never 0.
 */
export interface Feedback {
  /** Assessment name in MLflow; aggregate metrics are `<name>/<aggregation>`. */
  name: string;
  /** The score: boolean, number, string ("yes"/"no" for built-in judges), or any JSON. Null when `error` is set. */
  value: FeedbackValue;
  /** Why the scorer gave this value (judges always give one). */
  rationale?: string;
  /** Set when the scorer could not score this row. */
  error?: FeedbackError;
  /** Who produced the feedback. */
  source: AssessmentSource;
  /** String metadata stored with the assessment (token usage, cost, agreement, ...). */
  metadata?: Record<string, string>;
}

/** Builds an error feedback: value null, the error set. */
export function errorFeedback(options: {
  name: string;
  source: AssessmentSource;
  code: string;
  message: string;
  stack?: string;
  rationale?: string;
  metadata?: Record<string, string>;
}): Feedback {
  const error: FeedbackError = { code: options.code, message: options.message };
  if (options.stack !== undefined) error.stack = options.stack;
  const feedback: Feedback = { name: options.name, value: null, error, source: options.source };
  if (options.rationale !== undefined) feedback.rationale = options.rationale;
  if (options.metadata !== undefined) feedback.metadata = options.metadata;
  return feedback;
}
