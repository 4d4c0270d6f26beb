import type { MeanPoint } from './charts.js';
import type { Comparison, ComparisonSide, MetricComparison } from './comparison-types.js';
import { displayText, escapeHtml } from './escape.js';
import { displayValue, formatNumber } from './format.js';
import { chart, facts, link, page, section } from './page.js';
import { rowsTableHtml, type TableCell, textCell } from './rows-table.js';
import { valueAsNumber } from './run-metrics.js';

/** A paired row's standing on one metric: B better, worse or the same as A; missing on a side. */
export type PairStatus = 'better' | 'worse' | 'same' | 'missing';

/** Compares one metric's values of a pair, respecting the metric's direction. */
export function pairStatus(a: unknown, b: unknown, higherIsBetter: boolean): PairStatus {
  const x = valueAsNumber(a);
  const y = valueAsNumber(b);
  if (x === undefined || y === undefined) return 'missing';
  if (x === y) return 'same';
  return y > x === higherIsBetter ? 'better' : 'worse';
}

/** "A: label" and "B: label", what the charts and tables call the two sides. */
export function sideNames(comparison: Comparison): { a: string; b: string } {
  return { a: `A: ${comparison.a.label}`, b: `B: ${comparison.b.label}` };
}

/** Both sides' means per metric, with the Wilson interval of a pass rate. */
export function comparisonChartPoints(comparison: Comparison): MeanPoint[] {
  const names = sideNames(comparison);
  return comparison.metrics.flatMap((metric) =>
    (['a', 'b'] as const).map((side) => {
      const ci = metric[side].pass_rate_ci;
      return {
        metric: metric.name,
        series: names[side],
        mean: metric[side].mean,
        ...(ci !== undefined ? { low: ci[0], high: ci[1] } : {}),
      };
    }),
  );
}

function number(value: number | null | undefined): string {
  return value === null || value === undefined ? '' : escapeHtml(formatNumber(value));
}

function interval(ci: readonly [number, number] | undefined): string {
  return ci === undefined ? '' : ` <span class="muted">[${number(ci[0])}, ${number(ci[1])}]</span>`;
}

function pValue(p: number): string {
  return p < 0.0001 ? '&lt; 0.0001' : number(p);
}

const TEST_NAMES: Record<MetricComparison['test']['name'], string> = {
  mcnemar_exact: 'McNemar (exact)',
  mcnemar_chi2: 'McNemar (χ², continuity corrected)',
  wilcoxon: 'Wilcoxon signed-rank',
};

const VERDICT_TEXT: Record<MetricComparison['verdict'], string> = {
  better: 'B better',
  worse: 'B worse',
  no_significant_difference: 'no significant difference',
};

function sideFacts(side: ComparisonSide): string {
  return facts([
    ['label', side.label],
    ['source', side.source === 'mlflow' ? 'MLflow run' : 'results folder'],
    ['run name', side.run_name],
    ['run id', side.run_id],
    ['experiment id', side.experiment_id],
    ['folder', side.path],
    ['model id', side.model_id],
    ['dataset', side.dataset.name],
    ['dataset digest', side.dataset.digest],
    ['dataset rows', side.dataset.rows],
  ]);
}

function valueHtml(value: unknown, rationale?: string): string {
  const text = rationale !== undefined ? `<span class="rationale">${escapeHtml(rationale)}</span>` : '';
  return `<span class="value">${escapeHtml(displayValue(value))}</span>${text}`;
}

