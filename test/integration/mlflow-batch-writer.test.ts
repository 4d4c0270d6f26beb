import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RowResult } from '../../src/core/result.js';
import { requirePythonEnv } from '../../src/setup/python-env.js';
import {
  type BatchWriterInfo,
  probeBatchWriter,
  writeTraceBatch,
} from '../../src/sinks/mlflow/batch-writer.js';
import { MlflowClient } from '../../src/sinks/mlflow/client.js';
import { otlpRequest, otlpSpan } from '../../src/sinks/mlflow/span-encoding.js';
import { buildTraceJob, type TraceContext, type TraceJob } from '../../src/sinks/mlflow/trace-job.js';
import { referenceDataPath, referenceFeedbacks, referenceRows, rowResult } from './mlflow-fixtures.js';
import { startMlflowServer, type TestMlflowServer, testHome } from './servers/mlflow.js';

// judgeflow's own server with the batch writer plugin (`--app-name judgeflow`): detection against it
// and against the stock server, then the same rows written through the REST path (StartTraceV3 with
// assessments inline, OTLP spans, link-to-run) and through the batch writer, each into its own run,
// and both read back with Python's `mlflow` (test/python/dump_run.py, as the cross-check reads runs).

const run = promisify(execFile);
let plugin: TestMlflowServer;
let stock: TestMlflowServer;
let stockUri: string;
let client: MlflowClient;

beforeAll(async () => {
  plugin = await startMlflowServer({ extraArgs: ['--app-name', 'judgeflow'] });
  stock = await startMlflowServer({ appName: null, store: 'sqlite' });
  stockUri = stock.uri;
  client = new MlflowClient({ trackingUri: plugin.uri });
});

afterAll(async () => {
  await client?.close();
  await plugin?.stop();
  await stock?.stop();
});

interface DumpedTrace {
  trace_id: string;
  tags: Record<string, string>;
  assessments: unknown[];
  spans: Array<{ span_id: string; parent_id: string | null }>;
}

async function dumpTraces(runId: string): Promise<DumpedTrace[]> {
  const python = await requirePythonEnv(testHome(), 'mlflow');
  const script = path.join(path.dirname(referenceDataPath), 'dump_run.py');
  const { stdout } = await run(python, [script, plugin.uri, runId], {
    env: { ...process.env, MLFLOW_DISABLE_TELEMETRY: 'true' },
    maxBuffer: 64 * 1024 * 1024,
  });
  const traces = (JSON.parse(stdout) as { traces: DumpedTrace[] }).traces;
  return traces.sort((a, b) =>
    String(a.tags['mlflow.eval.requestId']).localeCompare(String(b.tags['mlflow.eval.requestId'])),
  );
}

/** The dump with the ids that differ between two runs of the same rows mapped to placeholders. */
function normalized(traces: DumpedTrace[], jobs: readonly TraceJob[], context: TraceContext): unknown {
  let text = JSON.stringify(traces);
  const replace = (from: string, to: string) => {
    text = text.split(from).join(to);
  };
  jobs.forEach((job, i) => {
    replace(job.traceId, `tr-TRACE${i}`);
    replace(job.rootSpanId, `ROOT${i}`);
  });
  replace(context.runId, 'RUN');
  replace(`/${context.experimentId}/traces/`, '/EXP/traces/');
  return JSON.parse(text);
}

/** The rows of the cross-check, some with model and judge spans, one failed. */
function rowResults(): RowResult[] {
  return referenceRows().map((row, index) =>
    rowResult(row, index, referenceFeedbacks(row), {
      children: index % 2 === 0,
      ...(index === 3 ? { error: { code: 'MODEL_ERROR', message: 'model timed out' } } : {}),
    }),
  );
}

async function newRun(label: string): Promise<TraceContext> {
  const { experiment } = await client.getOrCreateExperiment(`batch-writer-${label}-${randomUUID()}`);
  const created = await client.createRun({ experimentId: experiment.experiment_id, startTime: Date.now() });
  return {
    runId: created.info.run_id,
    experimentId: experiment.experiment_id,
    user: 'tester',
    sourceName: 'eval.yaml',
    sourceType: 'LOCAL',
  };
}

/** The REST path: the trace first with its assessments inline, the spans batched over OTLP, then the run link. */
async function writeRest(jobs: readonly TraceJob[], context: TraceContext): Promise<void> {
  for (const job of jobs) await client.startTrace({ ...job.traceInfo, assessments: job.assessments });
  const ingest = await client.logSpansOtlp(
    context.experimentId,
    otlpRequest(jobs.flatMap((job) => job.spans.map((span) => otlpSpan(job.traceIdHex, span)))),
  );
  expect(ingest).toBe('otlp');
  await client.linkTracesToRun(
    context.runId,
    jobs.map((job) => job.traceId),
  );
}

