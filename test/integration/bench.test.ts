import { randomUUID } from 'node:crypto';
import { readFile, rm } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { BenchCliOptions } from '../../src/app/bench/options.js';
import type { Comparison } from '../../src/app/compare/index.js';
import { benchCommand } from '../../src/cli/commands/bench.js';
import { compareCommand } from '../../src/cli/commands/compare.js';
import { MlflowClient } from '../../src/sinks/mlflow/client.js';
import type { TraceInfo } from '../../src/sinks/mlflow/wire.js';
import { captureIo, tempDir } from '../helpers/cli.js';
import { testHome } from './servers/judge.js';

// `judgeflow bench` end to end on the real pieces: lm-eval 0.4.13 in the lmeval venv, the shared
// serve-judge over the local model (its /v1/completions gives prompt logprobs), the real MLflow server
// and the real Ray head. judgeflow's offline tasks, a few documents each (2 shared cores): a
// log-likelihood task and a generation task, unsharded, then sharded over Ray — the numbers must be the
// same, metric for metric and document for document — and the errors a user meets, each exit 2 naming
// the task and the cause.

const uri = inject('mlflowUri');
const baseUrl = inject('judgeBaseUrl');
const experiment = `bench-it-${randomUUID().slice(0, 8)}`;
const TASKS = ['judgeflow_basics_mc', 'judgeflow_arithmetic_gen'];
let dir: string;
let client: MlflowClient;

interface Recorded {
  runId: string;
  experimentId: string;
  out: string;
  metrics: Record<string, number>;
  params: Record<string, string>;
  tags: Record<string, string>;
  /** Per row id: the assessments' values by name. */
  samples: Map<string, Record<string, unknown>>;
  traces: TraceInfo[];
  seconds: number;
}
const recorded: Partial<Record<'local' | 'ray', Recorded>> = {};

function options(overrides: Partial<BenchCliOptions> = {}): BenchCliOptions {
  return {
    tasks: TASKS,
    baseUrl,
    api: 'completions',
    limit: 6,
    bootstrapIters: 1000,
    mlflow: true,
    trackingUri: uri,
    experiment,
    ...overrides,
  };
}

async function bench(name: 'local' | 'ray', overrides: Partial<BenchCliOptions>): Promise<Recorded> {
  const out = path.join(dir, name);
  const printed = captureIo({ cwd: dir, env: { JUDGEFLOW_HOME: testHome() } });
  const started = Date.now();
  const code = await benchCommand(options({ ...overrides, out, runName: name }), printed.io);
  const seconds = (Date.now() - started) / 1000;
  expect(code, printed.stderr()).toBe(0);
  const summary = JSON.parse(await readFile(path.join(out, 'summary.json'), 'utf8')) as {
    mlflow: { run_id: string; experiment_id: string };
  };
  const { run_id: runId, experiment_id: experimentId } = summary.mlflow;
  const run = await client.getRun(runId);
  const pairs = (list: Array<{ key: string; value: unknown }> | undefined) =>
    Object.fromEntries((list ?? []).map(({ key, value }) => [key, value]));
  const traces: TraceInfo[] = [];
  for await (const info of client.searchAllTraces({
    experimentIds: [experimentId],
    filter: `attributes.run_id = '${runId}'`,
  }))
    traces.push(info);
  const samples = new Map<string, Record<string, unknown>>();
  for (const trace of traces) {
    const values: Record<string, unknown> = {};
    for (const assessment of trace.assessments ?? [])
      if (assessment.feedback !== undefined) values[assessment.assessment_name] = assessment.feedback.value;
    samples.set(trace.tags?.['mlflow.eval.requestId'] ?? trace.trace_id, values);
  }
  return {
    runId,
    experimentId,
    out,
    metrics: pairs(run.data?.metrics) as Record<string, number>,
    params: pairs(run.data?.params) as Record<string, string>,
    tags: pairs(run.data?.tags) as Record<string, string>,
    samples,
    traces,
    seconds,
  };
}

beforeAll(async () => {
  dir = await tempDir('bench-it');
  client = new MlflowClient({ trackingUri: uri });
});

