import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  datasetsListCommand,
  datasetsPullCommand,
  datasetsPushCommand,
} from '../../src/cli/commands/datasets.js';
import { mlflowSyncCommand } from '../../src/cli/commands/mlflow.js';
import { promptsPushCommand } from '../../src/cli/commands/prompts.js';
import { main } from '../../src/cli/main.js';
import { MlflowClient } from '../../src/sinks/mlflow/client.js';
import { mlflowDatasetSource } from '../../src/sinks/mlflow/datasets.js';
import { loadPromptTemplate } from '../../src/sinks/mlflow/prompts.js';
import { createMlflowSink } from '../../src/sinks/mlflow/sink.js';
import { traceIdFor } from '../../src/sinks/mlflow/trace-ids.js';
import { freePort } from '../helpers/free-port.js';
import { referenceFeedbacks, referenceRows, rowResult, startInfo, summaryFor } from './mlflow-fixtures.js';

// The MLflow command handlers (datasets, prompts, sync) called in-process, and `judgeflow run`
// end to end into the real server.

const uri = inject('mlflowUri');
let dir: string;
let client: MlflowClient;

function capture() {
  const out = { stdout: '', stderr: '' };
  return {
    out,
    io: {
      stdout: { write: (text: string) => (out.stdout += text) },
      stderr: { write: (text: string) => (out.stderr += text) },
      env: { ...process.env, MLFLOW_TRACKING_URI: uri },
      cwd: dir,
    },
  };
}

const records = [
  {
    inputs: { question: 'What is MLflow?' },
    expectations: { expected_response: 'A platform' },
    tags: { level: 'easy' },
  },
  {
    inputs: { question: 'What is Ray?' },
    outputs: 'A framework',
    expectations: { expected_response: 'A framework' },
  },
  { id: 'explicit', inputs: { question: 'What is judgeflow?' } },
];

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'judgeflow-cli-'));
  client = new MlflowClient({ trackingUri: uri });
});

afterAll(async () => {
  await client.close();
  await rm(dir, { recursive: true, force: true });
});