describe('batch writer detection', () => {
  it('finds the plugin on judgeflow-app server', async () => {
    const info = await probeBatchWriter(client);
    expect(info).toEqual({
      version: 1,
      mlflowVersion: '3.17.2',
      maxTracesPerRequest: 500,
      maxRequestBytes: 32 * 1024 * 1024,
    });
  });

  it('finds none on a stock server', async () => {
    const stock = new MlflowClient({ trackingUri: stockUri });
    try {
      expect(await probeBatchWriter(stock)).toBeUndefined();
    } finally {
      await stock.close();
    }
  });
});

describe('batch writer writes', () => {
  let info: BatchWriterInfo;
  const results = rowResults();

  beforeAll(async () => {
    const found = await probeBatchWriter(client);
    if (found === undefined) throw new Error('the plugin server does not announce the batch writer');
    info = found;
  });

  it('leaves what the REST path leaves, as Python reads it', async () => {
    const restContext = await newRun('rest');
    const batchContext = await newRun('batch');
    const restJobs = results.map((result) => buildTraceJob(result, restContext));
    const batchJobs = results.map((result) => buildTraceJob(result, batchContext));

    await writeRest(restJobs, restContext);
    // Small requests, so the split into several requests (several transactions) is exercised too.
    const written = await writeTraceBatch(client, batchJobs, {
      experimentId: batchContext.experimentId,
      runId: batchContext.runId,
      limits: { ...info, maxTracesPerRequest: 2 },
    });
    expect(written).toEqual({
      traces: results.length,
      created: results.length,
      merged: 0,
      requests: Math.ceil(results.length / 2),
    });

    const rest = await dumpTraces(restContext.runId);
    const batch = await dumpTraces(batchContext.runId);
    expect(batch).toHaveLength(results.length);
    expect(batch.map((t) => t.assessments.length)).toEqual(
      batchJobs
        .map((job) => ({ id: job.rowId, n: job.assessments.length }))
        .sort((a, b) => a.id.localeCompare(b.id))
        .map((x) => x.n),
    );
    expect(batch.every((t) => t.tags['mlflow.trace.spansLocation'] === 'TRACKING_STORE')).toBe(true);
    expect(batch.every((t) => t.tags['service.name'] === 'judgeflow')).toBe(true);
    expect(normalized(batch, batchJobs, batchContext)).toEqual(normalized(rest, restJobs, restContext));
  });

  it('writes a repeated batch once', async () => {
    const context = await newRun('again');
    const jobs = results.map((result) => buildTraceJob(result, context));
    const target = { experimentId: context.experimentId, runId: context.runId, limits: info };
    const first = await writeTraceBatch(client, jobs, target);
    const once = await dumpTraces(context.runId);
    const second = await writeTraceBatch(client, jobs, target);
    expect(first).toMatchObject({ created: jobs.length, merged: 0, requests: 1 });
    expect(second).toMatchObject({ created: 0, merged: jobs.length, requests: 1 });
    const twice = await dumpTraces(context.runId);
    expect(twice).toHaveLength(jobs.length);
    const byId = (traces: DumpedTrace[]) =>
      traces.map((t) => ({
        ...t,
        assessments: [...t.assessments].sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b))),
      }));
    expect(byId(twice)).toEqual(byId(once));
  });

  it('names the row behind a trace the server rejects, and writes nothing of the request', async () => {
    const context = await newRun('bad');
    const jobs = results.slice(0, 3).map((result) => buildTraceJob(result, context));
    const broken = jobs.map((job, i) =>
      i === 1 ? { ...job, assessments: job.assessments.map((a) => ({ ...a, assessment_id: '' })) } : job,
    );
    await expect(
      writeTraceBatch(client, broken, {
        experimentId: context.experimentId,
        runId: context.runId,
        limits: info,
      }),
    ).rejects.toMatchObject({
      status: 400,
      errorCode: 'INVALID_PARAMETER_VALUE',
      message: expect.stringContaining(`(traces[1] is row ${jobs[1]?.rowId}, trace ${jobs[1]?.traceId})`),
    });
    for (const job of jobs) expect(await client.getTraceInfo(job.traceId)).toBeUndefined();
  });
});
