import type { Comparison, ComparisonSide, MetricComparison, RowRegression } from './types.js';

/** Regressions printed unless `--show-regressions N` says otherwise. */
export const DEFAULT_SHOWN_REGRESSIONS = 10;

const VERDICT_TEXT: Record<MetricComparison['verdict'], string> = {
  better: 'better',
  worse: 'WORSE',
  no_significant_difference: 'no sig. diff',
};

const TEST_TEXT: Record<MetricComparison['test']['name'], string> = {
  mcnemar_exact: 'mcnemar exact',
  mcnemar_chi2: 'mcnemar chi2',
  wilcoxon: 'wilcoxon',
};

/**
 * The comparison as the terminal shows it: both sides, the warnings, one line per metric (means, B − A
 * with its interval, the test, p and Holm's p, d_z, wins/losses/ties, the verdict), then the first
 * `shownRegressions` regressions row by row.
 */
export function formatComparison(
  comparison: Comparison,
  options: { shownRegressions?: number; width?: number } = {},
): string {
  const shown = options.shownRegressions ?? DEFAULT_SHOWN_REGRESSIONS;
  const width = options.width ?? 100;
  const lines: string[] = [];
  lines.push(`A: ${describeSide(comparison.a)}`);
  lines.push(`B: ${describeSide(comparison.b)}`);
  lines.push(
    `${comparison.paired_rows} paired rows` +
      (comparison.only_in_a > 0 || comparison.only_in_b > 0
        ? ` (only in A: ${comparison.only_in_a}, only in B: ${comparison.only_in_b})`
        : '') +
      ` · alpha ${comparison.alpha} (Holm over ${comparison.metrics.length} metric${comparison.metrics.length === 1 ? '' : 's'})` +
      ` · ${Math.round(comparison.confidence * 100)}% bootstrap CI, ${comparison.resamples} resamples, seed ${comparison.seed}`,
  );
  for (const warning of comparison.warnings) lines.push(`warning: ${warning}`);
  lines.push('');
  lines.push(metricTable(comparison.metrics));
  if (comparison.metrics.some((m) => !m.higher_is_better)) lines.push('(↓ = lower is better)');
  for (const m of comparison.metrics) {
    const dropped = (m.dropped?.a_errors ?? 0) + (m.dropped?.b_errors ?? 0);
    if (dropped > 0)
      lines.push(
        `${m.name}: pairs without a value left out — A ${m.dropped?.a_errors ?? 0}, B ${m.dropped?.b_errors ?? 0}`,
      );
  }
  if (comparison.pairwise !== undefined) {
    const p = comparison.pairwise;
    lines.push('');
    lines.push(
      `pairwise (${p.judge}): B wins ${p.b_wins}, A wins ${p.a_wins}, ties ${p.ties} of ${p.pairs}` +
        ` · B win rate ${fixed(p.b_win_rate)} [${fixed(p.b_win_rate_ci[0])}, ${fixed(p.b_win_rate_ci[1])}]` +
        ` · sign test p ${pValue(p.sign_test_p_value)} · position consistency ${fixed(p.position_consistency)}` +
        ` (${p.inconsistent} flipped with the order)`,
    );
  }
  lines.push('');
  lines.push(formatRegressions(comparison.regressions, { shown, width }));
  return lines.join('\n');
}

function describeSide(side: ComparisonSide): string {
  const where =
    side.source === 'mlflow'
      ? `MLflow run ${side.run_id ?? ''}`
      : `${side.path ?? ''}${side.run_id !== undefined ? ` (MLflow run ${side.run_id})` : ''}`;
  const dataset = side.dataset;
  const data = `dataset ${dataset.name ?? '(unnamed)'}${dataset.digest !== undefined ? ` ${dataset.digest.slice(0, 12)}` : ''}, ${dataset.rows} rows`;
  return `${side.label} — ${where}; ${data}`;
}