function metricsTable(comparison: Comparison): string {
  const rows = comparison.metrics
    .map(
      (m) =>
        `<tr><td>${escapeHtml(m.name)}</td><td>${m.kind === 'pass_fail' ? 'pass/fail' : 'numeric'}${m.higher_is_better ? '' : ' (lower is better)'}</td><td class="number">${m.n}</td><td class="number">${number(m.a.mean)}${interval(m.a.pass_rate_ci)}</td><td class="number">${number(m.b.mean)}${interval(m.b.pass_rate_ci)}</td><td class="number">${m.diff > 0 ? '+' : ''}${number(m.diff)}${interval(m.diff_ci)}</td><td>${escapeHtml(TEST_NAMES[m.test.name] ?? m.test.name)}</td><td class="number">${number(m.test.statistic)}</td><td class="number">${pValue(m.test.p_value)}</td><td class="number">${pValue(m.p_adjusted)}</td><td class="number">${number(m.effect_size.value)}</td><td class="number">${m.wins} / ${m.losses} / ${m.ties}</td><td class="verdict-${escapeHtml(m.verdict)}">${escapeHtml(VERDICT_TEXT[m.verdict] ?? m.verdict)}</td></tr>`,
    )
    .join('');
  const level = Math.round(comparison.confidence * 100);
  return `<div class="scroll"><table class="summary"><thead><tr><th>metric</th><th>kind</th><th>pairs</th><th>A mean</th><th>B mean</th><th>B − A [${level}% CI]</th><th>test</th><th>statistic</th><th>p</th><th>p (Holm)</th><th>Cohen's d<sub>z</sub></th><th>B wins / losses / ties</th><th>verdict (α = ${number(comparison.alpha)})</th></tr></thead><tbody>${rows}</tbody></table></div>`;
}

function regressionsSection(comparison: Comparison): string {
  const names = sideNames(comparison);
  if (comparison.regressions.length === 0) {
    return section('regressions', 'Regressions', '<p>No row scored worse on B than on A.</p>');
  }
  const articles = comparison.regressions
    .map(
      (r) => `<article class="regression">
<h3>${escapeHtml(r.row_id)} <span class="muted">— ${escapeHtml(r.metric)}</span></h3>
<h4 class="muted">inputs</h4><div class="cell">${escapeHtml(displayText(r.inputs))}</div>
${r.expectations !== undefined ? `<h4 class="muted">expectations</h4><div class="cell">${escapeHtml(displayText(r.expectations))}</div>` : ''}
<div class="sides">
<div><h4>${escapeHtml(names.a)}</h4><div class="cell">${escapeHtml(displayText(r.a.outputs))}</div><p>${escapeHtml(r.metric)}: ${valueHtml(r.a.value, r.a.rationale)}</p></div>
<div><h4>${escapeHtml(names.b)}</h4><div class="cell">${escapeHtml(displayText(r.b.outputs))}</div><p>${escapeHtml(r.metric)}: ${valueHtml(r.b.value, r.b.rationale)}</p></div>
</div>
</article>`,
    )
    .join('\n');
  return section(
    'regressions',
    `Regressions (${comparison.regressions.length})`,
    `<p class="muted">Rows where B scored worse than A, per metric.</p>\n${articles}`,
  );
}

function pairwiseSection(comparison: Comparison): string {
  const p = comparison.pairwise;
  if (p === undefined) return '';
  const rows = p.rows
    .map(
      (row) =>
        `<tr><td>${escapeHtml(row.row_id)}</td><td>${escapeHtml(row.verdict)}</td><td>${escapeHtml(row.ab)}</td><td>${escapeHtml(row.ba)}</td><td>${row.consistent ? 'yes' : '<span class="status-fail">no</span>'}</td><td><span class="rationale">${escapeHtml(row.rationale_ab ?? row.error ?? '')}</span></td><td><span class="rationale">${escapeHtml(row.rationale_ba ?? '')}</span></td></tr>`,
    )
    .join('');
  return section(
    'pairwise',
    'Pairwise judge',
    `${facts([
      ['judge', p.judge],
      ['pairs', p.pairs],
      ['A wins', p.a_wins],
      ['B wins', p.b_wins],
      ['ties', p.ties],
      ['inconsistent (flipped with order)', p.inconsistent],
      ['errors (an order without a valid verdict)', p.errors],
      ['position consistency', formatNumber(p.position_consistency)],
      ['first-position rate (0.5: no preference)', formatNumber(p.first_position_rate)],
      [
        'B win rate',
        `${formatNumber(p.b_win_rate)} [${formatNumber(p.b_win_rate_ci[0])}, ${formatNumber(p.b_win_rate_ci[1])}]`,
      ],
      ['sign test p', formatNumber(p.sign_test_p_value)],
    ])}
<div class="scroll"><table class="summary"><thead><tr><th>row</th><th>verdict</th><th>A first</th><th>B first</th><th>consistent</th><th>rationale (A first)</th><th>rationale (B first)</th></tr></thead><tbody>${rows}</tbody></table></div>`,
  );
}

