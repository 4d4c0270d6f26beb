import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type RunCliOptions, runCommand } from '../../../src/cli/commands/run.js';
import type { RunSummary } from '../../../src/core/result.js';
import { captureIo, spawnCli, tempDir, waitForExit } from '../../helpers/cli.js';
import { custom, ok, startFaultServer, status } from '../../helpers/fault-server.js';
import { startLatencyServer } from '../../helpers/latency-server.js';

/** Outcomes that mean what they say: exit codes and summary.json after runs that went partly wrong. */

const base: RunCliOptions = {
  failUnder: [],
  mlflow: false,
  executor: 'local',
  workers: 2,
  workerConcurrency: 16,
  progress: false,
};

async function summaryOf(out: string): Promise<RunSummary> {
  return JSON.parse(await readFile(path.join(out, 'summary.json'), 'utf8')) as RunSummary;
}

async function resultsOf(out: string): Promise<Array<{ id: string; usage: { costUsd: number } }>> {
  const text = await readFile(path.join(out, 'results.jsonl'), 'utf8');
  return text
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l));
}

const rows = (n: number, outputs = true) =>
  Array.from({ length: n }, (_, i) =>
    JSON.stringify({
      id: `r${i}`,
      inputs: { q: `question ${i}` },
      ...(outputs ? { outputs: `answer ${i}` } : {}),
      expectations: { expected_response: `answer ${i}` },
    }),
  ).join('\n');

