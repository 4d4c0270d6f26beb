/**
 * The Grafana dashboard lint (test/unit/grafana-dashboard.test.ts runs it on
 * k8s/components/monitoring/dashboards/judgeflow.json):
 *  - every query of every panel, and of every query variable, parses as PromQL with Prometheus's own
 *    grammar (@prometheus-io/lezer-promql, the parser of Prometheus's UI): any error node fails it;
 *  - every `judgeflow_*` metric it reads exists in METRICS (src/observability/metric-names.ts), a
 *    histogram through its _bucket, _sum or _count series;
 *  - every metric of METRICS is read by some panel (a new metric gets a panel).
 * Grafana's interval variables ($__rate_interval, $__interval, $__range) become a duration before
 * parsing; any other `$variable` is only allowed inside a string (a label matcher's value).
 */
import { parser } from '@prometheus-io/lezer-promql';
import type { MetricDefinition } from '../../src/observability/metric-names.js';

/** A query found in the dashboard, with where it is (for the error messages). */
export interface DashboardQuery {
  where: string;
  expr: string;
}

interface Panel {
  id?: number;
  title?: string;
  type?: string;
  targets?: Array<{ expr?: unknown; refId?: string; datasource?: unknown }>;
  panels?: Panel[];
}

interface TemplateVariable {
  name?: string;
  type?: string;
  query?: unknown;
}

export interface Dashboard {
  panels?: Panel[];
  templating?: { list?: TemplateVariable[] };
}

/** Every panel, including those inside (collapsed) rows. */
export function panelsOf(dashboard: Dashboard): Panel[] {
  return (dashboard.panels ?? []).flatMap((panel) => [panel, ...(panel.panels ?? [])]);
}

/** Every PromQL query of the dashboard: panel targets and query variables. */
export function queriesOf(dashboard: Dashboard): { queries: DashboardQuery[]; problems: string[] } {
  const queries: DashboardQuery[] = [];
  const problems: string[] = [];
  for (const panel of panelsOf(dashboard)) {
    if (panel.type === 'row') continue;
    const name = `panel ${panel.id ?? '?'} "${panel.title ?? ''}"`;
    if (panel.targets === undefined || panel.targets.length === 0) problems.push(`${name}: no targets`);
    for (const target of panel.targets ?? []) {
      const where = `${name} target ${target.refId ?? '?'}`;
      if (typeof target.expr !== 'string' || target.expr.trim() === '') problems.push(`${where}: no expr`);
      else queries.push({ where, expr: target.expr });
    }
  }
  for (const variable of dashboard.templating?.list ?? []) {
    if (variable.type !== 'query') continue;
    const raw =
      typeof variable.query === 'string' ? variable.query : (variable.query as { query?: unknown })?.query;
    const where = `variable ${variable.name ?? '?'}`;
    if (typeof raw !== 'string') {
      problems.push(`${where}: no query`);
      continue;
    }
    // Grafana's Prometheus variable functions wrap a selector or an expression.
    const wrapped =
      /^\s*(?:label_values|query_result)\s*\((.*?)(?:,\s*[a-zA-Z_][a-zA-Z0-9_]*)?\s*\)\s*$/s.exec(raw);
    queries.push({ where, expr: wrapped?.[1] ?? raw });
  }
  return { queries, problems };
}

const GRAFANA_DURATIONS =
  /\$__rate_interval|\$\{__rate_interval\}|\$__interval|\$\{__interval\}|\$__range|\$\{__range\}/g;

/** Parses one query; returns its syntax errors (empty when it parses) and the metric names it reads. */
export function parsePromql(expr: string): { errors: string[]; metrics: string[] } {
  const text = expr.replace(GRAFANA_DURATIONS, '5m');
  const errors: string[] = [];
  const metrics: string[] = [];
  parser.parse(text).iterate({
    enter(node) {
      if (node.type.isError) {
        errors.push(
          `syntax error at ${node.from}: "${text.slice(Math.max(0, node.from - 20), node.to + 20)}"`,
        );
      }
      if (node.name === 'Identifier' && node.node.parent?.name === 'VectorSelector') {
        metrics.push(text.slice(node.from, node.to));
      }
      if (node.name === 'UnquotedLabelMatcher') {
        const matcher = /^__name__\s*=\s*"([^"]+)"$/.exec(text.slice(node.from, node.to));
        if (matcher?.[1] !== undefined) metrics.push(matcher[1]);
      }
    },
  });
  if (text.trim() === '') errors.push('empty query');
  return { errors, metrics };
}

const HISTOGRAM_SERIES = ['_bucket', '_sum', '_count'];

/** The METRICS entry a series name belongs to (a histogram's _bucket/_sum/_count included). */
export function definitionOf(
  series: string,
  metrics: readonly MetricDefinition[],
): MetricDefinition | undefined {
  const exact = metrics.find((metric) => metric.name === series);
  if (exact !== undefined) return exact;
  const suffix = HISTOGRAM_SERIES.find((s) => series.endsWith(s));
  if (suffix === undefined) return undefined;
  const base = series.slice(0, -suffix.length);
  return metrics.find((metric) => metric.name === base && metric.type === 'histogram');
}

/** Runs the whole lint; an empty list means the dashboard passes. */
export function lintDashboard(text: string, metrics: readonly MetricDefinition[]): string[] {
  let dashboard: Dashboard;
  try {
    dashboard = JSON.parse(text) as Dashboard;
  } catch (error) {
    return [`not valid JSON: ${(error as Error).message}`];
  }
  const { queries, problems } = queriesOf(dashboard);
  const used = new Set<string>();
  for (const query of queries) {
    const { errors, metrics: names } = parsePromql(query.expr);
    for (const error of errors) problems.push(`${query.where}: ${error} in ${query.expr}`);
    for (const name of names.filter((n) => n.startsWith('judgeflow_'))) {
      const definition = definitionOf(name, metrics);
      if (definition === undefined)
        problems.push(`${query.where}: ${name} is not in METRICS (src/observability/metric-names.ts)`);
      else used.add(definition.name);
    }
  }
  for (const metric of metrics) {
    if (!used.has(metric.name)) problems.push(`${metric.name} (METRICS) is not shown by any panel`);
  }
  return problems;
}
