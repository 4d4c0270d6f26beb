import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { mlflowSyncCommand } from '../../src/cli/commands/mlflow.js';
import { main } from '../../src/cli/main.js';
import type { Span } from '../../src/core/span.js';
import { requirePythonEnv } from '../../src/setup/python-env.js';
import { MlflowClient } from '../../src/sinks/mlflow/client.js';
import { otlpProtobufRequest } from '../../src/sinks/mlflow/otlp-protobuf.js';
import { otlpRequest, otlpSpan } from '../../src/sinks/mlflow/span-encoding.js';
import { isTraced, parseTracePolicy } from '../../src/sinks/mlflow/trace-policy.js';
import { repoRoot, spawnCli } from '../helpers/cli.js';
import { type LatencyServer, startLatencyServer } from '../helpers/latency-server.js';
import { testHome } from './servers/mlflow.js';

// The MLflow write path beyond the layout cross-check: the OTLP protobuf encoding, trace volume
// control with the results table, --no-wait, and completing a run whose process was SIGKILLed. Runs
// are read back with the Python `mlflow` package (load_table, search_traces), as a user reads them.

const uri = inject('mlflowUri');
const run = promisify(execFile);
let python: string;
let dir: string;
let client: MlflowClient;

interface RunResults {
  status: string;
  metrics: Record<string, number>;
  tags: Record<string, string>;
  table: { columns: string[]; request_ids: string[]; trace_ids: string[] };
  traces: Array<{ trace_id: string; request_id: string; assessments: string[]; spans: number }>;
}

async function readRun(runId: string): Promise<RunResults> {
  const { stdout } = await run(python, [path.join(repoRoot, 'test/python/read_run_results.py'), uri, runId], {
    env: { ...process.env, MLFLOW_DISABLE_TELEMETRY: 'true' },
    maxBuffer: 64 * 1024 * 1024,
  });
  return JSON.parse(stdout) as RunResults;
}

/** Rows with recorded outputs; the odd ones do not match their expected response. */
function rows(n: number) {
  return Array.from({ length: n }, (_, i) => ({
    id: `r${i}`,
    inputs: { question: `question ${i}` },
    outputs: `answer ${i}`,
    expectations: { expected_response: i % 2 === 1 ? `other ${i}` : `answer ${i}` },
  }));
}

async function evalFile(name: string, lines: string[], data: unknown[]): Promise<string> {
  const folder = await mkdtemp(path.join(dir, `${name}-`));
  await writeFile(path.join(folder, 'rows.jsonl'), data.map((r) => JSON.stringify(r)).join('\n'));
  const file = path.join(folder, 'eval.yaml');
  await writeFile(
    file,
    [`experiment: write-path-${randomUUID().slice(0, 8)}`, 'dataset: {path: rows.jsonl}', ...lines, ''].join(
      '\n',
    ),
  );
  return file;
}

function captured() {
  let stdout = '';
  let stderr = '';
  return {
    io: {
      stdout: { write: (text: string) => (stdout += text) },
      stderr: { write: (text: string) => (stderr += text) },
      env: { ...process.env },
      cwd: dir,
    },
    stdout: () => stdout,
    stderr: () => stderr,
  };
}

async function runCli(args: string[]): Promise<{ code: number; stderr: string }> {
  const errors: string[] = [];
  const write = process.stderr.write.bind(process.stderr);
  process.stderr.write = ((chunk: string | Uint8Array) => {
    errors.push(String(chunk));
    return true;
  }) as typeof process.stderr.write;
  try {
    const code = await main(['node', 'judgeflow', 'run', ...args, '--no-progress']);
    return { code, stderr: errors.join('') };
  } finally {
    process.stderr.write = write;
  }
}

interface Summary {
  rows: number;
  scoring_s: number;
  drain_s: number;
  metrics: Record<string, number>;
  mlflow: { run_id: string; experiment_id: string; pending_writes?: number };
}

const readSummary = async (out: string) =>
  JSON.parse(await readFile(path.join(out, 'summary.json'), 'utf8')) as Summary;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'judgeflow-write-path-'));
  client = new MlflowClient({ trackingUri: uri });
  python = await requirePythonEnv(testHome(), 'mlflow');
});

afterAll(async () => {
  await client.close();
  await rm(dir, { recursive: true, force: true });
});

