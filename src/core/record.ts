/**
 * One evaluation row, shaped like an MLflow GenAI evaluation record.
 * `inputs` go to the model under test; `outputs` (when present) mean no model call is needed;
 * `expectations` are ground truth for scorers (`expected_response`, `expected_facts`, `guidelines`, ...).
 */
export interface EvalRecord {
  /** Stable row id: the `id` field of the source row, or derived from the inputs (see `rowIdFromInputs`). */
  id: string;
  /** Arguments of the model under test. Always an object (MLflow requires a dict). */
  inputs: Record<string, unknown>;
  /** Recorded outputs of the model under test; when present, prediction is skipped for this row. */
  outputs?: unknown;
  /** Ground truth for scorers; a sink may store each key as an expectation (MLflow: a HUMAN assessment). */
  expectations?: Record<string, unknown>;
  /** String tags of the row (a tracing sink puts them on the row's trace). */
  tags?: Record<string, string>;
}

/** A record as a user writes it: the same as EvalRecord, but the id is optional. */
export interface RecordInput {
  id?: string;
  inputs: Record<string, unknown>;
  outputs?: unknown;
  expectations?: Record<string, unknown>;
  tags?: Record<string, string>;
}

/** Where a row came from, for error messages. */
export interface RowLocation {
  /** File path, `<inline>`, or what a dataset source calls itself (`<kind>:<dataset name>`). */
  source: string;
  /** 1-based line where the row starts (JSONL, CSV, YAML, JSON array), or 1-based element index (inline records). */
  line: number;
  /** 0-based index of the row in a JSON array file, which errors name next to the line. */
  element?: number;
}

/** The parts of a location a DatasetError names: file, line and, in a JSON array, the element. */
export function rowWhere(location: RowLocation): { file: string; line: number; element?: number } {
  return {
    file: location.source,
    line: location.line,
    ...(location.element !== undefined ? { element: location.element } : {}),
  };
}

/** A validated record together with its position in the dataset. */
export interface DatasetRow {
  record: EvalRecord;
  /** 0-based position in the dataset (after limit/sample). Used for stable ordering. */
  index: number;
  location: RowLocation;
}
