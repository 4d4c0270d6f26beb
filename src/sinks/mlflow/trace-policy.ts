import { createHash } from 'node:crypto';
import { ConfigError } from '../../core/errors.js';
import type { RowResult } from '../../core/result.js';

/**
 * Which rows get an MLflow trace (`mlflow.traces` in the eval file, `--mlflow-traces` on the CLI).
 * Every row's full result reaches the run anyway — results.jsonl and the results table artifact hold
 * every row, and metrics are computed from every row — so a policy only limits how many traces (and
 * spans and assessments) the tracking server has to store.
 *
 * - `all` (default): every row, as `mlflow.genai.evaluate()` does.
 * - `failed`: rows that failed — the model call errored, a scorer errored, or a pass/fail verdict came
 *   out failing (`false` or `"no"`).
 * - `sample:<fraction>`: a deterministic sample of the rows, by a hash of the row id — the same rows
 *   in every run of the same dataset, and again on a replay.
 */
export type TracePolicy = { mode: 'all' } | { mode: 'failed' } | { mode: 'sample'; fraction: number };

export const defaultTracePolicy: TracePolicy = { mode: 'all' };

const EXPECTED = '"all", "failed" or "sample:<fraction>" with a fraction in (0, 1], e.g. "sample:0.1"';

/** Parses `all | failed | sample:<fraction>`; anything else is a ConfigError naming `field`. */
export function parseTracePolicy(
  text: string,
  where: { field: string; file?: string } = { field: 'mlflow.traces' },
): TracePolicy {
  const value = text.trim();
  if (value === 'all') return { mode: 'all' };
  if (value === 'failed') return { mode: 'failed' };
  const match = /^sample:(.*)$/.exec(value);
  if (match !== null) {
    const raw = (match[1] ?? '').trim();
    const fraction = Number(raw);
    if (raw === '' || !Number.isFinite(fraction) || fraction <= 0 || fraction > 1) {
      throw new ConfigError(
        `${where.field}: the sample fraction "${raw}" is not in (0, 1]; expected ${EXPECTED}`,
        { field: where.field, ...(where.file !== undefined ? { file: where.file } : {}) },
      );
    }
    return { mode: 'sample', fraction };
  }
  throw new ConfigError(`${where.field}: unknown value "${value}"; expected ${EXPECTED}`, {
    field: where.field,
    ...(where.file !== undefined ? { file: where.file } : {}),
  });
}

export function formatTracePolicy(policy: TracePolicy): string {
  return policy.mode === 'sample' ? `sample:${policy.fraction}` : policy.mode;
}

/** A row result as the policy sees it (a results.jsonl line has the same fields). */
export interface PolicyRow {
  id: RowResult['id'];
  feedbacks: ReadonlyArray<{ value?: unknown; error?: unknown }>;
  error?: unknown;
}

/** Whether this row gets a trace under `policy`. */
export function isTraced(policy: TracePolicy, row: PolicyRow): boolean {
  switch (policy.mode) {
    case 'all':
      return true;
    case 'failed':
      return rowFailed(row);
    case 'sample':
      return sampleFraction(row.id) < policy.fraction;
  }
}

/** The row errored, a scorer errored, or a pass/fail verdict failed. */
export function rowFailed(row: PolicyRow): boolean {
  if (row.error !== undefined && row.error !== null) return true;
  return row.feedbacks.some((feedback) => {
    if (feedback.error !== undefined) return true;
    const { value } = feedback;
    return value === false || (typeof value === 'string' && value.trim().toLowerCase() === 'no');
  });
}

/** A row id's position in [0, 1): the first 52 bits of its sha256, so the sample is stable. */
function sampleFraction(rowId: string): number {
  const hex = createHash('sha256').update(rowId).digest('hex').slice(0, 13);
  return Number.parseInt(hex, 16) / 2 ** 52;
}