describe('OTLP protobuf encoding', () => {
  it('says exactly what the JSON encoding says, read by the opentelemetry-proto package MLflow uses', async () => {
    const now = Date.now() + 0.123456;
    const spans: Span[] = [
      {
        spanId: '0123456789abcdef',
        parentId: null,
        name: 'predict',
        spanType: 'CHAIN',
        startTimeMs: now,
        endTimeMs: now + 1234.5,
        inputs: { question: 'Ünïcode ✓ and "quotes"', n: 3, ratio: 0.25, ok: true, none: null },
        outputs: ['a', 1, 2.5, false, { nested: { deep: [1, 2] } }],
        attributes: {
          'mlflow.chat.tokenUsage': { input_tokens: 10, output_tokens: 5, total_tokens: 15 },
          'mlflow.llm.model': 'judge-model',
          big: 2 ** 40,
          negative: -7,
        },
        status: { code: 'OK' },
        events: [{ name: 'retry', timeMs: now + 10, attributes: { attempt: 2, reason: '429' } }],
      },
      {
        spanId: 'fedcba9876543210',
        parentId: '0123456789abcdef',
        name: 'judge',
        spanType: 'LLM',
        startTimeMs: now + 1,
        endTimeMs: now + 2,
        attributes: {},
        status: { code: 'ERROR', message: 'timed out' },
      },
    ];
    const traceIdHex = 'a'.repeat(32);
    const pbFile = path.join(dir, 'request.pb');
    const jsonFile = path.join(dir, 'request.json');
    await writeFile(
      pbFile,
      otlpProtobufRequest([
        { traceIdHex, spans },
        { traceIdHex: 'b'.repeat(32), spans: [spans[1] as Span] },
      ]),
    );
    await writeFile(
      jsonFile,
      JSON.stringify(
        otlpRequest([
          ...spans.map((span) => otlpSpan(traceIdHex, span)),
          otlpSpan('b'.repeat(32), spans[1] as Span),
        ]),
      ),
    );
    const { stdout } = await run(python, [
      path.join(repoRoot, 'test/python/otlp_decode.py'),
      pbFile,
      jsonFile,
    ]);
    const decoded = JSON.parse(stdout) as { protobuf: unknown; json: unknown };
    expect(decoded.protobuf).toEqual(decoded.json);
    expect(JSON.stringify(decoded.protobuf)).toContain('Ünïcode ✓');
  });
});

