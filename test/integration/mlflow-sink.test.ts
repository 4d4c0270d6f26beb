import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { SinkReport } from '../../src/core/events.js';
import type { RowResult } from '../../src/core/result.js';
import { MlflowClient } from '../../src/sinks/mlflow/client.js';
import { createMlflowSink } from '../../src/sinks/mlflow/sink.js';
import { rootSpanIdFor, traceIdFor } from '../../src/sinks/mlflow/trace-ids.js';
import type { TraceInfo } from '../../src/sinks/mlflow/wire.js';
import { referenceFeedbacks, referenceRows, rowResult, startInfo, summaryFor } from './mlflow-fixtures.js';

// A full evaluation logged through the MLflow sink into the real server, then read back over REST.

const uri = inject('mlflowUri');
let client: MlflowClient;
const experiment = `sink-${randomUUID()}`;
let results: RowResult[];
let report: SinkReport;
let outDir: string;
let runId: string;
let traces: Map<string, TraceInfo>;

beforeAll(async () => {
  client = new MlflowClient({ trackingUri: uri });
  const rows = referenceRows();
  results = rows.map((row, i) => rowResult(row, i, referenceFeedbacks(row)));
  results.push(
    rowResult(
      {
        id: 'model-error',
        inputs: { question: 'unanswerable?' },
        outputs: null,
        expectations: { expected_response: 'x' },
      },
      3,
      [],
      { error: { code: 'MODEL_HTTP', message: 'model server returned 500' } },
    ),
    rowResult(
      { id: 'with-spans', inputs: { question: 'Spans?' }, outputs: 'yes', expectations: {} },
      4,
      [
        {
          name: 'correctness',
          value: 'yes',
          rationale: 'matches',
          source: { type: 'LLM_JUDGE', id: 'openai:/gpt-4.1-mini' },
          metadata: { 'mlflow.assessment.judgeInputTokens': '20' },
        },
      ],
      { children: true },
    ),
  );
  const info = await startInfo({ experiment, rows: results });
  outDir = info.outDir;
  // The REST path (the cross-check covers the batch writer too): StartTraceV3, OTLP, link-to-run.
  const sink = createMlflowSink({ client, concurrency: 2, batchSize: 2, batchWriter: 'off' });
  await sink.start(info);
  for (const result of results) sink.write(result);
  // A second result for a row already written (a retried worker): the first one wins.
  const duplicate = structuredClone(results[0] as RowResult);
  duplicate.feedbacks = [{ name: 'exact_match', value: false, source: { type: 'CODE', id: 'exact_match' } }];
  sink.write(duplicate);
  report = await sink.finish(summaryFor(results));
  runId = report.summaryPatch?.mlflow?.run_id ?? '';
  traces = new Map();
  const experimentId = report.summaryPatch?.mlflow?.experiment_id ?? '';
  for await (const trace of client.searchAllTraces({
    experimentIds: [experimentId],
    filter: `attributes.run_id = '${runId}'`,
  })) {
    traces.set(trace.trace_id, trace);
  }
});

afterAll(async () => {
  await client.close();
});

