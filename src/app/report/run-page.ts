import path from 'node:path';
import type { MeanPoint } from './charts.js';
import { escapeHtml } from './escape.js';
import { displayValue, formatNumber } from './format.js';
import { chart, facts, link, page, section } from './page.js';
import type { ReportFeedback, RunInput } from './read-input.js';
import { rowsTableHtml, type TableCell, textCell } from './rows-table.js';
import { type RunMetric, rowStatus, valueAsNumber } from './run-metrics.js';

/** The bars of a run's means chart: one per metric with a value, with its 95% interval. */
export function runChartPoints(metrics: readonly RunMetric[], series: string): MeanPoint[] {
  return metrics.flatMap((metric) =>
    metric.mean === null
      ? []
      : [
          {
            metric: metric.name,
            series,
            mean: metric.mean,
            ...(metric.ci !== undefined ? { low: metric.ci[0], high: metric.ci[1] } : {}),
          },
        ],
  );
}

/** What a run's report is called: its MLflow run name is not in the folder, so the folder's name. */
export function runTitle(input: RunInput): string {
  const dataset = input.summary?.dataset?.name;
  const name = path.basename(path.resolve(input.dir));
  return dataset !== undefined ? `${name} — ${dataset}` : name;
}

function formatInterval(ci: readonly [number, number] | undefined): string {
  return ci === undefined ? '' : `[${formatNumber(ci[0])}, ${formatNumber(ci[1])}]`;
}

function feedbackCell(feedback: ReportFeedback | undefined): TableCell {
  if (feedback === undefined) return { html: '', sort: '' };
  if (feedback.error !== undefined) {
    return {
      html: `<span class="status-error">error</span><span class="rationale">${escapeHtml(feedback.error)}</span>`,
      sort: '',
    };
  }
  const number = valueAsNumber(feedback.value);
  const text = displayValue(feedback.value);
  const rationale =
    feedback.rationale !== undefined
      ? `<span class="rationale">${escapeHtml(feedback.rationale)}</span>`
      : '';
  const status = typeof feedback.value === 'boolean' ? ` status-${feedback.value ? 'pass' : 'fail'}` : '';
  return {
    html: `<span class="value${status}">${escapeHtml(text)}</span>${rationale}`,
    sort: number !== undefined ? String(number) : text,
  };
}

/** The report of one run's results folder. */
export function runReportHtml(
  input: RunInput,
  metrics: readonly RunMetric[],
  charts: { means: string | undefined },
): string {
  const summary = input.summary;
  const title = `judgeflow report: ${runTitle(input)}`;
  const header = `<header><h1>${escapeHtml(title)}</h1>
${facts([
  ['results folder', path.resolve(input.dir)],
  ['dataset', summary?.dataset?.name],
  ['dataset digest', summary?.dataset?.digest],
  ['rows', input.rows.length],
  ['failed rows', summary?.failed_rows],
  ['error feedbacks', summary?.error_feedbacks],
  ['status', summary?.status],
  ['started', summary?.started_at],
  ['duration (s)', summary?.duration_s],
  ['MLflow run', summary?.mlflow?.run_id],
])}
${summary?.mlflow?.url !== undefined ? `<p>${link(summary.mlflow.url, 'Open the run in MLflow')}</p>` : ''}
</header>`;

  const gates =
    summary?.gates !== undefined && summary.gates.length > 0
      ? section(
          'gates',
          'Quality gates',
          `<div class="scroll"><table class="summary"><thead><tr><th>gate</th><th>actual</th><th>outcome</th></tr></thead><tbody>${summary.gates
            .map(
              (gate) =>
                `<tr><td>${escapeHtml(gate.gate)}</td><td class="number">${gate.actual === null ? '' : escapeHtml(formatNumber(gate.actual))}</td><td class="${gate.passed ? 'status-pass' : 'status-fail'}">${gate.passed ? 'passed' : 'failed'}${gate.detail !== undefined ? ` — ${escapeHtml(gate.detail)}` : ''}</td></tr>`,
            )
            .join('')}</tbody></table></div>`,
        )
      : '';

  const metricRows = metrics
    .map(
      (metric) =>
        `<tr><td>${escapeHtml(metric.name)}</td><td>${metric.kind === 'pass_fail' ? 'pass/fail' : 'numeric'}</td><td class="number">${metric.n}</td><td class="number">${metric.errors}</td><td class="number">${metric.mean === null ? '' : escapeHtml(formatNumber(metric.mean))}</td><td class="number">${escapeHtml(formatInterval(metric.ci))}</td><td>${metric.ci === undefined ? '' : metric.ciMethod === 'wilson' ? 'Wilson' : 'normal (mean ± 1.96·sd/√n)'}</td></tr>`,
    )
    .join('');
  const metricsSection = section(
    'metrics',
    'Metrics',
    `<div class="scroll"><table class="summary"><thead><tr><th>metric</th><th>kind</th><th>values</th><th>errors</th><th>mean</th><th>95% interval</th><th>interval</th></tr></thead><tbody>${metricRows}</tbody></table></div>
${charts.means !== undefined ? chart(charts.means, 'Mean of each metric (a pass rate for pass/fail metrics) with its 95% interval; each metric has its own axis.') : ''}`,
  );

  const names = metrics.map((m) => m.name);
  const table = rowsTableHtml({
    columns: ['row', 'inputs', 'outputs', 'expectations', ...names],
    metrics: names,
    statuses: [
      ['pass', 'pass'],
      ['fail', 'fail'],
      ['error', 'could not score'],
    ],
    rows: input.rows.map((row) => {
      const outputs: TableCell =
        row.error !== undefined
          ? {
              html: `<span class="status-error">model call failed</span><span class="rationale">${escapeHtml(row.error)}</span>`,
              sort: '',
            }
          : textCell(row.outputs);
      return [
        { html: `<span class="row-id">${escapeHtml(row.id)}</span>`, sort: row.id },
        textCell(row.inputs),
        outputs,
        textCell(row.expectations),
        ...names.map((name) => feedbackCell(row.feedbacks.find((f) => f.name === name))),
      ];
    }),
  });
  const rowsSection = section('rows', 'Rows', table);

  const data = {
    kind: 'run',
    metrics: names,
    summary: summary ?? null,
    rows: input.rows.map((row) => ({
      id: row.id,
      status: Object.fromEntries(names.map((name) => [name, rowStatus(row, name)])),
    })),
  };
  return page({ title, body: `${header}\n${gates}\n${metricsSection}\n${rowsSection}`, data });
}