function pairCell(a: unknown, b: unknown, status: PairStatus): TableCell {
  const x = valueAsNumber(a);
  const y = valueAsNumber(b);
  const arrow = status === 'missing' ? '' : ` <span class="status-${status}">${status}</span>`;
  return {
    html: `<span class="value">${escapeHtml(displayValue(a))} → ${escapeHtml(displayValue(b))}</span>${arrow}`,
    sort: x !== undefined && y !== undefined ? String(y - x) : '',
  };
}

/** The report of a comparison of two runs. */
export function comparisonReportHtml(
  comparison: Comparison,
  charts: { means: string | undefined; forest: string | undefined },
): string {
  const names = sideNames(comparison);
  const title = `judgeflow comparison: ${comparison.a.label} vs ${comparison.b.label}`;
  const warnings = [
    ...(comparison.dataset_override
      ? [
          'The two runs were made on different datasets (--allow-different-datasets); only rows with the same id are paired.',
        ]
      : []),
    ...comparison.warnings,
  ]
    .map((warning) => `<p class="warning">${escapeHtml(warning)}</p>`)
    .join('\n');
  const header = `<header><h1>${escapeHtml(title)}</h1>
${facts([
  ['created', comparison.created_at],
  ['paired rows', comparison.paired_rows],
  ['only in A', comparison.only_in_a],
  ['only in B', comparison.only_in_b],
  ['α', comparison.alpha],
  ['confidence', comparison.confidence],
  ['bootstrap resamples', comparison.resamples],
  ['seed', comparison.seed],
  ['comparison run', comparison.mlflow?.comparison_run_id],
])}
${comparison.mlflow?.url !== undefined ? `<p>${link(comparison.mlflow.url, 'Open the comparison in MLflow')}</p>` : ''}
${warnings}
<div class="side-by-side">
<div><h3>${escapeHtml(names.a)}</h3>${sideFacts(comparison.a)}</div>
<div><h3>${escapeHtml(names.b)}</h3>${sideFacts(comparison.b)}</div>
</div>
</header>`;

  const metricsSection = section(
    'metrics',
    'Metrics',
    `${metricsTable(comparison)}
${charts.means !== undefined ? chart(charts.means, 'Mean of each metric on both sides; the rule on a pass rate is its Wilson interval.') : ''}
${charts.forest !== undefined ? chart(charts.forest, `Difference B − A with its paired bootstrap ${Math.round(comparison.confidence * 100)}% interval; an interval that crosses the dashed zero line is no clear difference.`) : ''}`,
  );

  const direction = new Map(comparison.metrics.map((m) => [m.name, m.higher_is_better]));
  const metricNames = [
    ...comparison.metrics.map((m) => m.name),
    ...new Set(
      comparison.rows.flatMap((row) => [...Object.keys(row.a.values), ...Object.keys(row.b.values)]),
    ),
  ].filter((name, index, all) => all.indexOf(name) === index);
  const statuses = comparison.rows.map((row) =>
    Object.fromEntries(
      metricNames.map((name) => [
        name,
        pairStatus(row.a.values[name], row.b.values[name], direction.get(name) ?? true),
      ]),
    ),
  );
  const table = rowsTableHtml({
    columns: [
      'row',
      'inputs',
      `outputs ${names.a}`,
      `outputs ${names.b}`,
      ...metricNames.map((n) => `${n} (A → B)`),
    ],
    metrics: metricNames,
    statuses: [
      ['worse', 'B worse'],
      ['better', 'B better'],
      ['changed', 'changed'],
      ['same', 'same'],
    ],
    rows: comparison.rows.map((row, index) => [
      { html: `<span class="row-id">${escapeHtml(row.row_id)}</span>`, sort: row.row_id },
      textCell(row.inputs),
      textCell(row.a.outputs),
      textCell(row.b.outputs),
      ...metricNames.map((name) =>
        pairCell(row.a.values[name], row.b.values[name], statuses[index]?.[name] ?? 'missing'),
      ),
    ]),
  });

  const data = {
    kind: 'comparison',
    metrics: metricNames,
    a: comparison.a,
    b: comparison.b,
    summary: comparison.metrics,
    rows: comparison.rows.map((row, index) => ({ id: row.row_id, status: statuses[index] ?? {} })),
  };
  return page({
    title,
    body: `${header}\n${metricsSection}\n${regressionsSection(comparison)}\n${pairwiseSection(comparison)}\n${section('rows', 'Rows', table)}`,
    data,
  });
}
