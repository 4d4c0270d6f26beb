import { cp, mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { MlflowClient } from '../../src/sinks/mlflow/client.js';
import { repoRoot, spawnCli } from '../helpers/cli.js';

// `judgeflow run --metrics-port`: a real run is scraped while it runs and during the linger after it,
// and its counters match its summary.json; the MLflow run gets the progress/* metrics.
const uri = inject('mlflowUri');
const ROWS = 40;
const SCORERS = 2;
const dirs: string[] = [];

/** The parts of summary.json the counters are checked against. */
interface Summary {
  failed_rows: number;
  usage: { model: { input_tokens: number; output_tokens: number }; cost_usd: number };
  mlflow: { run_id: string };
}

afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Samples of the exposition: `name{labels} value`, labels parsed. */
function parse(text: string): { name: string; labels: Record<string, string>; value: number }[] {
  const samples = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (match === null) throw new Error(`not a sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const pair of (match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g))
      labels[pair[1] as string] = pair[2] as string;
    samples.push({ name: match[1] as string, labels, value: Number(match[3]) });
  }
  return samples;
}

function sum(samples: ReturnType<typeof parse>, name: string, where: Record<string, string> = {}): number {
  return samples
    .filter((s) => s.name === name && Object.entries(where).every(([k, v]) => s.labels[k] === v))
    .reduce((total, s) => total + s.value, 0);
}

async function scrape(url: string): Promise<ReturnType<typeof parse> | undefined> {
  try {
    const response = await fetch(url);
    return response.ok ? parse(await response.text()) : undefined;
  } catch {
    return undefined;
  }
}

describe('judgeflow run --metrics-port', () => {
  it('serves metrics during the run and after it that match summary.json, and logs progress/* to MLflow', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'jf-metrics-'));
    dirs.push(dir);
    await cp(path.join(repoRoot, 'test/fixtures/metrics'), dir, { recursive: true });
    const out = path.join(dir, 'out');
    const port = await freePort();
    const url = `http://127.0.0.1:${port}/metrics`;
    const child = spawnCli([
      'run',
      path.join(dir, 'eval.yaml'),
      '--tracking-uri',
      uri,
      '--out',
      out,
      '--no-progress',
      '--metrics-port',
      String(port),
      '--metrics-linger-s',
      '5',
    ]);
    let stderr = '';
    child.stderr?.on('data', (chunk) => {
      stderr += chunk;
    });
    let exited = false;
    const exit = new Promise<number | null>((resolve) =>
      child.on('exit', (code) => {
        exited = true;
        resolve(code);
      }),
    );

    // During the run: some rows scored, not all.
    let during: ReturnType<typeof parse> | undefined;
    while (!exited) {
      const samples = await scrape(url);
      if (samples !== undefined && sum(samples, 'judgeflow_rows_total', { state: 'scored' }) > 0) {
        during = samples;
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(during, stderr).toBeDefined();
    const duringRemaining = sum(during ?? [], 'judgeflow_rows_remaining');
    expect(duringRemaining).toBeGreaterThan(0);

    // After it (the linger): wait for summary.json, then scrape once more.
    const summaryPath = path.join(out, 'summary.json');
    let summary: Summary | undefined;
    for (let i = 0; i < 600 && summary === undefined && !exited; i++) {
      summary = await readFile(summaryPath, 'utf8').then(
        (text) => JSON.parse(text) as Summary,
        () => undefined,
      );
      if (summary === undefined) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(summary, stderr).toBeDefined();
    await new Promise((resolve) => setTimeout(resolve, 500));
    const after = await scrape(url);
    expect(after, `no scrape during the linger; stderr: ${stderr}`).toBeDefined();
    const samples = after ?? [];
    expect(await exit, stderr).not.toBeNull();

    // summary.json gets its `mlflow` section once the MLflow run is finished: read it again.
    const s = JSON.parse(await readFile(summaryPath, 'utf8')) as Summary;
    const failed = s.failed_rows;
    expect(failed).toBe(4);
    expect(sum(samples, 'judgeflow_rows_total', { state: 'dispatched' })).toBe(ROWS);
    expect(sum(samples, 'judgeflow_rows_total', { state: 'scored' })).toBe(ROWS - failed);
    expect(sum(samples, 'judgeflow_rows_total', { state: 'failed' })).toBe(failed);
    expect(sum(samples, 'judgeflow_rows_total', { state: 'written' })).toBe(ROWS);
    expect(sum(samples, 'judgeflow_rows_remaining')).toBe(0);
    expect(sum(samples, 'judgeflow_tokens_total', { role: 'model', kind: 'input' })).toBe(
      s.usage.model.input_tokens,
    );
    expect(sum(samples, 'judgeflow_tokens_total', { role: 'model', kind: 'output' })).toBe(
      s.usage.model.output_tokens,
    );
    expect(sum(samples, 'judgeflow_cost_usd_total')).toBeCloseTo(s.usage.cost_usd, 9);
    // Scorers run on rows the model answered.
    expect(sum(samples, 'judgeflow_scorer_duration_seconds_count')).toBe((ROWS - failed) * SCORERS);
    expect(sum(samples, 'judgeflow_endpoint_requests_total', { role: 'model', status: 'ok' })).toBe(
      ROWS - failed,
    );
    expect(sum(samples, 'judgeflow_endpoint_requests_total', { role: 'model' })).toBe(ROWS);
    expect(sum(samples, 'judgeflow_endpoint_request_duration_seconds_count', { role: 'model' })).toBe(ROWS);
    expect(sum(samples, 'judgeflow_mlflow_writes_total', { kind: 'run', status: 'ok' })).toBeGreaterThan(0);
    const info = samples.find((x) => x.name === 'judgeflow_run_info');
    expect(info?.labels.mlflow_run_id).toBe(s.mlflow.run_id);
    // Bounded labels: no row id anywhere.
    for (const sample of samples)
      for (const value of Object.values(sample.labels)) expect(value).not.toMatch(/row-\d{3}/);

    // The MLflow run has the progress/* curves.
    const client = new MlflowClient({ trackingUri: uri });
    try {
      const run = await client.getRun(s.mlflow.run_id);
      const metrics = new Map((run.data?.metrics ?? []).map((m) => [m.key, m.value]));
      expect(metrics.get('progress/rows_scored')).toBe(ROWS - failed);
      expect(metrics.get('progress/rows_failed')).toBe(failed);
      expect(metrics.get('progress/cost_usd')).toBeCloseTo(s.usage.cost_usd, 9);
    } finally {
      await client.close();
    }
  }, 120_000);
});
