import { randomUUID } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import type http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { runCommand } from '../../src/cli/commands/run.js';
import { MlflowClient } from '../../src/sinks/mlflow/client.js';
import { traceIdFor } from '../../src/sinks/mlflow/trace-ids.js';
import { captureIo } from '../helpers/cli.js';
import { custom, type FaultServer, type RecordedRequest, startFaultServer } from '../helpers/fault-server.js';

// No planted secret reaches any output. Every secret a run can know is planted — the model's and the
// judge's keys (api_key_env), credentials in the model's base_url (userinfo and a query key), in the
// tracking URI, the MLflow and Ray tokens, OPENAI_API_KEY — and then echoed back by the servers: the
// model repeats the Authorization header in its answer, the judge in a 400. Then the out folder,
// stdout/stderr, and the real MLflow server's params, tags, traces (spans and assessments) and artifacts
// are searched for every planted value.

const mlflowUri = inject('mlflowUri');
const planted = {
  modelKey: `model-key-${randomUUID()}`,
  judgeKey: `judge-key-${randomUUID()}`,
  baseUser: 'baseuser7',
  basePassword: `base-pass-${randomUUID().slice(0, 12)}`,
  queryKey: `query-key-${randomUUID().slice(0, 12)}`,
  trackingUser: 'trackuser7',
  trackingPassword: `track-pass-${randomUUID().slice(0, 12)}`,
  mlflowToken: `mlflow-token-${randomUUID().slice(0, 12)}`,
  rayToken: `ray-token-${randomUUID().slice(0, 12)}`,
  openaiKey: `sk-proj-${randomUUID().replaceAll('-', '')}`,
};

/** A chat completion whose text repeats what the request carried (its Authorization header, its URL). */
function echoingCompletion(request: RecordedRequest, response: http.ServerResponse): void {
  const text = `I was called with ${request.headers.authorization} at ${request.path}`;
  response.writeHead(200, { 'content-type': 'application/json' });
  response.end(
    JSON.stringify({
      id: 'chatcmpl-echo',
      object: 'chat.completion',
      created: 0,
      model: 'm',
      choices: [{ index: 0, message: { role: 'assistant', content: text }, finish_reason: 'stop' }],
      usage: { prompt_tokens: 5, completion_tokens: 5, total_tokens: 10 },
    }),
  );
}

/** A 400 whose error message repeats the Authorization header, as some gateways do. */
function echoingBadRequest(request: RecordedRequest, response: http.ServerResponse): void {
  response.writeHead(400, { 'content-type': 'application/json' });
  response.end(
    JSON.stringify({
      error: {
        message: `invalid request: Authorization: ${request.headers.authorization}; headers ${JSON.stringify(request.headers)}`,
        type: 'invalid_request_error',
      },
    }),
  );
}

let dir: string;
let model: FaultServer;
let judge: FaultServer;
let client: MlflowClient;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'judgeflow-secrets-'));
  model = await startFaultServer({ whenEmpty: custom(echoingCompletion) });
  judge = await startFaultServer({ whenEmpty: custom(echoingBadRequest) });
  client = new MlflowClient({ trackingUri: mlflowUri });
});

afterAll(async () => {
  await client.close();
  await model.close();
  await judge.close();
  await rm(dir, { recursive: true, force: true });
});

async function filesUnder(root: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(root, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) out.push(await readFile(path.join(entry.parentPath, entry.name), 'utf8'));
  }
  return out;
}

async function artifactTexts(artifactUri: string, relative = ''): Promise<Record<string, string>> {
  const texts: Record<string, string> = {};
  for (const file of await client.listArtifacts({ artifactUri, path: relative })) {
    if (file.is_dir === true) Object.assign(texts, await artifactTexts(artifactUri, file.path));
    else texts[file.path] = await client.downloadArtifact({ artifactUri, path: file.path });
  }
  return texts;
}

function leaks(text: string): string[] {
  const values = [
    ...Object.values(planted).filter((value) => !['baseuser7', 'trackuser7'].includes(value)),
    `${planted.baseUser}:${planted.basePassword}`,
    `${planted.trackingUser}:${planted.trackingPassword}`,
    Buffer.from(`${planted.trackingUser}:${planted.trackingPassword}`).toString('base64'),
  ];
  return values.filter((value) => text.includes(value));
}