describe('MLflow sink: the run', () => {
  it('reports the run, its evaluation URL and nothing pending', () => {
    expect(report.pendingWrites).toBe(0);
    const mlflow = report.summaryPatch?.mlflow;
    expect(mlflow?.tracking_uri).toBe(uri);
    expect(mlflow?.url).toBe(
      `${uri}/#/experiments/${mlflow?.experiment_id}/evaluation-runs?selectedRunUuid=${runId}`,
    );
    expect(existsSync(path.join(outDir, 'mlflow-spool'))).toBe(false);
  });

  it('tags the run and the experiment as a GenAI evaluation, with params but no secrets', async () => {
    const run = await client.getRun(runId);
    const tags = Object.fromEntries((run.data?.tags ?? []).map((t) => [t.key, t.value]));
    expect(tags).toMatchObject({
      'mlflow.runType': 'genai_evaluate',
      'mlflow.run.isEval': 'true',
      'mlflow.source.type': 'LOCAL',
      'mlflow.source.name': '/tmp/eval.yaml',
      'mlflow.runName': 'sink-test',
    });
    expect(tags['mlflow.user']).toBeTruthy();
    expect(run.info.status).toBe('FINISHED');
    expect(run.info.end_time).toBeGreaterThan(0);
    const params = Object.fromEntries((run.data?.params ?? []).map((p) => [p.key, p.value]));
    expect(params).toEqual({ concurrency: '4', 'judge.api_key': '[REDACTED]', 'model.name': 'test-model' });
    const exp = await client.getExperiment(run.info.experiment_id);
    expect(exp.tags).toContainEqual({ key: 'mlflow.experimentKind', value: 'genai_development' });
  });

  it('logs the aggregate metrics and the dataset input', async () => {
    const run = await client.getRun(runId);
    const metrics = Object.fromEntries((run.data?.metrics ?? []).map((m) => [m.key, m.value]));
    expect(metrics).toEqual(summaryFor(results).metrics);
    expect(Object.keys(metrics).sort()).toEqual([
      'answer_length/mean',
      'correctness/mean',
      'exact_match/mean',
      'judged/mean',
      'verdict/mean',
    ]);
    const input = run.inputs?.dataset_inputs?.[0]?.dataset;
    expect(input).toMatchObject({ name: 'dataset', digest: 'abc123def', source_type: 'code' });
    expect(JSON.parse(input?.profile ?? '{}')).toEqual({ num_rows: 5, num_elements: 20 });
    const schema = JSON.parse(input?.schema ?? '{}') as { mlflow_colspec: Array<{ name: string }> };
    expect(schema.mlflow_colspec.map((c) => c.name)).toEqual(['inputs', 'outputs', 'expectations', 'tags']);
  });

  it('uploads the eval file, results.jsonl, the results table and summary.json', async () => {
    const run = await client.getRun(runId);
    const artifactUri = run.info.artifact_uri ?? '';
    const files = (await client.listArtifacts({ artifactUri })).map((f) => f.path).sort();
    expect(files).toEqual(['eval.yaml', 'eval_results_table.json', 'results.jsonl', 'summary.json']);
    // The table is registered the way `mlflow.log_table` registers one, and holds every row.
    const tags = Object.fromEntries((run.data?.tags ?? []).map((t) => [t.key, t.value]));
    expect(JSON.parse(tags['mlflow.loggedArtifacts'] ?? '[]')).toEqual([
      { path: 'eval_results_table.json', type: 'table' },
    ]);
    const table = JSON.parse(
      await client.downloadArtifact({ artifactUri, path: 'eval_results_table.json' }),
    ) as {
      columns: string[];
      data: unknown[][];
    };
    expect(table.columns.slice(0, 3)).toEqual(['request_id', 'trace_id', 'inputs']);
    expect(table.data.map((row) => row[0]).sort()).toEqual(results.map((r) => r.id).sort());
    const summary = JSON.parse(await client.downloadArtifact({ artifactUri, path: 'summary.json' })) as {
      mlflow: { run_id: string };
    };
    expect(summary.mlflow.run_id).toBe(runId);
  });
});

