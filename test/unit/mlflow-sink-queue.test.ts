import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { RunStartInfo } from '../../src/core/events.js';
import type { RowResult, RunSummary } from '../../src/core/result.js';
import { emptyUsage } from '../../src/core/usage.js';
import { MlflowClient } from '../../src/sinks/mlflow/client.js';
import { createMlflowSink } from '../../src/sinks/mlflow/sink.js';

// The sink's queueing against a fake MLflow (what a real server cannot do on demand: answer slowly,
// send 429 bursts, reject one row). The happy path against the real server is in test/integration.

interface FakeOptions {
  /** ms before each answer. */
  delayMs?: number;
  /** Answer the first N StartTraceV3 calls with 429. */
  throttleStarts?: number;
  /** Reject StartTraceV3 for this row's request id with a 400. */
  rejectRow?: string;
}

interface FakeTraceInfo {
  trace_id: string;
  tags: Record<string, string>;
  assessments?: Array<{ assessment_id?: string }>;
}
interface FakeBody {
  status?: string;
  trace?: { trace_info: FakeTraceInfo };
}

async function fakeMlflow(options: FakeOptions = {}) {
  const traces = new Map<string, FakeTraceInfo & { assessments: Array<{ assessment_id?: string }> }>();
  const counts: Record<string, number> = {};
  let inFlight = 0;
  let maxInFlight = 0;
  let throttled = options.throttleStarts ?? 0;
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => {
      body += chunk.toString();
    });
    req.on('end', () => {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      const url = new URL(req.url ?? '/', 'http://x');
      const key = `${req.method} ${url.pathname.replace(/tr-[0-9a-f]+/, '{id}')}`;
      counts[key] = (counts[key] ?? 0) + 1;
      // OTLP span batches are protobuf; every other call is JSON.
      const json = (body === '' || key === 'POST /v1/traces' ? {} : JSON.parse(body)) as FakeBody;
      const send = (status: number, payload: unknown) =>
        setTimeout(() => {
          inFlight--;
          res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(payload));
        }, options.delayMs ?? 0);
      switch (key) {
        case 'GET /api/2.0/mlflow/experiments/get-by-name':
          return send(404, { error_code: 'RESOURCE_DOES_NOT_EXIST', message: 'no' });
        case 'POST /api/2.0/mlflow/experiments/create':
          return send(200, { experiment_id: '1' });
        case 'GET /api/2.0/mlflow/experiments/get':
          return send(200, { experiment: { experiment_id: '1', name: 'e' } });
        case 'POST /api/2.0/mlflow/runs/create':
          return send(200, {
            run: {
              info: {
                run_id: 'r'.repeat(32),
                experiment_id: '1',
                artifact_uri: 'mlflow-artifacts:/1/r/artifacts',
              },
            },
          });
        case 'GET /api/2.0/mlflow/runs/get':
          return send(200, {
            run: {
              info: {
                run_id: 'r'.repeat(32),
                experiment_id: '1',
                artifact_uri: 'mlflow-artifacts:/1/r/artifacts',
              },
              data: {},
            },
          });
        case 'POST /api/2.0/mlflow/runs/update':
          return send(200, { run_info: { run_id: 'r'.repeat(32), experiment_id: '1', status: json.status } });
        case 'POST /v1/traces':
          return send(200, {});
        case 'POST /api/3.0/mlflow/traces': {
          const info = (json.trace as { trace_info: FakeTraceInfo }).trace_info;
          if (info.tags['mlflow.eval.requestId'] === options.rejectRow) {
            return send(400, { error_code: 'INVALID_PARAMETER_VALUE', message: 'bad row' });
          }
          if (throttled > 0) {
            throttled--;
            return send(429, { error_code: 'REQUEST_LIMIT_EXCEEDED', message: 'slow down' });
          }
          const existing = traces.get(info.trace_id);
          const assessments = [...(existing?.assessments ?? [])];
          for (const a of info.assessments ?? []) {
            if (!assessments.some((b) => b.assessment_id === a.assessment_id)) assessments.push(a);
          }
          const stored = {
            ...info,
            assessments,
            tags: { ...info.tags, 'mlflow.trace.spansLocation': 'TRACKING_STORE' },
          };
          traces.set(info.trace_id, stored);
          return send(200, { trace: { trace_info: stored } });
        }
        case 'GET /api/3.0/mlflow/traces/{id}': {
          const id = url.pathname.split('/').pop() ?? '';
          const stored = traces.get(id);
          return stored === undefined
            ? send(404, { error_code: 'RESOURCE_DOES_NOT_EXIST', message: 'no trace' })
            : send(200, { trace: { trace_info: stored } });
        }
        case 'POST /api/2.0/mlflow/traces/link-to-run':
        case 'POST /api/2.0/mlflow/runs/log-batch':
        case 'POST /api/2.0/mlflow/runs/log-inputs':
          return send(200, {});
        case 'GET /health':
          return send(200, 'OK');
        default:
          if (req.method === 'PUT' && url.pathname.startsWith('/api/2.0/mlflow-artifacts/artifacts/'))
            return send(200, {});
          return send(599, { message: `unexpected ${key}` });
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    uri: `http://127.0.0.1:${port}`,
    traces,
    counts,
    maxInFlight: () => maxInFlight,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

function rowResult(i: number): RowResult {
  const now = Date.now();
  return {
    id: `row-${i}`,
    index: i,
    inputs: { q: `question ${i}` },
    outputs: `answer ${i}`,
    expectations: { expected_response: `answer ${i}` },
    tags: {},
    feedbacks: [{ name: 'exact', value: true, source: { type: 'CODE', id: 'exact' } }],
    trace: {
      spans: [
        {
          spanId: 'a'.repeat(16),
          parentId: null,
          name: 'root_span',
          spanType: 'CHAIN',
          startTimeMs: now - 5,
          endTimeMs: now,
          attributes: {},
          status: { code: 'OK' },
        },
      ],
    },
    usage: emptyUsage(),
    durationMs: 5,
  };
}

async function info(rows: number): Promise<RunStartInfo> {
  return {
    runName: 'q',
    experiment: 'e',
    startedAt: new Date(),
    totalRows: rows,
    params: {},
    dataset: { name: 'd', digest: 'x', sourceType: 'code', source: {}, rows, schema: { inputs: ['q'] } },
    outDir: await mkdtemp(path.join(os.tmpdir(), 'sink-queue-')),
  };
}

const summary = (rows: number): RunSummary => ({
  rows,
  failed_rows: 0,
  error_feedbacks: 0,
  metrics: { 'exact/mean': 1 },
  counts: {},
  usage: {
    model: { input_tokens: 0, output_tokens: 0, total_tokens: 0, calls: 0 },
    judge: { input_tokens: 0, output_tokens: 0, total_tokens: 0, calls: 0 },
    cost_usd: 0,
  },
  started_at: new Date().toISOString(),
  duration_s: 1,
  status: 'FINISHED',
  dataset: { name: 'd', digest: 'x', rows },
});

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

describe('MLflow sink queue', () => {
  it('never blocks write(): beyond the in-memory bound rows go to disk, and all are written once by finish', async () => {
    const fake = await fakeMlflow({ delayMs: 20 });
    const client = new MlflowClient({ trackingUri: fake.uri, maxConcurrency: 4 });
    const start = await info(60);
    cleanups.push(async () => {
      await client.close();
      await fake.close();
      await rm(start.outDir, { recursive: true, force: true });
    });
    const sink = createMlflowSink({ client, concurrency: 2, batchSize: 4, maxQueuedRows: 5 });
    await sink.start(start);
    for (let i = 0; i < 60; i++) sink.write(rowResult(i));
    // Rows past the bound were spooled, not held in memory (the spool file appears asynchronously;
    // poll instead of sleeping a fixed time, which failed on a loaded CI machine).
    const spoolFile = path.join(start.outDir, 'mlflow-spool', 'rows.jsonl');
    for (let i = 0; i < 500 && !existsSync(spoolFile); i++)
      await new Promise((resolve) => setTimeout(resolve, 10));
    expect(existsSync(spoolFile)).toBe(true);
    const report = await sink.finish(summary(60));
    expect(report.pendingWrites).toBe(0);
    expect(fake.traces.size).toBe(60);
    for (const trace of fake.traces.values()) expect(trace.assessments).toHaveLength(2);
    expect(fake.maxInFlight()).toBeLessThanOrEqual(4);
    // Batching: far fewer OTLP requests than rows.
    expect(fake.counts['POST /v1/traces']).toBeLessThan(60);
    expect(existsSync(path.join(start.outDir, 'mlflow-spool'))).toBe(false);
  });

  it('rides out a 429 burst without losing or duplicating a row', async () => {
    const fake = await fakeMlflow({ throttleStarts: 6 });
    const client = new MlflowClient({ trackingUri: fake.uri, retry: { baseDelayMs: 1, maxDelayMs: 5 } });
    const start = await info(10);
    cleanups.push(async () => {
      await client.close();
      await fake.close();
      await rm(start.outDir, { recursive: true, force: true });
    });
    const sink = createMlflowSink({ client });
    await sink.start(start);
    for (let i = 0; i < 10; i++) sink.write(rowResult(i));
    const report = await sink.finish(summary(10));
    expect(report.pendingWrites).toBe(0);
    expect(fake.traces.size).toBe(10);
    expect(fake.counts['POST /api/3.0/mlflow/traces']).toBe(16);
  });

  it('isolates a row the server rejects: the others are written, it stays in the spool and counts as pending', async () => {
    const fake = await fakeMlflow({ rejectRow: 'row-3' });
    const client = new MlflowClient({ trackingUri: fake.uri });
    const start = await info(8);
    cleanups.push(async () => {
      await client.close();
      await fake.close();
      await rm(start.outDir, { recursive: true, force: true });
    });
    const messages: string[] = [];
    const sink = createMlflowSink({ client, batchSize: 8, log: (m) => messages.push(m) });
    await sink.start(start);
    for (let i = 0; i < 8; i++) sink.write(rowResult(i));
    const report = await sink.finish(summary(8));
    expect(fake.traces.size).toBe(7);
    expect(report.pendingWrites).toBe(1);
    expect(messages.some((m) => m.includes('rejected row row-3'))).toBe(true);
    const spooled = await readFile(path.join(start.outDir, 'mlflow-spool', 'rows.jsonl'), 'utf8');
    expect(
      spooled
        .trim()
        .split('\n')
        .map((l) => (JSON.parse(l) as { result: { id: string } }).result.id),
    ).toEqual(['row-3']);
  });
});
