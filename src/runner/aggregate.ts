import type { Feedback } from '../core/feedback.js';
import type { FeedbackCounts, RowResult } from '../core/result.js';
import type { Aggregation, Scorer } from '../core/scorer.js';
import { addUsage, emptyUsage, type Usage } from '../core/usage.js';

/**
 * MLflow's cast of a feedback value to a number: numbers and booleans as they are (true → 1),
 * "yes"/"no" → 1/0 (case-insensitive, as MLflow's CategoricalRating), anything else — other strings,
 * objects, error feedbacks — is skipped (undefined).
 */
export function numericValue(feedback: Feedback): number | undefined {
  if (feedback.error !== undefined) return undefined;
  const { value } = feedback;
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (typeof value === 'string') {
    const lowered = value.trim().toLowerCase();
    if (lowered === 'yes') return 1;
    if (lowered === 'no') return 0;
  }
  return undefined;
}

/** Growable Float64 buffer: 8 bytes a value, so a million scores cost 8 MB, not a million boxed numbers. */
class NumberBuffer {
  private data = new Float64Array(64);
  length = 0;
  push(value: number): void {
    if (this.length === this.data.length) {
      const next = new Float64Array(this.data.length * 2);
      next.set(this.data);
      this.data = next;
    }
    this.data[this.length++] = value;
  }
  values(): Float64Array {
    return this.data.subarray(0, this.length);
  }
}

/** numpy-compatible percentile with linear interpolation (MLflow uses np.percentile). */
export function percentile(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const position = (sorted.length - 1) * (q / 100);
  const lower = Math.floor(position);
  const upper = Math.ceil(position);
  const a = sorted[lower] as number;
  const b = sorted[upper] as number;
  return a + (b - a) * (position - lower);
}

export function aggregate(values: Float64Array, aggregation: Aggregation): number {
  const n = values.length;
  if (n === 0) return Number.NaN;
  switch (aggregation) {
    case 'mean':
      return sum(values) / n;
    case 'min':
      return values.reduce((m, v) => Math.min(m, v), Number.POSITIVE_INFINITY);
    case 'max':
      return values.reduce((m, v) => Math.max(m, v), Number.NEGATIVE_INFINITY);
    case 'median':
      return percentile(Float64Array.from(values).sort(), 50);
    case 'p90':
      return percentile(Float64Array.from(values).sort(), 90);
    case 'variance': {
      // population variance, as np.var
      const mean = sum(values) / n;
      let acc = 0;
      for (const v of values) acc += (v - mean) * (v - mean);
      return acc / n;
    }
  }
}

function sum(values: Float64Array): number {
  // Kahan summation keeps the mean exact enough to compare with MLflow's numpy result.
  let total = 0;
  let compensation = 0;
  for (const v of values) {
    const y = v - compensation;
    const t = total + y;
    compensation = t - total - y;
    total = t;
  }
  return total;
}

/**
 * Streams row results into per-feedback-name aggregates: metrics `<name>/<agg>`, value/error counts,
 * failed rows, usage. Holds numbers only (not results), so memory stays flat in the row count.
 */
export class Aggregator {
  rows = 0;
  failedRows = 0;
  errorFeedbacks = 0;
  readonly usage: Usage = emptyUsage();
  private readonly values = new Map<string, NumberBuffer>();
  private readonly counts = new Map<string, FeedbackCounts>();
  /** The first error message of each feedback name (a scorer with no value says why). */
  readonly firstErrors = new Map<string, string>();
  private readonly aggregationsByName = new Map<string, Set<Aggregation>>();
  private readonly aggregationsByScorer = new Map<string, readonly Aggregation[]>();

  constructor(scorers: readonly Pick<Scorer, 'name' | 'aggregations'>[] = []) {
    for (const s of scorers) this.aggregationsByScorer.set(s.name, s.aggregations ?? ['mean']);
  }

  add(result: RowResult): void {
    this.rows += 1;
    if (result.error !== undefined) this.failedRows += 1;
    addUsage(this.usage, result.usage);
    for (const feedback of result.feedbacks) {
      const counts = this.counts.get(feedback.name) ?? { values: 0, errors: 0 };
      this.counts.set(feedback.name, counts);
      if (!this.aggregationsByName.has(feedback.name)) {
        // a feedback named differently from its scorer takes the scorer's aggregations (source id = scorer)
        const fromScorer =
          this.aggregationsByScorer.get(feedback.name) ?? this.aggregationsByScorer.get(feedback.source.id);
        this.aggregationsByName.set(feedback.name, new Set(fromScorer ?? ['mean']));
      }
      if (feedback.error !== undefined) {
        counts.errors += 1;
        this.errorFeedbacks += 1;
        if (!this.firstErrors.has(feedback.name)) {
          const { code, message } = feedback.error;
          this.firstErrors.set(feedback.name, `${code}: ${(message ?? '').slice(0, 300)}`);
        }
        continue;
      }
      counts.values += 1;
      const numeric = numericValue(feedback);
      if (numeric === undefined) continue;
      let buffer = this.values.get(feedback.name);
      if (buffer === undefined) {
        buffer = new NumberBuffer();
        this.values.set(feedback.name, buffer);
      }
      buffer.push(numeric);
    }
  }

  /** `{"<name>/<agg>": value}` for every name with at least one numeric value, sorted by key. */
  metrics(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [name, aggregations] of [...this.aggregationsByName].sort(([a], [b]) => a.localeCompare(b))) {
      const buffer = this.values.get(name);
      if (buffer === undefined || buffer.length === 0) continue;
      for (const aggregation of aggregations)
        out[`${name}/${aggregation}`] = aggregate(buffer.values(), aggregation);
    }
    return out;
  }

  feedbackCounts(): Record<string, FeedbackCounts> {
    return Object.fromEntries([...this.counts].sort(([a], [b]) => a.localeCompare(b)));
  }
}
