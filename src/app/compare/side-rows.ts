import type { ComparisonSide } from './types.js';

/** One feedback name's result on one row of one side. */
export interface SideFeedback {
  /** The value; undefined when the scorer could not score (an error feedback). */
  value: unknown;
  rationale?: string;
  /** `CODE: message` of an error feedback. */
  error?: string;
  /** The row carries several feedbacks of this name (a list in the results table): not comparable. */
  several?: boolean;
}

/** One row of a side: what the model saw and said, and its feedbacks by name. */
export interface SideRow {
  id: string;
  inputs: unknown;
  outputs: unknown;
  expectations?: unknown;
  feedbacks: Map<string, SideFeedback>;
}

/** A side read into memory: where it came from, its rows by id and every feedback name it has. */
export interface LoadedSide {
  side: ComparisonSide;
  rows: Map<string, SideRow>;
  /** Feedback names in first-seen order. */
  feedbackNames: string[];
  /** The tracking server of the side's MLflow run (`side.run_id`), when it has one. */
  trackingUri?: string;
}

/** An MLflow run id as MLflow makes them: 32 lowercase hex digits. */
export const RUN_ID_PATTERN = /^[0-9a-f]{32}$/;