afterAll(async () => {
  for (const [name, run] of Object.entries(recorded))
    if (run !== undefined) process.stderr.write(`bench ${name}: ${run.seconds.toFixed(1)}s end to end\n`);
  await client?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('judgeflow bench, unsharded', () => {
  it('records task metrics, params, lm-eval files and one trace per document with its assessments', async () => {
    const run = await bench('local', {});
    recorded.local = run;
    // lm-eval's task metrics, named for MLflow
    for (const name of [
      'judgeflow_basics_mc/acc',
      'judgeflow_basics_mc/acc_norm',
      'judgeflow_arithmetic_gen/exact_match',
    ]) {
      expect(run.metrics[name], name).toBeGreaterThanOrEqual(0);
      expect(run.metrics[name], name).toBeLessThanOrEqual(1);
      expect(run.metrics[`${name}_stderr`], `${name}_stderr`).toBeGreaterThanOrEqual(0);
    }
    const results = JSON.parse(await readFile(path.join(run.out, 'lm_eval', 'results.json'), 'utf8'));
    expect(run.metrics['judgeflow_basics_mc/acc']).toBe(results.results.judgeflow_basics_mc['acc,none']);
    expect(run.params).toMatchObject({
      lm_eval_version: '0.4.13',
      api: 'completions',
      base_url: baseUrl,
      limit: '6',
      executor: 'local',
      shards: '2',
      'task_version.judgeflow_basics_mc': expect.any(String),
    });
    expect(run.tags).toMatchObject({
      'judgeflow.kind': 'benchmark',
      'judgeflow.bench.tasks': TASKS.join(','),
      'mlflow.runName': `local-${run.params.model}`,
    });
    // lm-eval's own files as artifacts
    const artifactUri = (await client.getRun(run.runId)).info.artifact_uri as string;
    const uploaded = JSON.parse(await client.downloadArtifact({ artifactUri, path: 'lm_eval/results.json' }));
    expect(uploaded.results.judgeflow_basics_mc['acc,none']).toBe(run.metrics['judgeflow_basics_mc/acc']);
    const samplesText = await client.downloadArtifact({
      artifactUri,
      path: 'lm_eval/samples_judgeflow_basics_mc.jsonl',
    });
    expect(samplesText.trim().split('\n')).toHaveLength(6);
    expect(
      await client.downloadArtifact({ artifactUri, path: 'lm_eval/configs/judgeflow_arithmetic_gen.yaml' }),
    ).toContain('output_type: generate_until');
    // one trace per document, its per-sample metrics as CODE assessments from lm_eval
    expect(run.traces).toHaveLength(12);
    expect([...run.samples.keys()].sort()).toEqual(
      TASKS.flatMap((task) => Array.from({ length: 6 }, (_, i) => `${task}/${i}`)).sort(),
    );
    const mc = run.traces.find((t) => t.tags?.['mlflow.eval.requestId'] === 'judgeflow_basics_mc/0');
    const acc = mc?.assessments?.find((a) => a.assessment_name === 'judgeflow_basics_mc/acc');
    expect(acc?.source?.source_type).toBe('CODE');
    expect(acc?.source?.source_id).toBe('lm_eval');
    expect([0, 1]).toContain(acc?.feedback?.value);
    const perSample = [...run.samples.entries()].filter(([id]) => id.startsWith('judgeflow_basics_mc/'));
    const mean =
      perSample.reduce((sum, [, v]) => sum + Number(v['judgeflow_basics_mc/acc']), 0) / perSample.length;
    expect(mean).toBeCloseTo(run.metrics['judgeflow_basics_mc/acc'] as number, 12);
    // the full trace holds the prompt, the choices and the per-choice loglikelihoods
    const trace = await client.getTrace(mc?.trace_id as string);
    const text = JSON.stringify(trace);
    expect(text).toContain('loglikelihoods');
    expect(text).toContain('Question:');
  });
});

describe('judgeflow bench on Ray', () => {
  it('--executor ray --workers 2: document-range shards, the same metrics and per-sample values', async () => {
    expect(recorded.local, 'the unsharded run').toBeDefined();
    const run = await bench('ray', { executor: 'ray', rayAddress: inject('rayAddress'), workers: 2 });
    recorded.ray = run;
    expect(Number(run.params.shards)).toBeGreaterThan(2);
    expect(run.params.executor).toBe('ray');
    const local = recorded.local as Recorded;
    const taskMetrics = (metrics: Record<string, number>) =>
      Object.fromEntries(
        Object.entries(metrics).filter(([key]) => TASKS.some((task) => key.startsWith(`${task}/`))),
      );
    expect(taskMetrics(run.metrics)).toEqual(taskMetrics(local.metrics));
    expect(Object.keys(taskMetrics(run.metrics)).length).toBeGreaterThanOrEqual(9);
    expect(Object.fromEntries(run.samples)).toEqual(Object.fromEntries(local.samples));
    const samples = (out: string, task: string) =>
      readFile(path.join(out, 'lm_eval', `samples_${task}.jsonl`), 'utf8');
    // the prompts (few-shot contexts included) and responses are the unsharded run's, byte for byte
    for (const task of TASKS) {
      const strip = (text: string) =>
        text
          .trim()
          .split('\n')
          .map((line) => {
            const { doc_id, arguments: args, resps, filtered_resps, target } = JSON.parse(line);
            return { doc_id, args, resps, filtered_resps, target };
          });
      expect(strip(await samples(run.out, task))).toEqual(strip(await samples(local.out, task)));
    }
  });

  it('judgeflow compare on the two bench runs: rows paired by task/doc, no difference', async () => {
    const local = recorded.local as Recorded;
    const ray = recorded.ray as Recorded;
    expect(ray, 'the Ray run').toBeDefined();
    const printed = captureIo({ cwd: dir, env: { JUDGEFLOW_HOME: testHome() } });
    const code = await compareCommand(
      local.runId,
      ray.runId,
      { mlflow: false, trackingUri: uri, json: true, out: path.join(dir, 'cmp'), resamples: 500 },
      printed.io,
    );
    expect(code, printed.stderr()).toBe(0);
    const comparison = JSON.parse(printed.stdout()) as Comparison;
    expect(comparison.rows).toHaveLength(12);
    expect(comparison.dataset_override).toBe(false);
    const acc = comparison.metrics.find((m) => m.name === 'judgeflow_basics_mc/acc');
    expect(acc?.diff).toBe(0);
  });
});

describe('judgeflow bench --local', () => {
  it('serves the embedded model itself and starts prompts with BOS (the same documents score differently)', async () => {
    const local = recorded.local as Recorded;
    expect(local, 'the unsharded run (against serve-judge, no BOS)').toBeDefined();
    const out = path.join(dir, 'embedded');
    const printed = captureIo({ cwd: dir, env: { JUDGEFLOW_HOME: testHome() } });
    const code = await benchCommand(
      {
        tasks: ['judgeflow_basics_mc'],
        local: true,
        api: 'completions',
        limit: 2,
        bootstrapIters: 0,
        mlflow: false,
        out,
      },
      printed.io,
    );
    expect(code, printed.stderr()).toBe(0);
    const results = JSON.parse(await readFile(path.join(out, 'lm_eval', 'results.json'), 'utf8'));
    expect(results.config.model_args.add_bos_token).toBe(true);
    expect(results.results.judgeflow_basics_mc['acc,none']).toBeGreaterThanOrEqual(0);
    const logliks = async (folder: string) =>
      (await readFile(path.join(folder, 'lm_eval', 'samples_judgeflow_basics_mc.jsonl'), 'utf8'))
        .trim()
        .split('\n')
        .slice(0, 2)
        .map((line) => JSON.parse(line).filtered_resps);
    const withBos = await logliks(out);
    const withoutBos = await logliks(local.out);
    expect(withBos).toHaveLength(2);
    expect(withBos).not.toEqual(withoutBos);
  });
});

describe('judgeflow bench errors (exit 2, naming the task and the cause)', () => {
  it('an unknown task', async () => {
    const printed = captureIo({ cwd: dir, env: { JUDGEFLOW_HOME: testHome() } });
    const code = await benchCommand(
      options({ tasks: ['judgeflow_basics_mcq'], mlflow: false, out: path.join(dir, 'unknown') }),
      printed.io,
    );
    expect(code).toBe(2);
    expect(printed.stderr()).toContain('judgeflow_basics_mcq');
    expect(printed.stderr()).toContain('judgeflow_basics_mc');
  });

  it('an endpoint nobody listens on', async () => {
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const printed = captureIo({ cwd: dir, env: { JUDGEFLOW_HOME: testHome() } });
    const code = await benchCommand(
      options({ baseUrl: `http://127.0.0.1:${port}/v1`, mlflow: false, out: path.join(dir, 'closed') }),
      printed.io,
    );
    expect(code).toBe(2);
    expect(printed.stderr()).toContain(`http://127.0.0.1:${port}/v1/models`);
    expect(printed.stderr()).toContain('judgeflow_basics_mc, judgeflow_arithmetic_gen');
  });

  it('a server without prompt logprobs, for a log-likelihood task', async () => {
    // answers /v1/models and /v1/chat/completions, 404s /v1/completions and /tokenizer_info
    const server = http.createServer((request, response) => {
      if (request.url === '/v1/models') {
        response.writeHead(200, { 'content-type': 'application/json' });
        response.end(JSON.stringify({ object: 'list', data: [{ id: 'chat-only', object: 'model' }] }));
        return;
      }
      if (request.url === '/v1/chat/completions') {
        response.writeHead(200, { 'content-type': 'application/json' });
        response.end(
          JSON.stringify({ choices: [{ index: 0, message: { role: 'assistant', content: '4' } }] }),
        );
        return;
      }
      response
        .writeHead(404, { 'content-type': 'application/json' })
        .end('{"error": {"message": "not found"}}');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const port = (server.address() as AddressInfo).port;
      const printed = captureIo({ cwd: dir, env: { JUDGEFLOW_HOME: testHome() } });
      const code = await benchCommand(
        options({ baseUrl: `http://127.0.0.1:${port}/v1`, mlflow: false, out: path.join(dir, 'nologprobs') }),
        printed.io,
      );
      expect(code).toBe(2);
      expect(printed.stderr()).toContain('judgeflow_basics_mc is a log-likelihood task');
      expect(printed.stderr()).toContain('cannot score prompts');
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