describe('MLflow sink: one trace per row', () => {
  it('writes exactly one trace per row, with the id derived from (run, row)', () => {
    expect(traces.size).toBe(results.length);
    for (const result of results) expect(traces.has(`tr-${traceIdFor(runId, result.id)}`)).toBe(true);
  });

  it('links each trace to the run and the row (metadata, tags, previews)', () => {
    const row = results[0] as RowResult;
    const trace = traces.get(`tr-${traceIdFor(runId, row.id)}`) as TraceInfo;
    expect(trace.state).toBe('OK');
    expect(trace.trace_metadata).toMatchObject({
      'mlflow.sourceRun': runId,
      'mlflow.trace_schema.version': '3',
      'mlflow.traceInputs': '{"question": "What is the capital of France?"}',
      'mlflow.traceOutputs': '"Paris"',
    });
    expect(trace.tags).toMatchObject({
      'mlflow.traceName': 'root_span',
      'mlflow.eval.requestId': row.id,
      topic: 'geography',
    });
    expect(trace.request_preview).toBe('{"question": "What is the capital of France?"}');
  });

  it('puts expectations (HUMAN) and every feedback on the root span, the first result winning', () => {
    const row = results[0] as RowResult;
    const trace = traces.get(`tr-${traceIdFor(runId, row.id)}`) as TraceInfo;
    const assessments = trace.assessments ?? [];
    expect(assessments).toHaveLength(6);
    for (const a of assessments) {
      expect(a.span_id).toBe(rootSpanIdFor(runId, row.id));
      expect(a.metadata?.['mlflow.assessment.sourceRunId']).toBe(runId);
      expect(Date.parse(a.create_time ?? '')).toBeGreaterThan(Date.parse('2020-01-01'));
    }
    const byName = new Map(assessments.map((a) => [a.assessment_name, a]));
    expect(byName.get('expected_response')).toMatchObject({
      source: { source_type: 'HUMAN' },
      expectation: { value: 'Paris' },
    });
    expect(byName.get('exact_match')?.feedback?.value).toBe(true);
    expect(byName.get('answer_length')?.feedback?.value).toBe(5);
    expect(byName.get('judged')).toMatchObject({
      rationale: 'question mark present: True',
      feedback: { value: 1 },
    });
    expect(byName.get('always_fails')?.feedback?.error).toMatchObject({
      error_code: 'SCORER_ERROR',
      error_message: 'boom',
    });
  });

  it('stores a dict/list expectation as a serialized JSON value, as Python does', () => {
    const row = results[1] as RowResult;
    const trace = traces.get(`tr-${traceIdFor(runId, row.id)}`) as TraceInfo;
    const facts = trace.assessments?.find((a) => a.assessment_name === 'expected_facts');
    expect(facts?.expectation?.serialized_value).toEqual({
      serialization_format: 'JSON_FORMAT',
      value: '["four", "even"]',
    });
  });

  it('writes a failed row as one ERROR trace with its expectations and no feedback', async () => {
    const trace = traces.get(`tr-${traceIdFor(runId, 'model-error')}`) as TraceInfo;
    expect(trace.state).toBe('ERROR');
    expect(trace.assessments?.map((a) => a.assessment_name)).toEqual(['expected_response']);
    const full = await client.getTrace(trace.trace_id);
    expect(full?.spans[0]?.status?.code).toBe('STATUS_CODE_ERROR');
  });

  it('writes child spans (model and judge calls) with model names and token usage', async () => {
    const traceId = `tr-${traceIdFor(runId, 'with-spans')}`;
    const full = await client.getTrace(traceId);
    expect(full?.spans.map((s) => s.name).sort()).toEqual(['judge:correctness', 'model', 'predict']);
    const model = full?.spans.find((s) => s.name === 'model');
    const attribute = (key: string) => model?.attributes?.find((a) => a.key === key)?.value;
    expect(attribute('mlflow.llm.model')).toEqual({ string_value: 'test-model' });
    expect(attribute('mlflow.spanType')).toEqual({ string_value: 'CHAT_MODEL' });
    expect(JSON.parse(full?.info.trace_metadata?.['mlflow.trace.tokenUsage'] ?? '{}')).toEqual({
      input_tokens: 31,
      output_tokens: 9,
      total_tokens: 40,
    });
    const judged = full?.info.assessments?.find((a) => a.assessment_name === 'correctness');
    expect(judged).toMatchObject({
      source: { source_type: 'LLM_JUDGE', source_id: 'openai:/gpt-4.1-mini' },
      rationale: 'matches',
      feedback: { value: 'yes' },
    });
    expect(judged?.metadata?.['mlflow.assessment.judgeInputTokens']).toBe('20');
  });
});

describe('MLflow sink: span data as the traces.json artifact', () => {
  it('stores the spans as the trace artifact (Python layout) when asked to', async () => {
    const rows = referenceRows().slice(0, 2);
    const artifactResults = rows.map((row, i) =>
      rowResult(row, i, referenceFeedbacks(row), { children: true }),
    );
    const info = await startInfo({ experiment: `sink-artifact-${randomUUID()}`, rows: artifactResults });
    const sink = createMlflowSink({ client, spans: 'artifact' });
    await sink.start(info);
    for (const result of artifactResults) sink.write(result);
    const out = await sink.finish(summaryFor(artifactResults));
    expect(out.pendingWrites).toBe(0);
    const artifactRunId = out.summaryPatch?.mlflow?.run_id ?? '';
    const trace = await client.getTraceInfo(`tr-${traceIdFor(artifactRunId, rows[0]?.id ?? '')}`);
    expect(trace?.tags?.['mlflow.trace.spansLocation']).toBeUndefined();
    expect(trace?.assessments).toHaveLength(6);
    const text = await client.downloadArtifact({
      artifactUri: trace?.tags?.['mlflow.artifactLocation'] ?? '',
      path: 'traces.json',
    });
    const data = JSON.parse(text) as {
      spans: Array<{ name: string; parent_span_id: string | null; attributes: Record<string, string> }>;
    };
    expect(data.spans.map((s) => s.name).sort()).toEqual(['judge:correctness', 'model', 'predict']);
    const root = data.spans.find((s) => s.parent_span_id === null);
    expect(JSON.parse(root?.attributes['mlflow.spanInputs'] ?? '{}')).toEqual(rows[0]?.inputs);
  });
});
