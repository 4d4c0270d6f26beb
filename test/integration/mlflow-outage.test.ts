import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { cp, rm } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RowResult } from '../../src/core/result.js';
import { MlflowClient } from '../../src/sinks/mlflow/client.js';
import { RunWriter } from '../../src/sinks/mlflow/run-writer.js';
import { createMlflowSink } from '../../src/sinks/mlflow/sink.js';
import { otlpRequest, otlpSpan } from '../../src/sinks/mlflow/span-encoding.js';
import type { SpoolState } from '../../src/sinks/mlflow/spool.js';
import { syncSpool } from '../../src/sinks/mlflow/sync.js';
import { traceIdFor } from '../../src/sinks/mlflow/trace-ids.js';
import { buildTraceJob } from '../../src/sinks/mlflow/trace-job.js';
import type { TraceInfo } from '../../src/sinks/mlflow/wire.js';
import { referenceFeedbacks, rowResult, startInfo, summaryFor } from './mlflow-fixtures.js';
import { startMlflowServer, type TestMlflowServer } from './servers/mlflow.js';

// Outage: a real server of our own is stopped mid-run and restarted. Nothing may be lost and nothing
// duplicated: every row ends as exactly one trace with exactly its assessments.

let server: TestMlflowServer;
let client: MlflowClient;
const retry = { maxRetries: 2, baseDelayMs: 50, maxTotalWaitMs: 1000 };

function rows(prefix: string, count: number, offset = 0): RowResult[] {
  return Array.from({ length: count }, (_, i) => {
    const n = i + offset;
    const row = {
      id: `${prefix}-${n}`,
      inputs: { question: `question ${n}?` },
      outputs: `answer ${n}`,
      expectations: { expected_response: `answer ${n}` },
      tags: { topic: 'outage' },
    };
    return rowResult(row, n, referenceFeedbacks(row));
  });
}

async function restart(): Promise<void> {
  server = await startMlflowServer({ dir: server.dir, port: server.port, keepData: true });
}

async function runTraces(experimentId: string, runId: string): Promise<TraceInfo[]> {
  const out: TraceInfo[] = [];
  for await (const t of client.searchAllTraces({
    experimentIds: [experimentId],
    filter: `attributes.run_id = '${runId}'`,
  })) {
    out.push(t);
  }
  return out;
}

/** Exactly one trace per row, each with exactly its expectations and feedbacks. */
function expectExactly(traces: TraceInfo[], runId: string, expected: RowResult[]): void {
  expect(traces).toHaveLength(expected.length);
  const byId = new Map(traces.map((t) => [t.trace_id, t]));
  for (const result of expected) {
    const trace = byId.get(`tr-${traceIdFor(runId, result.id)}`);
    expect(trace, result.id).toBeDefined();
    const names = (trace?.assessments ?? []).map((a) => a.assessment_name).sort();
    const wanted = [...Object.keys(result.expectations), ...result.feedbacks.map((f) => f.name)].sort();
    expect(names, result.id).toEqual(wanted);
  }
}

async function waitFor(check: () => Promise<boolean>, log: string[] = [], timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`timed out waiting; sink log:\n${log.join('\n')}`);
}

async function metricHistoryLength(runId: string, key: string): Promise<number> {
  const out = (await client.http.call({
    method: 'GET',
    path: '/api/2.0/mlflow/metrics/get-history',
    query: { run_id: runId, metric_key: key },
    idempotent: true,
  })) as { metrics?: unknown[] };
  return out.metrics?.length ?? 0;
}

beforeAll(async () => {
  server = await startMlflowServer({ keepData: true });
  client = new MlflowClient({ trackingUri: server.uri, retry, timeoutMs: 60_000 });
});

afterAll(async () => {
  await client.close();
  await server.cleanup();
});