describe('a scorer that produced no value at all', () => {
  // A judge server that answers every call with a 500 (it is reachable, so the run's pre-flight probe
  // passes): every one of its feedbacks is an error.
  const broken = startFaultServer({ whenEmpty: status(500) });
  afterAll(async () => (await broken).close());
  const evalText = async () => [
    'dataset: {path: rows.jsonl}',
    'judge:',
    `  model: {provider: openai-compatible, base_url: "${(await broken).baseUrl}", model: gone}`,
    '  max_retries: 0',
    '  timeout_s: 2',
    'scorers:',
    '  - exact_match',
    '  - {type: guidelines, name: polite, guidelines: "The answer is polite."}',
  ];

  it('fails the run (exit 1) and says which scorer and why; the eval file or the CLI may allow it', async () => {
    const dir = await tempDir('novalues');
    await writeFile(path.join(dir, 'rows.jsonl'), rows(4));
    await writeFile(path.join(dir, 'eval.yaml'), (await evalText()).join('\n'));
    const evalPath = path.join(dir, 'eval.yaml');

    const first = captureIo();
    const out = path.join(dir, 'out');
    expect(await runCommand(evalPath, { ...base, out }, first.io)).toBe(1);
    const summary = await summaryOf(out);
    expect(summary.counts.polite).toEqual({ values: 0, errors: 4 });
    expect(summary.gates).toEqual([
      expect.objectContaining({
        gate: 'polite has values',
        passed: false,
        actual: 0,
        detail: expect.stringMatching(/every one of its 4 feedbacks is an error \(first: JUDGE_CALL_FAILED/),
      }),
    ]);
    // exact_match had values: it is not flagged
    expect(summary.gates).toHaveLength(1);
    expect(first.stderr()).toContain('polite produced no value at all');
    expect(first.stderr()).toContain('--allow-no-values polite');

    const allowedOnCli = captureIo();
    const out2 = path.join(dir, 'out2');
    expect(
      await runCommand(evalPath, { ...base, out: out2, allowNoValues: ['polite'] }, allowedOnCli.io),
    ).toBe(0);
    expect((await summaryOf(out2)).gates).toBeUndefined();

    await writeFile(evalPath, [...(await evalText()), 'allow_no_values: true'].join('\n'));
    expect(await runCommand(evalPath, { ...base, out: path.join(dir, 'out3') }, captureIo().io)).toBe(0);
  });

  it('fails the run when every row failed before scoring', async () => {
    const dir = await tempDir('allfailed');
    await writeFile(path.join(dir, 'rows.jsonl'), rows(3, false));
    await writeFile(
      path.join(dir, 'eval.yaml'),
      [
        'dataset: {path: rows.jsonl}',
        `model: {provider: openai-compatible, base_url: "${(await broken).baseUrl}", model: m, max_retries: 0, timeout_s: 2}`,
        'scorers: [exact_match]',
      ].join('\n'),
    );
    const out = path.join(dir, 'out');
    expect(await runCommand(path.join(dir, 'eval.yaml'), { ...base, out }, captureIo().io)).toBe(1);
    const summary = await summaryOf(out);
    expect(summary.failed_rows).toBe(3);
    expect(summary.gates).toEqual([
      expect.objectContaining({
        gate: 'exact_match has values',
        passed: false,
        detail: expect.stringContaining('every row failed'),
      }),
    ]);
  });
});

describe('--max-cost with many rows in flight', () => {
  it('reserves the cost of rows in flight: the overshoot stays within 5% or one row, at concurrency 8', async () => {
    const server = await startLatencyServer({ latencyMs: 30 });
    try {
      const dir = await tempDir('overshoot');
      await writeFile(path.join(dir, 'rows.jsonl'), rows(80));
      await writeFile(
        path.join(dir, 'eval.yaml'),
        [
          'dataset: {path: rows.jsonl}',
          'judge:',
          `  model: {provider: openai-compatible, base_url: "${server.baseUrl}", model: priced}`,
          '  prices: {priced: {input_per_million: 100, output_per_million: 100}}',
          'scorers:',
          '  - {type: guidelines, name: polite, guidelines: "The answer is polite."}',
          'concurrency: 8',
        ].join('\n'),
      );
      const out = path.join(dir, 'out');
      const budget = 0.4;
      const code = await runCommand(
        path.join(dir, 'eval.yaml'),
        { ...base, out, maxCost: budget },
        captureIo().io,
      );
      expect(code).toBe(4);
      const summary = await summaryOf(out);
      expect(summary.stopped_reason).toBe('max_cost');
      const perRow = (await resultsOf(out)).map((r) => r.usage.costUsd);
      const largestRow = Math.max(...perRow);
      // the budget allows several rows: the test is about what happens with 8 in flight
      expect(budget / largestRow).toBeGreaterThan(8);
      expect(summary.usage.cost_usd).toBeGreaterThanOrEqual(budget);
      const overshoot = summary.usage.cost_usd - budget;
      expect(overshoot).toBeLessThanOrEqual(Math.max(0.05 * budget, largestRow) + 1e-9);
    } finally {
      await server.close();
    }
  });
});

describe('cost and calls in summary.json', () => {
  it('prices the model under test too, per role, and --max-cost counts it', async () => {
    const server = await startLatencyServer({ latencyMs: 1 });
    try {
      const dir = await tempDir('cost');
      await writeFile(path.join(dir, 'rows.jsonl'), rows(6, false));
      const evalLines = (judgePriced: boolean) => [
        'dataset: {path: rows.jsonl}',
        `model: {provider: openai-compatible, base_url: "${server.baseUrl}", model: m, prices: {input_per_million: 1000, output_per_million: 1000}}`,
        'judge:',
        `  model: {provider: openai-compatible, base_url: "${server.baseUrl}", model: j}`,
        ...(judgePriced ? ['  prices: {j: {input_per_million: 10, output_per_million: 10}}'] : []),
        'scorers:',
        '  - {type: guidelines, name: polite, guidelines: "The answer is polite."}',
        'concurrency: 1',
      ];
      await writeFile(path.join(dir, 'eval.yaml'), evalLines(true).join('\n'));
      const out = path.join(dir, 'out');
      expect(await runCommand(path.join(dir, 'eval.yaml'), { ...base, out }, captureIo().io)).toBe(0);
      const { usage } = await summaryOf(out);
      expect(usage.model.cost_usd).toBeGreaterThan(0);
      expect(usage.judge.cost_usd).toBeGreaterThan(0);
      expect(usage.cost_usd).toBeCloseTo(usage.model.cost_usd + usage.judge.cost_usd, 6);
      // the model's price is 100× the judge's per token
      expect(usage.model.cost_usd).toBeGreaterThan(usage.judge.cost_usd);
      expect(usage.model).toMatchObject({ calls: 6, retries: 0 });
      expect(usage.judge).toMatchObject({ calls: 6, retries: 0, repairs: 0 });

      // only the model under test is priced: the budget still stops the run
      await writeFile(path.join(dir, 'eval.yaml'), evalLines(false).join('\n'));
      const perRow = usage.model.cost_usd / 6;
      const out2 = path.join(dir, 'out2');
      const code = await runCommand(
        path.join(dir, 'eval.yaml'),
        { ...base, out: out2, maxCost: perRow * 2.5 },
        captureIo().io,
      );
      expect(code).toBe(4);
      const stopped = await summaryOf(out2);
      expect(stopped.stopped_reason).toBe('max_cost');
      expect(stopped.rows).toBeLessThan(6);
      expect(stopped.usage.judge.cost_usd).toBe(0);
    } finally {
      await server.close();
    }
  });

  it('counts judge retries apart from first attempts', async () => {
    const server = await startFaultServer();
    try {
      const verdict = JSON.stringify({ rationale: 'Polite enough.', result: 'yes' });
      // each of the two rows: a 429, then the verdict
      server.enqueue(
        status(429, { retryAfterMs: 5 }),
        ok(verdict),
        status(429, { retryAfterMs: 5 }),
        ok(verdict),
      );
      const dir = await tempDir('retries');
      await writeFile(path.join(dir, 'rows.jsonl'), rows(2));
      await writeFile(
        path.join(dir, 'eval.yaml'),
        [
          'dataset: {path: rows.jsonl}',
          `judge: {model: {provider: openai-compatible, base_url: "${server.baseUrl}", model: j}}`,
          'scorers: [{type: guidelines, name: polite, guidelines: "Be polite."}]',
          'concurrency: 1',
        ].join('\n'),
      );
      const out = path.join(dir, 'out');
      expect(await runCommand(path.join(dir, 'eval.yaml'), { ...base, out }, captureIo().io)).toBe(0);
      const { usage } = await summaryOf(out);
      expect(usage.judge).toMatchObject({ calls: 2, retries: 2, repairs: 0 });
      expect(server.requests).toHaveLength(4);
    } finally {
      await server.close();
    }
  });
});

describe('the first Ctrl-C', () => {
  it('cancels a hung call, keeps the rows written so far, writes the summary and exits 130', async () => {
    // A model server that takes requests and never answers them.
    const server = await startFaultServer();
    server.enqueue(...Array.from({ length: 20 }, () => custom(() => undefined)));
    try {
      const dir = await tempDir('hang');
      // five rows with recorded outputs finish at once; the rest wait on the hung model server
      const lines = [
        ...Array.from({ length: 5 }, (_, i) =>
          JSON.stringify({ id: `done${i}`, inputs: { q: `d${i}` }, outputs: 'x' }),
        ),
        ...Array.from({ length: 5 }, (_, i) => JSON.stringify({ id: `hung${i}`, inputs: { q: `h${i}` } })),
      ];
      await writeFile(path.join(dir, 'rows.jsonl'), lines.join('\n'));
      await writeFile(
        path.join(dir, 'eval.yaml'),
        [
          'dataset: {path: rows.jsonl}',
          // long enough that only cancelling ends the calls
          `model: {provider: openai-compatible, base_url: "${server.baseUrl}", model: m, timeout_s: 600, max_retries: 0}`,
          'scorers: [exact_match]',
          'concurrency: 2',
        ].join('\n'),
      );
      const out = path.join(dir, 'out');
      const child = spawnCli([
        'run',
        path.join(dir, 'eval.yaml'),
        '--no-mlflow',
        '--no-progress',
        '--out',
        out,
      ]);
      const exited = waitForExit(child);
      for (let i = 0; i < 600 && server.requests.length < 2; i++) await new Promise((r) => setTimeout(r, 50));
      expect(server.requests.length).toBe(2);
      child.kill('SIGINT');
      // a generous guard only: without cancelling, the calls would hold the run for ten minutes
      const guard = new Promise<'hung'>((resolve) => setTimeout(() => resolve('hung'), 60_000).unref());
      const result = await Promise.race([exited, guard]);
      if (result === 'hung') child.kill('SIGKILL');
      expect(result).not.toBe('hung');
      expect((result as { code: number | null }).code).toBe(130);
      const kept = await resultsOf(out);
      expect(kept.map((r) => r.id).sort()).toEqual(['done0', 'done1', 'done2', 'done3', 'done4']);
      expect(existsSync(path.join(out, 'summary.json'))).toBe(true);
      expect(await summaryOf(out)).toMatchObject({
        status: 'KILLED',
        stopped_reason: 'interrupted',
        rows: 5,
      });
    } finally {
      await server.close();
    }
  }, 90_000);
});
