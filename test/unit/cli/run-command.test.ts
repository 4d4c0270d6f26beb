import { existsSync, readdirSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { type RunCliOptions, runCommand } from '../../../src/cli/commands/run.js';
import { validateCommand } from '../../../src/cli/commands/validate.js';
import { captureIo, repoRoot, spawnCli, tempDir, waitForExit } from '../../helpers/cli.js';
import { startFaultServer, status } from '../../helpers/fault-server.js';
import { startLatencyServer } from '../../helpers/latency-server.js';

const basicEval = path.join(repoRoot, 'examples/basic/eval.yaml');

function options(overrides: Partial<RunCliOptions> = {}): RunCliOptions {
  return {
    failUnder: [],
    mlflow: false,
    executor: 'local',
    workers: 2,
    workerConcurrency: 16,
    progress: false,
    ...overrides,
  };
}

async function readResults(dir: string): Promise<Array<Record<string, unknown>>> {
  const text = await readFile(path.join(dir, 'results.jsonl'), 'utf8');
  return text
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

describe('judgeflow run (CLI, files only)', () => {
  it('runs examples/basic and writes results.jsonl and summary.json as the contract says', async () => {
    const out = path.join(await tempDir('basic'), 'out');
    const { io, stdout } = captureIo();
    const code = await runCommand(basicEval, options({ out }), io);
    expect(code).toBe(0);
    const results = await readResults(out);
    expect(results).toHaveLength(50);
    expect(new Set(results.map((r) => r.id)).size).toBe(50);
    const first = results.find((r) => r.id === 'qa-001')!;
    expect(first).toMatchObject({
      inputs: { question: 'What is the capital of France?' },
      outputs: 'Paris',
      expectations: { expected_response: 'Paris', expected_facts: ['Paris'] },
    });
    const feedbacks = first.feedbacks as Array<{ name: string; value: unknown; source: { type: string } }>;
    expect(feedbacks.map((f) => f.name).sort()).toEqual([
      'exact_match',
      'mentions_expected_fact',
      'short_answer',
      'similarity',
    ]);
    expect(feedbacks.find((f) => f.name === 'exact_match')).toMatchObject({
      value: true,
      source: { type: 'CODE' },
    });
    expect((first.trace as { spans: unknown[] }).spans).toHaveLength(1);

    const summary = JSON.parse(await readFile(path.join(out, 'summary.json'), 'utf8'));
    expect(summary.rows).toBe(50);
    expect(summary.failed_rows).toBe(0);
    expect(summary.status).toBe('FINISHED');
    expect(summary.dataset).toMatchObject({ name: 'basic-qa', rows: 50 });
    expect(summary.dataset.digest).toMatch(/^[0-9a-f]{32}$/);
    // every metric is the mean of the row values — recompute exact_match/mean from the results
    const exact = results.map(
      (r) =>
        (r.feedbacks as Array<{ name: string; value: boolean }>).find((f) => f.name === 'exact_match')!.value,
    );
    expect(summary.metrics['exact_match/mean']).toBeCloseTo(exact.filter(Boolean).length / 50, 12);
    expect(Object.keys(summary.metrics)).toEqual(
      expect.arrayContaining([
        'similarity/mean',
        'similarity/min',
        'similarity/median',
        'similarity/p90',
        'short_answer/mean',
      ]),
    );
    expect(summary.counts.exact_match).toEqual({ values: 50, errors: 0 });
    expect(summary.gates).toEqual([expect.objectContaining({ gate: 'similarity/mean>=0.5', passed: true })]);
    expect(stdout()).toContain('exact_match');
    expect(stdout()).toContain('results.jsonl');
  });

  it('exits 1 when a --fail-under gate is missed, with the gate in the summary', async () => {
    const out = path.join(await tempDir('gate'), 'out');
    const { io } = captureIo();
    const code = await runCommand(basicEval, options({ out, failUnder: ['exact_match/mean=0.99'] }), io);
    expect(code).toBe(1);
    const summary = JSON.parse(await readFile(path.join(out, 'summary.json'), 'utf8'));
    expect(summary.gates.find((g: { gate: string }) => g.gate.startsWith('exact_match'))).toMatchObject({
      passed: false,
    });
  });

  it('--limit and --sample/--seed select rows reproducibly', async () => {
    const dir = await tempDir('select');
    const run = async (extra: Partial<RunCliOptions>, name: string) => {
      const out = path.join(dir, name);
      expect(await runCommand(basicEval, options({ out, ...extra }), captureIo().io)).toBe(0);
      return (await readResults(out)).map((r) => r.id as string).sort();
    };
    expect(await run({ limit: 5 }, 'limit')).toEqual(['qa-001', 'qa-002', 'qa-003', 'qa-004', 'qa-005']);
    const a = await run({ sample: 7, seed: 3 }, 's1');
    const b = await run({ sample: 7, seed: 3 }, 's2');
    const c = await run({ sample: 7, seed: 4 }, 's3');
    expect(a).toHaveLength(7);
    expect(a).toEqual(b);
    expect(c).not.toEqual(a);
  });

  it('exits 2 on an invalid dataset row, names file and line, and writes nothing', async () => {
    const dir = await tempDir('bad');
    await writeFile(
      path.join(dir, 'rows.jsonl'),
      '{"inputs": {"q": "a"}, "outputs": "x"}\n{"inputs": "oops", "outputs": "y"}\n',
    );
    await writeFile(path.join(dir, 'eval.yaml'), 'dataset: {path: rows.jsonl}\nscorers: [exact_match]\n');
    const out = path.join(dir, 'out');
    const { io, stderr } = captureIo();
    const code = await runCommand(path.join(dir, 'eval.yaml'), options({ out }), io);
    expect(code).toBe(2);
    expect(stderr()).toMatch(/rows\.jsonl:.*line 2.*inputs/);
    expect(existsSync(out)).toBe(false);
  });

  it('exits 2 on an unknown scorer and on bad scorer options, naming the field', async () => {
    const dir = await tempDir('badcfg');
    await writeFile(path.join(dir, 'rows.jsonl'), '{"inputs": {"q": "a"}, "outputs": "x"}\n');
    await writeFile(path.join(dir, 'a.yaml'), 'dataset: {path: rows.jsonl}\nscorers: [exact_matsch]\n');
    await writeFile(
      path.join(dir, 'b.yaml'),
      'dataset: {path: rows.jsonl}\nscorers: [{type: length, unit: lines}]\n',
    );
    const a = captureIo();
    expect(await runCommand(path.join(dir, 'a.yaml'), options({ out: path.join(dir, 'o1') }), a.io)).toBe(2);
    expect(a.stderr()).toContain('unknown scorer type "exact_matsch"');
    const b = captureIo();
    expect(await runCommand(path.join(dir, 'b.yaml'), options({ out: path.join(dir, 'o2') }), b.io)).toBe(2);
    expect(b.stderr()).toContain('scorers[0].unit');
    expect(readdirSync(dir).sort()).toEqual(['a.yaml', 'b.yaml', 'rows.jsonl']);
  });

  it('a failing model call becomes an error on that row; the run goes on; --max-errors turns it into exit 1', async () => {
    const dir = await tempDir('model');
    // the server is up but refuses every call (a 400 is never retried)
    const server = await startFaultServer({ whenEmpty: status(400) });
    try {
      await writeFile(
        path.join(dir, 'rows.jsonl'),
        ['{"id":"a","inputs":{"question":"one"}}', '{"id":"b","inputs":{"question":"two"}}'].join('\n'),
      );
      await writeFile(
        path.join(dir, 'eval.yaml'),
        [
          'dataset: {path: rows.jsonl}',
          `model: {provider: openai-compatible, base_url: "${server.baseUrl}", model: m, max_retries: 0, timeout_s: 2}`,
          'scorers: [exact_match]',
        ].join('\n'),
      );
      const out = path.join(dir, 'out');
      const { io } = captureIo();
      expect(await runCommand(path.join(dir, 'eval.yaml'), options({ out, maxErrors: 1 }), io)).toBe(1);
      const results = await readResults(out);
      expect(results).toHaveLength(2);
      for (const r of results) {
        expect(r.error).toMatchObject({ code: expect.stringMatching(/^MODEL_/) });
        expect(r.feedbacks).toEqual([]);
      }
      const summary = JSON.parse(await readFile(path.join(out, 'summary.json'), 'utf8'));
      expect(summary.failed_rows).toBe(2);
    } finally {
      await server.close();
    }
  });

  it('a model endpoint that is unreachable at start ends the run with exit 5 before any row', async () => {
    const dir = await tempDir('unreachable');
    await writeFile(path.join(dir, 'rows.jsonl'), '{"id":"a","inputs":{"question":"one"}}\n');
    await writeFile(
      path.join(dir, 'eval.yaml'),
      [
        'dataset: {path: rows.jsonl}',
        'model: {provider: openai-compatible, base_url: "http://127.0.0.1:9/v1", model: m, max_retries: 1}',
        'scorers: [exact_match]',
      ].join('\n'),
    );
    const out = path.join(dir, 'out');
    const { io, stderr } = captureIo();
    expect(await runCommand(path.join(dir, 'eval.yaml'), options({ out }), io)).toBe(5);
    expect(stderr()).toContain('http://127.0.0.1:9/v1 is unreachable (ECONNREFUSED, 2 attempts)');
    expect(stderr()).not.toContain('    at ');
    expect(existsSync(path.join(out, 'results.jsonl'))).toBe(false);
  });

  it('calls the model under test over HTTP and scores its outputs', async () => {
    const dir = await tempDir('http');
    const server = await startLatencyServer({ latencyMs: 1 });
    try {
      await writeFile(
        path.join(dir, 'rows.jsonl'),
        Array.from({ length: 20 }, (_, i) =>
          JSON.stringify({ id: `r${i}`, inputs: { question: `q${i}` } }),
        ).join('\n'),
      );
      await writeFile(
        path.join(dir, 'eval.yaml'),
        [
          'dataset: {path: rows.jsonl}',
          `model: {provider: openai-compatible, base_url: "${server.baseUrl}", model: m, prompt: "Q: {{ inputs.question }}"}`,
          'scorers: [{type: length, name: chars}]',
          'concurrency: 4',
        ].join('\n'),
      );
      const out = path.join(dir, 'out');
      expect(await runCommand(path.join(dir, 'eval.yaml'), options({ out }), captureIo().io)).toBe(0);
      const results = await readResults(out);
      expect(results).toHaveLength(20);
      const spans = (
        results[0]!.trace as { spans: Array<{ spanType: string; attributes: Record<string, unknown> }> }
      ).spans;
      expect(
        spans.some(
          (s) => s.spanType === 'CHAT_MODEL' && s.attributes['mlflow.chat.tokenUsage'] !== undefined,
        ),
      ).toBe(true);
      const summary = JSON.parse(await readFile(path.join(out, 'summary.json'), 'utf8'));
      expect(summary.usage.model.calls).toBe(20);
      expect(summary.usage.model.total_tokens).toBeGreaterThan(0);
    } finally {
      await server.close();
    }
  });
});

describe('judgeflow validate', () => {
  it('accepts examples/basic and reports rows and digest', async () => {
    const { io, stdout } = captureIo();
    expect(await validateCommand(basicEval, io)).toBe(0);
    expect(stdout()).toMatch(/50 rows, digest [0-9a-f]{32}/);
  });
});

describe('Ctrl-C', () => {
  it('stops dispatching, keeps finished rows, writes the summary, exits 130', async () => {
    const dir = await tempDir('sigint');
    const server = await startLatencyServer({ latencyMs: 200 });
    try {
      await writeFile(
        path.join(dir, 'rows.jsonl'),
        Array.from({ length: 400 }, (_, i) =>
          JSON.stringify({ id: `r${i}`, inputs: { question: `q${i}` } }),
        ).join('\n'),
      );
      await writeFile(
        path.join(dir, 'eval.yaml'),
        [
          'dataset: {path: rows.jsonl}',
          `model: {provider: openai-compatible, base_url: "${server.baseUrl}", model: m}`,
          'scorers: [exact_match]',
          'concurrency: 4',
        ].join('\n'),
      );
      const out = path.join(dir, 'out');
      const child = spawnCli(['run', path.join(dir, 'eval.yaml'), '--no-mlflow', '--out', out]);
      const exited = waitForExit(child);
      // wait until some rows are done, then interrupt
      for (
        let i = 0;
        i < 200 &&
        !(
          existsSync(path.join(out, 'results.jsonl')) &&
          (await readFile(path.join(out, 'results.jsonl'), 'utf8')).split('\n').length > 5
        );
        i++
      ) {
        await new Promise((r) => setTimeout(r, 100));
      }
      child.kill('SIGINT');
      const { code } = await exited;
      expect(code).toBe(130);
      const results = await readResults(out);
      expect(results.length).toBeGreaterThan(0);
      expect(results.length).toBeLessThan(400);
      expect(results.every((r) => r.error === undefined)).toBe(true);
      const summary = JSON.parse(await readFile(path.join(out, 'summary.json'), 'utf8'));
      expect(summary).toMatchObject({
        status: 'KILLED',
        stopped_reason: 'interrupted',
        rows: results.length,
      });
    } finally {
      await server.close();
    }
  });
});