describe('MLflow outage', () => {
  it('stop mid-run, restart, sync: nothing lost, nothing duplicated; replaying the spool again changes nothing', async () => {
    const first = rows('a', 4);
    const second = rows('a', 4, 4);
    const all = [...first, ...second];
    const info = await startInfo({ experiment: `outage-${randomUUID()}`, rows: all });
    const messages: string[] = [];
    const sink = createMlflowSink({ client, retryIntervalMs: 600_000, log: (m) => messages.push(m) });
    await sink.start(info);
    for (const result of first) sink.write(result);
    const { experiment } = await client.getOrCreateExperiment(info.experiment);
    const runs = await client.searchRuns({ experimentIds: [experiment.experiment_id] });
    const runId = runs.runs[0]?.info.run_id ?? '';
    await waitFor(
      async () => (await runTraces(experiment.experiment_id, runId)).length === first.length,
      messages,
    );

    await server.stop();
    for (const result of second) sink.write(result);
    const report = await sink.finish(summaryFor(all));
    expect(report.pendingWrites).toBe(second.length + 1); // the rows and the run's finish
    expect(report.summaryPatch?.mlflow?.pending_writes).toBe(second.length + 1);
    expect(messages.some((m) => m.includes('judgeflow mlflow sync'))).toBe(true);
    const spoolDir = path.join(info.outDir, 'mlflow-spool');
    expect(existsSync(path.join(spoolDir, 'rows.jsonl'))).toBe(true);
    const copy = `${spoolDir}-copy`;
    await cp(spoolDir, copy, { recursive: true });

    await restart();
    const synced = await syncSpool({ outDir: info.outDir, client });
    expect(synced).toMatchObject({ rowsWritten: second.length, finished: true, remaining: 0, runId });
    expect(existsSync(spoolDir)).toBe(false);
    expectExactly(await runTraces(experiment.experiment_id, runId), runId, all);
    const finished = await client.getRun(runId);
    expect(finished.info.status).toBe('FINISHED');
    expect(await metricHistoryLength(runId, 'exact_match/mean')).toBe(1);

    // The same spool once more (e.g. a crash before it was removed): check-then-write adds nothing.
    await cp(copy, spoolDir, { recursive: true });
    await rm(copy, { recursive: true });
    const again = await syncSpool({ outDir: info.outDir, client });
    expect(again.remaining).toBe(0);
    expectExactly(await runTraces(experiment.experiment_id, runId), runId, all);
    expect(await metricHistoryLength(runId, 'exact_match/mean')).toBe(1);
  });

  it('recovers during the run: spooled rows are sent once the server is back, before finish', async () => {
    const before = rows('b', 3);
    const during = rows('b', 3, 3);
    const all = [...before, ...during];
    const info = await startInfo({ experiment: `recover-${randomUUID()}`, rows: all });
    const sink = createMlflowSink({ client, retryIntervalMs: 300 });
    await sink.start(info);
    for (const result of before) sink.write(result);
    const { experiment } = await client.getOrCreateExperiment(info.experiment);
    const runId =
      (await client.searchRuns({ experimentIds: [experiment.experiment_id] })).runs[0]?.info.run_id ?? '';
    await waitFor(async () => (await runTraces(experiment.experiment_id, runId)).length === before.length);

    await server.stop();
    for (const result of during) sink.write(result);
    await waitFor(async () => existsSync(path.join(info.outDir, 'mlflow-spool', 'rows.jsonl')));
    await restart();
    const report = await sink.finish(summaryFor(all));
    expect(report.pendingWrites).toBe(0);
    expect(existsSync(path.join(info.outDir, 'mlflow-spool'))).toBe(false);
    expectExactly(await runTraces(experiment.experiment_id, runId), runId, all);
    expect((await client.getRun(runId)).info.status).toBe('FINISHED');
  });

  it('spools everything when the server is down from the start; sync creates the run once', async () => {
    const all = rows('c', 3);
    const info = await startInfo({ experiment: `down-${randomUUID()}`, rows: all });
    await server.stop();
    const sink = createMlflowSink({ client, retryIntervalMs: 600_000 });
    await sink.start(info);
    for (const result of all) sink.write(result);
    const report = await sink.finish(summaryFor(all));
    expect(report.summaryPatch).toBeUndefined();
    expect(report.pendingWrites).toBe(all.length + 2); // rows, the run's creation and its finish
    await restart();
    const synced = await syncSpool({ outDir: info.outDir, client });
    expect(synced).toMatchObject({ rowsWritten: all.length, finished: true, remaining: 0 });
    const { experiment } = await client.getOrCreateExperiment(info.experiment);
    const runs = (await client.searchRuns({ experimentIds: [experiment.experiment_id] })).runs;
    expect(runs).toHaveLength(1);
    const runId = runs[0]?.info.run_id ?? '';
    expect(synced.runId).toBe(runId);
    expectExactly(await runTraces(experiment.experiment_id, runId), runId, all);
  });
});

