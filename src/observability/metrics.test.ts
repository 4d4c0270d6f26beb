import { describe, expect, it } from 'vitest';
import { emptyUsage } from '../core/usage.js';
import { METRICS } from './metric-names.js';
import { RunMetrics } from './metrics.js';

describe('RunMetrics', () => {
  it('registers every metric of the contract, and nothing else', async () => {
    const metrics = new RunMetrics({ run: 'r1' });
    const names = (await metrics.registry.getMetricsAsJSON()).map((m) => m.name).sort();
    expect(names).toEqual(METRICS.map((m) => m.name).sort());
  });

  it('counts rows, tokens and cost with bounded labels only', async () => {
    const metrics = new RunMetrics({ run: 'r1' });
    metrics.runStarted({ totalRows: 2, experiment: 'e', budgetUsd: 5 });
    metrics.rowDispatched();
    metrics.rowDispatched();
    const usage = emptyUsage();
    usage.judge = { inputTokens: 10, outputTokens: 3, totalTokens: 13 };
    usage.judgeCostUsd = 0.5;
    usage.costUsd = 0.5;
    metrics.rowFinished({ usage });
    metrics.rowFinished({ usage: emptyUsage(), error: { code: 'MODEL_ERROR', message: 'row-secret-id x' } });
    metrics.endpointRequest({ role: 'judge', endpoint: 'openai:/gpt', status: 'ok', seconds: 0.2 });
    const text = await metrics.text();
    expect(text).toContain('judgeflow_rows_total{run="r1",state="scored"} 1');
    expect(text).toContain('judgeflow_rows_total{run="r1",state="failed"} 1');
    expect(text).toContain('judgeflow_rows_remaining{run="r1"} 0');
    expect(text).toContain('judgeflow_tokens_total{run="r1",role="judge",kind="input"} 10');
    expect(text).toContain('judgeflow_cost_usd_total{run="r1",role="judge"} 0.5');
    expect(text).toContain('judgeflow_budget_usd{run="r1"} 5');
    expect(text).not.toContain('row-secret-id');
    const allowed = new Set<string>([...METRICS.flatMap((m) => m.labels), 'le']);
    for (const match of text.matchAll(/[{,]([a-z_]+)="/g)) expect(allowed.has(match[1] ?? '')).toBe(true);
    expect(metrics.snapshot().judgeLatencyP95Seconds).toBe(0.2);
  });
});
