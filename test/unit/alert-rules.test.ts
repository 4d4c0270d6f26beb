import { spawnSync } from 'node:child_process';
import { accessSync, constants, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { parse as parseYaml, stringify } from 'yaml';
import { METRICS } from '../../src/observability/metric-names.js';

/**
 * The alert rules (k8s/components/monitoring/prometheusrule.yaml): statically, that they use only the
 * metric contract's names and labels and that each has its severity, annotations and runbook entry; then
 * through the real promtool (scripts/check-alert-rules.sh: `promtool check rules` and `promtool test
 * rules` on test/monitoring/rules.test.yaml). promtool is built once by scripts/promtool.sh (the test
 * command does it first); without it those cases skip, unless JUDGEFLOW_REQUIRE_PROMTOOL=1 (CI).
 */

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const ruleFile = path.join(repo, 'k8s/components/monitoring/prometheusrule.yaml');
const testFile = path.join(repo, 'test/monitoring/rules.test.yaml');

interface AlertRule {
  alert: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}
interface PrometheusRule {
  apiVersion: string;
  kind: string;
  spec: { groups: { name: string; rules: AlertRule[] }[] };
}
interface RulesTest {
  rule_files: string[];
  tests: {
    name: string;
    alert_rule_test: { eval_time: string; alertname: string; exp_alerts?: unknown[] }[];
  }[];
}

const prometheusRule = parseYaml(readFileSync(ruleFile, 'utf8')) as PrometheusRule;
const alerts = prometheusRule.spec.groups.flatMap((group) => group.rules);
const rulesTest = parseYaml(readFileSync(testFile, 'utf8')) as RulesTest;

/** The alerts issue 15 asks for. */
const requiredAlerts = [
  'JudgeflowRunStalled',
  'JudgeflowJudgeErrorRatioHigh',
  'JudgeflowJudgeLatencyP95High',
  'JudgeflowBudget80',
  'JudgeflowBudgetExhausted',
  'JudgeflowMlflowBacklogGrowing',
  'JudgeflowWorkerRestartLoop',
  'VllmQueueSaturated',
  'MlflowServerDown',
];

const histogramSuffixes = ['_bucket', '_sum', '_count'] as const;

/** Every `judgeflow_*` series selector in a PromQL expression: the metric name and its matcher labels. */
function judgeflowSelectors(expr: string): { metric: string; labels: string[] }[] {
  const selectors: { metric: string; labels: string[] }[] = [];
  for (const match of expr.matchAll(/\b(judgeflow_[a-zA-Z0-9_]+)\s*(\{[^}]*\})?/g)) {
    const labels = [...(match[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)\s*(?:=~|!~|!=|=)/g)].map(
      (label) => label[1] as string,
    );
    selectors.push({ metric: match[1] as string, labels });
  }
  return selectors;
}

/** The contract entry behind a series name (a histogram's `_bucket`/`_sum`/`_count` series included). */
function contractOf(series: string): { labels: readonly string[]; extra: string[] } | undefined {
  const exact = METRICS.find((metric) => metric.name === series);
  if (exact) return { labels: exact.labels, extra: [] };
  for (const suffix of histogramSuffixes) {
    if (!series.endsWith(suffix)) continue;
    const base = METRICS.find(
      (metric) => metric.type === 'histogram' && metric.name === series.slice(0, -suffix.length),
    );
    if (base) return { labels: base.labels, extra: suffix === '_bucket' ? ['le'] : [] };
  }
  return undefined;
}

