import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { type RunCliOptions, runCommand } from '../../../src/cli/commands/run.js';
import { captureIo, tempDir } from '../../helpers/cli.js';
import { startLatencyServer } from '../../helpers/latency-server.js';

/**
 * Budgets: a Guidelines judge on a loopback OpenAI-compatible server with a price per token; the run
 * must stop dispatching once its cost reaches --max-cost, say so in the summary, and exit 4.
 */
describe('--max-cost / --max-tokens', () => {
  async function setup(): Promise<{ dir: string; evalPath: string; close: () => Promise<void> }> {
    const server = await startLatencyServer({ latencyMs: 1 });
    const dir = await tempDir('budget');
    await writeFile(
      path.join(dir, 'rows.jsonl'),
      Array.from({ length: 40 }, (_, i) =>
        JSON.stringify({ id: `r${i}`, inputs: { q: `question ${i}` }, outputs: `answer ${i}` }),
      ).join('\n'),
    );
    const evalPath = path.join(dir, 'eval.yaml');
    await writeFile(
      evalPath,
      [
        'dataset: {path: rows.jsonl}',
        'judge:',
        `  model: {provider: openai-compatible, base_url: "${server.baseUrl}", model: pricey}`,
        '  prices: {pricey: {input_per_million: 100000, output_per_million: 100000}}',
        'scorers:',
        '  - {type: guidelines, name: polite, guidelines: "The answer is polite."}',
        'concurrency: 1',
      ].join('\n'),
    );
    return { dir, evalPath, close: () => server.close() };
  }

  const base: RunCliOptions = {
    failUnder: [],
    mlflow: false,
    executor: 'local',
    workers: 1,
    workerConcurrency: 1,
    progress: false,
  };

  it('stops dispatching at the cost limit, reports it, exits 4', async () => {
    const { dir, evalPath, close } = await setup();
    try {
      const out = path.join(dir, 'out');
      const { io, stderr } = captureIo();
      const code = await runCommand(evalPath, { ...base, out, maxCost: 0.05 }, io);
      expect(code, stderr()).toBe(4);
      const summary = JSON.parse(await readFile(path.join(out, 'summary.json'), 'utf8'));
      expect(summary.stopped_reason).toBe('max_cost');
      expect(summary.rows).toBeGreaterThan(0);
      expect(summary.rows).toBeLessThan(40);
      expect(summary.usage.cost_usd).toBeGreaterThanOrEqual(0.05);
      // with one row in flight, dispatch stops right after the row that crossed the limit
      const perRow = summary.usage.cost_usd / summary.rows;
      expect(summary.usage.cost_usd - perRow).toBeLessThan(0.05);
      expect(summary.usage.judge.calls).toBe(summary.rows);
      expect(summary.counts.polite.values).toBe(summary.rows);
    } finally {
      await close();
    }
  });

  it('stops at the token limit', async () => {
    const { dir, evalPath, close } = await setup();
    try {
      const out = path.join(dir, 'out');
      const code = await runCommand(evalPath, { ...base, out, maxTokens: 300 }, captureIo().io);
      expect(code).toBe(4);
      const summary = JSON.parse(await readFile(path.join(out, 'summary.json'), 'utf8'));
      expect(summary.stopped_reason).toBe('max_tokens');
      expect(summary.rows).toBeLessThan(40);
      expect(summary.usage.judge.total_tokens).toBeGreaterThanOrEqual(300);
    } finally {
      await close();
    }
  });
});