/** The per-metric table, columns aligned. */
export function metricTable(metrics: readonly MetricComparison[]): string {
  const rows: string[][] = [
    ['metric', 'n', 'A', 'B', 'diff (B-A) [CI]', 'test', 'p', 'p_holm', 'effect', 'W/L/T', 'verdict'],
  ];
  for (const m of metrics) {
    rows.push([
      `${m.name}${m.higher_is_better ? '' : ' ↓'}`,
      String(m.n),
      fixed(m.a.mean),
      fixed(m.b.mean),
      `${signed(m.diff)} [${signed(m.diff_ci[0])}, ${signed(m.diff_ci[1])}]`,
      TEST_TEXT[m.test.name],
      pValue(m.test.p_value),
      pValue(m.p_adjusted),
      m.effect_size.value === null ? '-' : signed(m.effect_size.value, 2),
      `${m.wins}/${m.losses}/${m.ties}`,
      VERDICT_TEXT[m.verdict],
    ]);
  }
  const header = rows[0] as string[];
  const widths = header.map((_, i) => Math.max(...rows.map((row) => (row[i] as string).length)));
  const numeric = new Set([1, 2, 3, 6, 7, 8]);
  const render = (row: readonly string[]) =>
    row
      .map((cell, i) =>
        numeric.has(i) ? cell.padStart(widths[i] as number) : cell.padEnd(widths[i] as number),
      )
      .join('  ')
      .trimEnd();
  return [render(header), widths.map((w) => '─'.repeat(w)).join('  '), ...rows.slice(1).map(render)].join(
    '\n',
  );
}

/** The first `shown` regressions, each with its inputs, both outputs, both values and rationales. */
export function formatRegressions(
  regressions: readonly RowRegression[],
  options: { shown: number; width?: number },
): string {
  if (regressions.length === 0) return 'no regressions: B is nowhere worse than A on a compared row';
  const width = options.width ?? 100;
  const shown = regressions.slice(0, Math.max(0, options.shown));
  const lines = [
    `regressions (rows where B is worse than A): ${regressions.length}` +
      (shown.length === 0
        ? ' (--show-regressions N lists them, --json has all)'
        : shown.length < regressions.length
          ? `; the first ${shown.length} (--show-regressions N for more, --json for all)`
          : ''),
  ];
  for (const r of shown) {
    lines.push(`  ${r.row_id}  ${r.metric}: A ${valueText(r.a.value)} → B ${valueText(r.b.value)}`);
    lines.push(`    inputs: ${oneLine(r.inputs, width - 12)}`);
    for (const [name, side] of [
      ['A', r.a],
      ['B', r.b],
    ] as const) {
      lines.push(`    ${name}: ${oneLine(side.outputs, width - 7)}`);
      if (side.rationale !== undefined) lines.push(`       ${oneLine(side.rationale, width - 7)}`);
    }
  }
  return lines.join('\n');
}

function valueText(value: unknown): string {
  return typeof value === 'number' ? fixed(value) : JSON.stringify(value ?? null);
}

/** A value on one line (JSON for anything but a string), cut to `max` characters. */
function oneLine(value: unknown, max: number): string {
  const text = (typeof value === 'string' ? value : (JSON.stringify(value) ?? 'null')).replace(/\s+/g, ' ');
  const limit = Math.max(max, 20);
  return text.length > limit ? `${text.slice(0, limit - 1)}…` : text;
}

function fixed(value: number, digits = 3): string {
  return Number.isFinite(value) ? value.toFixed(digits) : String(value);
}

function signed(value: number, digits = 3): string {
  const text = fixed(value, digits);
  return value >= 0 && !text.startsWith('-') ? `+${text}` : text;
}

/** A p-value in four places, small ones in exponent form. */
function pValue(p: number): string {
  if (!Number.isFinite(p)) return String(p);
  if (p !== 0 && p < 0.0001) return p.toExponential(1);
  return p.toFixed(4);
}