/** The explicit anchors (`<a id="...">`) of docs/monitoring.md, where the alerts' runbook lives. */
function docAnchors(): Set<string> {
  const text = readFileSync(path.join(repo, 'docs/monitoring.md'), 'utf8');
  return new Set([...text.matchAll(/<a id="([^"]+)"><\/a>/g)].map((match) => match[1] as string));
}

describe('alert rules: static checks', () => {
  it('is a PrometheusRule with every alert the issue asks for, each once', () => {
    expect(prometheusRule.apiVersion).toBe('monitoring.coreos.com/v1');
    expect(prometheusRule.kind).toBe('PrometheusRule');
    const names = alerts.map((rule) => rule.alert);
    expect(new Set(names).size).toBe(names.length);
    expect([...names].sort()).toEqual([...requiredAlerts].sort());
  });

  it('uses only judgeflow metrics and labels of the contract (METRICS)', () => {
    const problems: string[] = [];
    let used = 0;
    for (const rule of alerts) {
      for (const { metric, labels } of judgeflowSelectors(rule.expr)) {
        used += 1;
        const contract = contractOf(metric);
        if (!contract) {
          problems.push(`${rule.alert}: ${metric} is not in src/observability/metric-names.ts`);
          continue;
        }
        for (const label of labels)
          if (!contract.labels.includes(label) && !contract.extra.includes(label))
            problems.push(`${rule.alert}: ${metric} has no label ${label}`);
      }
    }
    expect(problems).toEqual([]);
    expect(used).toBeGreaterThanOrEqual(8);
  });

  it('finds the names a renamed metric would break', () => {
    expect(
      judgeflowSelectors(
        'sum by (le) (rate(judgeflow_endpoint_request_duration_seconds_bucket{role="judge", status!~"ok"}[5m]))',
      ),
    ).toEqual([{ metric: 'judgeflow_endpoint_request_duration_seconds_bucket', labels: ['role', 'status'] }]);
    expect(contractOf('judgeflow_endpoint_request_duration_seconds_bucket')?.extra).toEqual(['le']);
    expect(contractOf('judgeflow_rows_total_bucket')).toBeUndefined();
    expect(contractOf('judgeflow_rows_scored_total')).toBeUndefined();
  });

  it('gives every alert a severity, a summary, a description and a runbook entry that exists', () => {
    const anchors = docAnchors();
    for (const rule of alerts) {
      expect(['warning', 'critical'], rule.alert).toContain(rule.labels?.severity);
      expect(rule.annotations?.summary, rule.alert).toBeTruthy();
      expect(rule.annotations?.description, rule.alert).toBeTruthy();
      const anchor = /^docs\/monitoring\.md#([a-z0-9-]+)$/.exec(rule.annotations?.runbook_url ?? '')?.[1];
      expect(anchor, `${rule.alert}: runbook_url ${rule.annotations?.runbook_url}`).toBeDefined();
      expect(anchors.has(anchor as string), `${rule.alert}: no <a id="${anchor}"></a> in the docs`).toBe(
        true,
      );
    }
  });

  it('has promtool unit tests in which each alert both fires and stays silent', () => {
    expect(rulesTest.rule_files).toEqual(['judgeflow-alerts.rules.yaml']);
    const cases = rulesTest.tests.flatMap((test) => test.alert_rule_test);
    for (const alert of requiredAlerts) {
      const own = cases.filter((c) => c.alertname === alert);
      expect(
        own.some((c) => (c.exp_alerts ?? []).length > 0),
        `${alert}: no case where it fires`,
      ).toBe(true);
      expect(
        own.some((c) => (c.exp_alerts ?? []).length === 0),
        `${alert}: no case where it stays silent`,
      ).toBe(true);
    }
  });
});

/** The promtool binary scripts/promtool.sh caches (same path rules), or JUDGEFLOW_PROMTOOL. */
function cachedPromtool(): string | undefined {
  const candidates: string[] = [];
  if (process.env.JUDGEFLOW_PROMTOOL) candidates.push(process.env.JUDGEFLOW_PROMTOOL);
  const version = /^PROMETHEUS_MODULE_VERSION=(\S+)$/m.exec(
    readFileSync(path.join(repo, 'k8s/versions.env'), 'utf8'),
  )?.[1];
  const cache =
    process.env.JUDGEFLOW_PROMTOOL_CACHE ??
    path.join(process.env.JUDGEFLOW_CI_CACHE ?? path.join(homedir(), '.cache/judgeflow-ci'), 'promtool');
  if (version) candidates.push(path.join(cache, version, 'promtool'));
  return candidates.find((file) => {
    try {
      accessSync(file, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

const promtool = cachedPromtool();
const requirePromtool = process.env.JUDGEFLOW_REQUIRE_PROMTOOL === '1';
if (!promtool && !requirePromtool)
  console.warn(
    'alert-rules.test.ts: SKIPPING the promtool checks: promtool is not built. Run `bash scripts/promtool.sh` ' +
      '(builds it once from the Go module proxy) or set JUDGEFLOW_PROMTOOL; JUDGEFLOW_REQUIRE_PROMTOOL=1 makes this a failure.',
  );

const scratch = mkdtempSync(path.join(tmpdir(), 'judgeflow-alert-rules-test-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function checkAlertRules(...args: string[]) {
  const result = spawnSync('bash', [path.join(repo, 'scripts/check-alert-rules.sh'), ...args], {
    cwd: repo,
    encoding: 'utf8',
    env: { ...process.env, JUDGEFLOW_PROMTOOL: promtool ?? '' },
  });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

/** The PrometheusRule with one alert's rule changed, written to the scratch folder. */
function withRule(alert: string, change: (rule: AlertRule) => void): string {
  const copy = structuredClone(prometheusRule);
  const rule = copy.spec.groups.flatMap((group) => group.rules).find((r) => r.alert === alert);
  if (!rule) throw new Error(`no alert ${alert}`);
  change(rule);
  const file = path.join(scratch, `${alert}.yaml`);
  writeFileSync(file, stringify(copy));
  return file;
}

describe.skipIf(!promtool && !requirePromtool)('alert rules: promtool', () => {
  it('is built (JUDGEFLOW_REQUIRE_PROMTOOL=1 needs scripts/promtool.sh to have run)', () => {
    expect(promtool, 'promtool is not built: run `bash scripts/promtool.sh`').toBeDefined();
  });

  it('passes `promtool check rules` and every `promtool test rules` case', () => {
    const { status, output } = checkAlertRules();
    expect(output).toContain('SUCCESS: 9 rules found');
    expect(output).toMatch(/Processing test file: rules\.test\.yaml\s+SUCCESS/);
    expect(status, output).toBe(0);
  });

  it('fails the unit tests when an alert no longer fires on its condition', () => {
    const file = withRule('JudgeflowJudgeErrorRatioHigh', (rule) => {
      rule.expr = rule.expr.replace('> 0.1', '> 0.5');
    });
    const { status, output } = checkAlertRules(file);
    expect(status).not.toBe(0);
    expect(output).toContain('alertname: JudgeflowJudgeErrorRatioHigh');
    expect(output).toMatch(/FAILED/);
  });

  it('fails the unit tests when an alert fires where it must stay silent', () => {
    const file = withRule('VllmQueueSaturated', (rule) => {
      rule.for = '1m';
    });
    const { status, output } = checkAlertRules(file);
    expect(status).not.toBe(0);
    expect(output).toContain('alertname: VllmQueueSaturated');
  });

  it('fails `promtool check rules` on an expression that does not parse', () => {
    const file = withRule('JudgeflowBudget80', (rule) => {
      rule.expr = 'sum by (run) (judgeflow_cost_usd_total / ';
    });
    const { status, output } = checkAlertRules(file);
    expect(status).not.toBe(0);
    expect(output).toMatch(/FAILED/);
    expect(output).not.toContain('Processing test file');
  });
});