describe('no planted secret reaches any output', () => {
  it('out folder, stdout/stderr, MLflow params, tags, traces and artifacts are clean', async () => {
    const experiment = `secrets-${randomUUID().slice(0, 8)}`;
    await writeFile(
      path.join(dir, 'rows.jsonl'),
      [
        '{"id":"r1","inputs":{"question":"What is 2+2?"}}',
        '{"id":"r2","inputs":{"question":"Capital of France?"}}',
      ].join('\n'),
    );
    const modelUrl = new URL(model.baseUrl);
    const baseUrl = `http://${planted.baseUser}:${planted.basePassword}@${modelUrl.host}/v1?api_key=${planted.queryKey}`;
    await writeFile(
      path.join(dir, 'eval.yaml'),
      [
        `experiment: ${experiment}`,
        'run_name: secrets',
        'dataset: {path: rows.jsonl}',
        'model:',
        '  provider: openai-compatible',
        `  base_url: "${baseUrl}"`,
        '  model: m',
        '  api_key_env: E2E_MODEL_KEY',
        '  max_retries: 0',
        'judge:',
        `  model: {provider: openai-compatible, base_url: "${judge.baseUrl}", model: j, api_key_env: E2E_JUDGE_KEY}`,
        '  max_retries: 0',
        '  max_tokens: 64',
        'scorers:',
        '  - exact_match',
        '  - {type: guidelines, name: polite, guidelines: "The answer is polite."}',
        // the judge answers 400 on purpose: its scorers have no value, which this test allows
        'allow_no_values: true',
        '',
      ].join('\n'),
    );
    const trackingUri = mlflowUri.replace(
      'http://',
      `http://${planted.trackingUser}:${planted.trackingPassword}@`,
    );
    const captured = captureIo({ cwd: dir });
    captured.io.env = {
      ...captured.io.env,
      E2E_MODEL_KEY: planted.modelKey,
      E2E_JUDGE_KEY: planted.judgeKey,
      MLFLOW_TRACKING_TOKEN: planted.mlflowToken,
      RAY_AUTH_TOKEN: planted.rayToken,
      OPENAI_API_KEY: planted.openaiKey,
    };
    const out = path.join(dir, 'out');
    const code = await runCommand(
      path.join(dir, 'eval.yaml'),
      {
        out,
        failUnder: [],
        mlflow: true,
        trackingUri,
        executor: 'local',
        workers: 1,
        workerConcurrency: 1,
        progress: true,
      },
      captured.io,
    );
    expect(code, captured.stderr()).toBe(0);

    // the servers really received the secrets, and really echoed them
    expect(model.requests.map((r) => r.headers.authorization)).toContain(`Bearer ${planted.modelKey}`);
    expect(model.requests.some((r) => r.path.includes(planted.queryKey))).toBe(true);
    expect(judge.requests.map((r) => r.headers.authorization)).toContain(`Bearer ${planted.judgeKey}`);

    const results = (await readFile(path.join(out, 'results.jsonl'), 'utf8'))
      .trim()
      .split('\n')
      .map(
        (line) =>
          JSON.parse(line) as { outputs: string; feedbacks: Array<{ name: string; error?: unknown }> },
      );
    expect(results).toHaveLength(2);
    // the echoes arrived (scrubbed): outputs from the model, error feedbacks from the judge
    expect(results[0]?.outputs).toContain('[REDACTED]');
    expect(results[0]?.feedbacks.find((f) => f.name === 'polite')?.error).toBeDefined();
    expect(JSON.stringify(results)).toContain('[REDACTED]');

    const texts: Record<string, string> = {
      stdout: captured.stdout(),
      stderr: captured.stderr(),
    };
    for (const [i, text] of (await filesUnder(out)).entries()) texts[`out file ${i}`] = text;

    const summary = JSON.parse(await readFile(path.join(out, 'summary.json'), 'utf8')) as {
      mlflow: { run_id: string; tracking_uri: string; url: string };
    };
    expect(summary.mlflow.tracking_uri).toBe(mlflowUri);
    expect(captured.stdout()).toContain(`mlflow run: ${mlflowUri}/#/experiments/`);

    const run = await client.getRun(summary.mlflow.run_id);
    texts.params = JSON.stringify(run.data?.params ?? []);
    texts.tags = JSON.stringify(run.data?.tags ?? []);
    // the config is logged, without credentials, and max_tokens / api_key_env are not hidden
    const params = Object.fromEntries((run.data?.params ?? []).map((p) => [p.key, p.value]));
    expect(params['model.api_key_env']).toBe('E2E_MODEL_KEY');
    expect(params['judge.max_tokens']).toBe('64');
    expect(params['model.base_url']).toBe(`http://[REDACTED]@${modelUrl.host}/v1?api_key=[REDACTED]`);
    for (const id of ['r1', 'r2']) {
      const trace = await client.getTrace(`tr-${traceIdFor(summary.mlflow.run_id, id)}`);
      expect(trace, id).toBeDefined();
      texts[`trace ${id}`] = JSON.stringify(trace);
    }
    const artifacts = await artifactTexts(run.info.artifact_uri ?? '');
    expect(Object.keys(artifacts).length).toBeGreaterThanOrEqual(3);
    for (const [file, text] of Object.entries(artifacts)) texts[`artifact ${file}`] = text;

    const found = Object.entries(texts)
      .map(([where, text]) => [where, leaks(text)] as const)
      .filter(([, values]) => values.length > 0);
    expect(found).toEqual([]);
  });
});
