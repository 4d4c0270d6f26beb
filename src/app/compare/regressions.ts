import type { Pairing, RowPair } from './pairing.js';
import type { ComparisonRow, MetricComparison, RowRegression } from './types.js';

/**
 * Every row where B is worse than A on a compared metric — a pass turned fail, or a number moved the
 * wrong way (respecting higher_is_better) — with the inputs, both outputs, both values and rationales.
 * Ordered by metric (as compared), then the largest change first; ties keep the dataset's order.
 */
export function findRegressions(pairing: Pairing, metrics: readonly MetricComparison[]): RowRegression[] {
  const byId = new Map(pairing.pairs.map((pair) => [pair.id, pair]));
  const out: RowRegression[] = [];
  for (const comparison of metrics) {
    const paired = pairing.metrics.find((m) => m.name === comparison.name);
    if (paired === undefined) continue;
    const found: Array<{ size: number; regression: RowRegression }> = [];
    paired.rowIds.forEach((rowId, i) => {
      const a = paired.a[i] as number;
      const b = paired.b[i] as number;
      const change = comparison.higher_is_better ? a - b : b - a;
      if (!(change > 0)) return;
      const pair = byId.get(rowId);
      if (pair !== undefined) found.push({ size: change, regression: regression(pair, comparison.name) });
    });
    found.sort((x, y) => y.size - x.size);
    out.push(...found.map((f) => f.regression));
  }
  return out;
}

function regression(pair: RowPair, metric: string): RowRegression {
  const side = (row: RowPair['a']) => {
    const feedback = row.feedbacks.get(metric);
    return {
      outputs: row.outputs,
      value: feedback?.value ?? null,
      ...(feedback?.rationale !== undefined ? { rationale: feedback.rationale } : {}),
    };
  };
  return {
    row_id: pair.id,
    metric,
    inputs: pair.a.inputs,
    ...(pair.a.expectations !== undefined ? { expectations: pair.a.expectations } : {}),
    a: side(pair.a),
    b: side(pair.b),
  };
}

/** Every paired row with both outputs and the compared metrics' values (null where a side has none). */
export function comparisonRows(pairing: Pairing, metricNames: readonly string[]): ComparisonRow[] {
  const values = (row: RowPair['a']) => {
    const out: Record<string, unknown> = {};
    for (const name of metricNames) {
      const feedback = row.feedbacks.get(name);
      out[name] =
        feedback === undefined || feedback.error !== undefined || feedback.several === true
          ? null
          : (feedback.value ?? null);
    }
    return out;
  };
  return pairing.pairs.map((pair) => ({
    row_id: pair.id,
    inputs: pair.a.inputs,
    a: { outputs: pair.a.outputs, values: values(pair.a) },
    b: { outputs: pair.b.outputs, values: values(pair.b) },
  }));
}