describe('judgeflow datasets', () => {
  it('push creates the dataset, a second push merges by inputs, pull and list read it back', async () => {
    const name = `cli-ds-${randomUUID().slice(0, 8)}`;
    await writeFile(path.join(dir, 'qa.jsonl'), records.map((r) => JSON.stringify(r)).join('\n'));
    const first = capture();
    expect(await datasetsPushCommand('qa.jsonl', { name, experiment: `cli-${randomUUID()}` }, first.io)).toBe(
      0,
    );
    expect(first.out.stdout).toMatch(
      new RegExp(
        `created MLflow dataset "${name}" \\(d-[0-9a-f]+\\): 3 record\\(s\\), 3 inserted, 0 updated`,
      ),
    );
    const second = capture();
    expect(await datasetsPushCommand('qa.jsonl', { name }, second.io)).toBe(0);
    expect(second.out.stdout).toContain('updated MLflow dataset');
    expect(second.out.stdout).toContain('0 inserted, 3 updated');

    const pulled = capture();
    expect(await datasetsPullCommand({ name, out: 'pulled.jsonl' }, pulled.io)).toBe(0);
    const lines = (await readFile(path.join(dir, 'pulled.jsonl'), 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    const stripped = records.map(({ id: _id, ...rest }) => rest);
    expect(lines.sort(byQuestion)).toEqual(stripped.sort(byQuestion));
    const toStdout = capture();
    expect(await datasetsPullCommand({ name }, toStdout.io)).toBe(0);
    expect(toStdout.out.stdout.trim().split('\n')).toHaveLength(3);

    const listed = capture();
    expect(await datasetsListCommand({}, listed.io)).toBe(0);
    expect(listed.out.stdout).toContain(name);

    // The rows source the run uses for `dataset: {mlflow: name}`, read twice (scan, then run).
    const source = await mlflowDatasetSource({ client, name });
    expect(source).toMatchObject({
      kind: 'rows',
      name,
      source: `mlflow:${name}`,
      origin: { sourceType: 'mlflow_evaluation_dataset' },
    });
    expect(source.origin?.source.dataset_id).toMatch(/^d-/);
    for (let pass = 0; pass < 2; pass++) {
      const rows: unknown[] = [];
      for await (const row of source.rows()) rows.push(row);
      expect((rows as typeof stripped).sort(byQuestion)).toEqual(stripped.sort(byQuestion));
    }
  });

  it('pull of an unknown dataset says how to create it (exit 2)', async () => {
    const printed = capture();
    expect(await datasetsPullCommand({ name: `missing-${randomUUID()}` }, printed.io)).toBe(2);
    expect(printed.out.stderr).toContain('judgeflow datasets push');
  });
});

describe('judgeflow prompts push', () => {
  it('registers a template file as a version, with an alias, loadable by URI', async () => {
    const name = `cli-prompt-${randomUUID().slice(0, 8)}`;
    await writeFile(path.join(dir, 'prompt.txt'), 'Answer briefly: {{ inputs.question }}');
    const printed = capture();
    expect(await promptsPushCommand('prompt.txt', { name, alias: 'prod' }, printed.io)).toBe(0);
    expect(printed.out.stdout).toBe(`registered prompts:/${name}/1 (alias prompts:/${name}@prod)\n`);
    const loaded = await loadPromptTemplate({ client, uri: `prompts:/${name}@prod` });
    expect(loaded).toMatchObject({
      template: 'Answer briefly: {{ inputs.question }}',
      version: '1',
      type: 'text',
    });
    await writeFile(
      path.join(dir, 'chat.json'),
      JSON.stringify([{ role: 'user', content: '{{ inputs.question }}' }]),
    );
    const chat = capture();
    expect(await promptsPushCommand('chat.json', { name }, chat.io)).toBe(0);
    expect((await loadPromptTemplate({ client, uri: `prompts:/${name}/2` })).type).toBe('chat');
  });
});

describe('judgeflow mlflow sync', () => {
  it('says there is nothing to sync in a folder without a spool', async () => {
    const printed = capture();
    expect(await mlflowSyncCommand(dir, {}, printed.io)).toBe(0);
    expect(printed.out.stdout).toContain('nothing to sync');
  });

  it('sends a spool written while the server was unreachable (exit 0), and is then a no-op', async () => {
    const dead = new MlflowClient({
      trackingUri: `http://127.0.0.1:${await freePort()}`,
      retry: { maxRetries: 1, baseDelayMs: 1 },
    });
    const rows = referenceRows().map((row, i) => rowResult(row, i, referenceFeedbacks(row)));
    const info = await startInfo({ experiment: `cli-sync-${randomUUID()}`, rows });
    const sink = createMlflowSink({ client: dead, retryIntervalMs: 600_000 });
    await sink.start(info);
    for (const row of rows) sink.write(row);
    const report = await sink.finish(summaryFor(rows));
    await dead.close();
    expect(report.pendingWrites).toBe(rows.length + 2);

    const printed = capture();
    expect(await mlflowSyncCommand(info.outDir, { trackingUri: uri }, printed.io)).toBe(0);
    expect(printed.out.stdout).toMatch(
      /synced 3 row\(s\), finished the run: http:\/\/.*evaluation-runs\?selectedRunUuid=/,
    );
    expect(existsSync(path.join(info.outDir, 'mlflow-spool'))).toBe(false);
    const again = capture();
    expect(await mlflowSyncCommand(info.outDir, { trackingUri: uri }, again.io)).toBe(0);
    expect(again.out.stdout).toContain('nothing to sync');
  });
});

describe('judgeflow run into MLflow', () => {
  it('logs an eval file run and prints its evaluation URL', async () => {
    const experiment = `cli-run-${randomUUID().slice(0, 8)}`;
    const data = path.join(dir, 'run-data.jsonl');
    await writeFile(
      data,
      referenceRows()
        .map((r) => JSON.stringify(r))
        .join('\n'),
    );
    await writeFile(
      path.join(dir, 'eval.yaml'),
      [
        `experiment: ${experiment}`,
        'run_name: from-cli',
        'dataset:',
        `  path: ${data}`,
        'scorers:',
        '  - exact_match',
        '',
      ].join('\n'),
    );
    const out = path.join(dir, 'run-out');
    const code = await main([
      'node',
      'judgeflow',
      'run',
      path.join(dir, 'eval.yaml'),
      '--tracking-uri',
      uri,
      '--out',
      out,
      '--no-progress',
    ]);
    expect(code).toBe(0);
    const summary = JSON.parse(await readFile(path.join(out, 'summary.json'), 'utf8')) as {
      mlflow: { run_id: string; experiment_id: string; url: string };
    };
    expect(summary.mlflow.url).toBe(
      `${uri}/#/experiments/${summary.mlflow.experiment_id}/evaluation-runs?selectedRunUuid=${summary.mlflow.run_id}`,
    );
    const run = await client.getRun(summary.mlflow.run_id);
    expect(run.info.status).toBe('FINISHED');
    expect(run.data?.tags).toContainEqual({ key: 'mlflow.runType', value: 'genai_evaluate' });
    expect(run.data?.metrics?.map((m) => m.key)).toEqual(['exact_match/mean']);
    const trace = await client.getTraceInfo(`tr-${traceIdFor(summary.mlflow.run_id, 'q1')}`);
    expect(trace?.assessments?.map((a) => a.assessment_name).sort()).toEqual([
      'exact_match',
      'expected_response',
    ]);
  });
});

function byQuestion(a: { inputs: { question: string } }, b: { inputs: { question: string } }): number {
  return a.inputs.question.localeCompare(b.inputs.question);
}
