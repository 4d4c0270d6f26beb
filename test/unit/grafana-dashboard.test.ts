/**
 * The dashboard that k8s/components/monitoring ships (ConfigMap judgeflow-grafana-dashboard): valid
 * JSON, every query parses as PromQL (Prometheus's own grammar), every judgeflow metric it reads is in
 * the metric contract and every metric of the contract has a panel (test/grafana/dashboard-lint.ts).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { METRICS, type MetricDefinition } from '../../src/observability/metric-names.js';
import { type Dashboard, lintDashboard, panelsOf, parsePromql } from '../grafana/dashboard-lint.js';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const dashboardFile = path.join(repo, 'k8s/components/monitoring/dashboards/judgeflow.json');
const text = readFileSync(dashboardFile, 'utf8');
// Grafana's variable syntax, spelled without a string that looks like a template placeholder.
const variable = (name: string) => `$\{${name}}`;

describe('k8s/components/monitoring/dashboards/judgeflow.json', () => {
  it('passes the lint: JSON, PromQL, the metric contract both ways', () => {
    expect(lintDashboard(text, METRICS)).toEqual([]);
  });

  it('reads Prometheus through the datasource variable and filters by the run variable', () => {
    const dashboard = JSON.parse(text) as Dashboard & {
      templating: { list: Array<{ name: string; type: string; query: unknown }> };
    };
    const variables = dashboard.templating.list;
    expect(variables.find((v) => v.name === 'datasource')).toMatchObject({
      type: 'datasource',
      query: 'prometheus',
    });
    expect(JSON.stringify(variables.find((v) => v.name === 'run')?.query)).toContain(
      'label_values(judgeflow_run_info, run)',
    );
    for (const panel of panelsOf(dashboard).filter((p) => p.type !== 'row')) {
      for (const target of panel.targets ?? []) {
        expect(target.datasource, `panel "${panel.title}"`).toEqual({
          type: 'prometheus',
          uid: variable('datasource'),
        });
        const expr = String((target as { expr: string }).expr);
        if (/judgeflow_/.test(expr)) expect(expr, `panel "${panel.title}"`).toContain('run=~"$run"');
      }
    }
  });

  it('links each run to its MLflow run through the mlflow_url label of judgeflow_run_info', () => {
    const dashboard = JSON.parse(text) as Dashboard;
    const table = panelsOf(dashboard).find((p) =>
      (p.targets ?? []).some((t) => String(t.expr).includes('judgeflow_run_info')),
    ) as unknown as {
      type: string;
      fieldConfig: { overrides: Array<{ matcher: { options: string }; properties: unknown }> };
    };
    expect(table.type).toBe('table');
    const link = table.fieldConfig.overrides.find((o) => o.matcher.options === 'mlflow_url');
    expect(JSON.stringify(link?.properties)).toContain(variable('__value.raw'));
  });
});

describe('the dashboard lint', () => {
  const contract: MetricDefinition[] = [
    { name: 'judgeflow_rows_total', type: 'counter', help: '', labels: ['run', 'state'] },
    { name: 'judgeflow_scorer_duration_seconds', type: 'histogram', help: '', labels: ['run', 'scorer'] },
  ];
  const dashboardWith = (...exprs: string[]) =>
    JSON.stringify({
      panels: [{ id: 1, title: 't', type: 'timeseries', targets: exprs.map((expr) => ({ expr })) }],
    });
  const good = [
    'sum(rate(judgeflow_rows_total{run=~"$run"}[$__rate_interval]))',
    'histogram_quantile(0.95, sum by (le) (rate(judgeflow_scorer_duration_seconds_bucket[5m])))',
  ];

  it('accepts Grafana interval variables and histogram series', () => {
    expect(lintDashboard(dashboardWith(...good), contract)).toEqual([]);
    expect(parsePromql('vllm:num_requests_waiting').metrics).toEqual(['vllm:num_requests_waiting']);
  });

  it('rejects what is not JSON', () => {
    expect(lintDashboard('{"panels": [', contract)[0]).toMatch(/^not valid JSON/);
  });

  it('rejects a query that does not parse', () => {
    const problems = lintDashboard(dashboardWith(...good, 'sum(rate(judgeflow_rows_total[5m])'), contract);
    expect(problems.join('\n')).toMatch(/syntax error/);
    expect(parsePromql('sum by (run) judgeflow_rows_total').errors).not.toEqual([]);
  });

  it('rejects a judgeflow metric that is not in the contract, and _bucket on a counter', () => {
    expect(lintDashboard(dashboardWith(...good, 'judgeflow_rows_scored_total'), contract)).toEqual([
      'panel 1 "t" target ?: judgeflow_rows_scored_total is not in METRICS (src/observability/metric-names.ts)',
    ]);
    expect(lintDashboard(dashboardWith(...good, 'judgeflow_rows_total_bucket'), contract)).toHaveLength(1);
  });

  it('rejects a contract metric that no panel shows', () => {
    expect(lintDashboard(dashboardWith(good[0] as string), contract)).toEqual([
      'judgeflow_scorer_duration_seconds (METRICS) is not shown by any panel',
    ]);
  });
});