describe('retried and partly written rows', () => {
  let writer: RunWriter;
  let runId: string;
  let experimentId: string;

  beforeAll(async () => {
    const state: SpoolState = {
      version: 1,
      tracking_uri: server.uri,
      run_key: randomUUID(),
      experiment_name: `retry-${randomUUID()}`,
      start: { start_time: Date.now(), tags: [], params: [], experiment_tags: [] },
      context: { user: 'tester', source_name: 'test', source_type: 'LOCAL' },
    };
    writer = new RunWriter(client, state);
    await writer.ensureRun({ searchFirst: false });
    runId = state.run_id ?? '';
    experimentId = state.experiment_id ?? '';
  });

  const assessmentsOf = async (result: RowResult) =>
    (await client.getTraceInfo(`tr-${traceIdFor(runId, result.id)}`))?.assessments ?? [];

  it('a row whose spans landed but whose trace write was lost is completed, once', async () => {
    const [result] = rows('partial', 1) as [RowResult];
    const job = writer.jobFor(result);
    await client.logSpansOtlp(experimentId, otlpRequest(job.spans.map((s) => otlpSpan(job.traceIdHex, s))));
    await writer.writeRows([job], { verify: true });
    await writer.writeRows([job], { verify: true });
    expect(await assessmentsOf(result)).toHaveLength(6);
    expect((await client.getTraceInfo(job.traceId))?.trace_metadata?.['mlflow.sourceRun']).toBe(runId);
  });

  it('a row with some assessments written gets only the missing ones', async () => {
    const [result] = rows('some', 1) as [RowResult];
    const job = writer.jobFor(result);
    await client.logSpansOtlp(experimentId, otlpRequest(job.spans.map((s) => otlpSpan(job.traceIdHex, s))));
    // Two assessments already there, written without our ids (as another client would).
    await client.startTrace({ ...job.traceInfo, assessments: [] });
    for (const a of job.assessments.slice(0, 2)) {
      const { assessment_id: _id, ...rest } = a;
      await client.createAssessment(job.traceId, rest);
    }
    await writer.writeRows([job], { verify: true });
    const names = (await assessmentsOf(result)).map((a) => a.assessment_name).sort();
    expect(names).toEqual(job.assessments.map((a) => a.assessment_name).sort());
  });

  it('a retried row (same row id, new spans from another worker) leaves one trace with its assessments', async () => {
    const [result] = rows('retried', 1) as [RowResult];
    await writer.writeRows([writer.jobFor(result)], { verify: false });
    const retried = rows('retried', 1)[0] as RowResult; // fresh span ids, same row
    await writer.writeRows([buildTraceJob(retried, writer.context())], { verify: true });
    // Even a blind repeat (no check) cannot duplicate: StartTraceV3 merges, assessment ids are stable.
    await writer.writeRows([writer.jobFor(result)], { verify: false });
    expect(await assessmentsOf(result)).toHaveLength(6);
    const spans = (await client.getTrace(`tr-${traceIdFor(runId, result.id)}`))?.spans ?? [];
    expect(spans).toHaveLength(1);
    const hits = await client.searchTraces({
      experimentIds: [experimentId],
      filter: `attributes.run_id = '${runId}'`,
    });
    expect(hits.traces.filter((t) => t.trace_id === `tr-${traceIdFor(runId, result.id)}`)).toHaveLength(1);
  });
});