describe('trace volume control (mlflow.traces)', () => {
  it('failed: only failed rows get traces; the results table holds every row; metrics count every row', async () => {
    const file = await evalFile('failed', ['scorers: [exact_match]'], rows(8));
    const out = path.join(path.dirname(file), 'out');
    const { code } = await runCli([file, '--tracking-uri', uri, '--out', out, '--mlflow-traces', 'failed']);
    expect(code).toBe(0);
    const summary = await readSummary(out);
    expect(summary.metrics['exact_match/mean']).toBe(0.5);
    expect(summary.scoring_s).toBeGreaterThan(0);
    expect(summary.drain_s).toBeGreaterThanOrEqual(0);
    const results = await readRun(summary.mlflow.run_id);
    expect(results.status).toBe('FINISHED');
    expect(results.metrics['exact_match/mean']).toBe(0.5);
    expect(results.table.request_ids.sort()).toEqual(
      rows(8)
        .map((r) => r.id)
        .sort(),
    );
    expect(results.table.columns).toContain('exact_match/value');
    const failed = ['r1', 'r3', 'r5', 'r7'];
    expect(results.traces.map((t) => t.request_id).sort()).toEqual(failed);
    for (const trace of results.traces)
      expect(trace.assessments).toEqual(['exact_match', 'expected_response']);
    expect(results.table.trace_ids.sort()).toEqual(results.traces.map((t) => t.trace_id).sort());
    expect(results.tags['judgeflow.traces']).toBe('failed');
  });

  it('sample:<fraction>: the same deterministic sample of rows gets traces; the table holds every row', async () => {
    const data = rows(20);
    const file = await evalFile('sample', ['scorers: [exact_match]', 'mlflow: {traces: "sample:0.5"}'], data);
    const out = path.join(path.dirname(file), 'out');
    expect((await runCli([file, '--tracking-uri', uri, '--out', out])).code).toBe(0);
    const summary = await readSummary(out);
    const results = await readRun(summary.mlflow.run_id);
    const policy = parseTracePolicy('sample:0.5');
    const expected = data.filter((row) => isTraced(policy, { id: row.id, feedbacks: [] })).map((r) => r.id);
    expect(expected.length).toBeGreaterThan(0);
    expect(expected.length).toBeLessThan(20);
    expect(results.traces.map((t) => t.request_id).sort()).toEqual(expected.sort());
    expect(results.table.request_ids).toHaveLength(20);
    expect(results.metrics['exact_match/mean']).toBe(0.5);
  });

  it('rejects an unknown mode and a fraction outside (0, 1] before anything is written (exit 2)', async () => {
    const file = await evalFile('bad', ['scorers: [exact_match]', 'mlflow: {traces: sometimes}'], rows(2));
    const out = path.join(path.dirname(file), 'out');
    const bad = await runCli([file, '--tracking-uri', uri, '--out', out]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('mlflow.traces: unknown value "sometimes"');
    expect(bad.stderr).toContain('sample:<fraction>');
    const fraction = await runCli([
      file,
      '--tracking-uri',
      uri,
      '--out',
      out,
      '--mlflow-traces',
      'sample:1.5',
    ]);
    expect(fraction.code).toBe(2);
    expect(fraction.stderr).toContain('--mlflow-traces: the sample fraction "1.5" is not in (0, 1]');
    expect(existsSync(out)).toBe(false);
  });
});

describe('--no-wait', () => {
  it('ends with the backlog spooled (exit 3, the sync command printed); sync then delivers the whole run', async () => {
    const data = rows(30);
    const file = await evalFile('nowait', ['scorers: [exact_match]'], data);
    const out = path.join(path.dirname(file), 'out');
    const { code, stderr } = await runCli([file, '--tracking-uri', uri, '--out', out, '--no-wait']);
    expect(code).toBe(3);
    expect(stderr).toContain(`judgeflow mlflow sync ${out}`);
    const summary = await readSummary(out);
    expect(summary.mlflow.pending_writes).toBeGreaterThan(0);
    expect(existsSync(path.join(out, 'mlflow-spool', 'state.json'))).toBe(true);
    expect((await client.getRun(summary.mlflow.run_id)).info.status).toBe('RUNNING');

    const synced = captured();
    expect(await mlflowSyncCommand(out, { trackingUri: uri }, synced.io)).toBe(0);
    const results = await readRun(summary.mlflow.run_id);
    expect(results.status).toBe('FINISHED');
    expect(results.traces).toHaveLength(30);
    expect(new Set(results.traces.map((t) => t.request_id)).size).toBe(30);
    expect(results.table.request_ids).toHaveLength(30);
  });
});

describe('a run whose process is SIGKILLed', () => {
  let latency: LatencyServer;
  beforeAll(async () => {
    latency = await startLatencyServer({ latencyMs: 250 });
  });
  afterAll(async () => {
    await latency.close();
  });

  it('stays completable: sync writes every scored row exactly once and marks the run KILLED', async () => {
    const data = Array.from({ length: 60 }, (_, i) => ({
      id: `k${i}`,
      inputs: { question: `question ${i}` },
      expectations: { expected_response: 'x' },
    }));
    const file = await evalFile(
      'killed',
      [
        'model: {provider: openai-compatible, base_url: "' + latency.baseUrl + '", model: m}',
        'scorers: [exact_match]',
        'concurrency: 2',
      ],
      data,
    );
    const out = path.join(path.dirname(file), 'out');
    const child = spawnCli(['run', file, '--tracking-uri', uri, '--out', out, '--no-progress'], {
      env: { JUDGEFLOW_HOME: testHome() },
    });
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    const resultsFile = path.join(out, 'results.jsonl');
    const lineCount = () =>
      existsSync(resultsFile) ? readFileSync(resultsFile, 'utf8').split('\n').filter(Boolean).length : 0;
    for (let i = 0; i < 600 && lineCount() < 10; i++) await new Promise((r) => setTimeout(r, 50));
    child.kill('SIGKILL');
    await exited;
    const scored = readFileSync(resultsFile, 'utf8')
      .split('\n')
      .filter(Boolean)
      .flatMap((line) => {
        try {
          return [(JSON.parse(line) as { id: string }).id];
        } catch {
          return []; // a line cut short by the kill
        }
      });
    expect(scored.length).toBeGreaterThanOrEqual(10);
    expect(scored.length).toBeLessThan(60);
    const state = JSON.parse(readFileSync(path.join(out, 'mlflow-spool', 'state.json'), 'utf8')) as {
      run_id: string;
    };
    expect((await client.getRun(state.run_id)).info.status).toBe('RUNNING');

    const synced = captured();
    expect(await mlflowSyncCommand(out, { trackingUri: uri }, synced.io)).toBe(0);
    expect(synced.stderr()).toContain('the run ends KILLED');
    const results = await readRun(state.run_id);
    expect(results.status).toBe('KILLED');
    expect(results.traces.map((t) => t.request_id).sort()).toEqual([...scored].sort());
    for (const trace of results.traces)
      expect(trace.assessments).toEqual(['exact_match', 'expected_response']);
    expect(results.metrics['exact_match/mean']).toBe(0);
    expect(results.table.request_ids.sort()).toEqual([...scored].sort());
    // A second sync has nothing left to do.
    const again = captured();
    expect(await mlflowSyncCommand(out, { trackingUri: uri }, again.io)).toBe(0);
    expect(again.stdout()).toContain('nothing to sync');
  });
});
