import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { MlflowError } from '../../src/core/errors.js';
import { MlflowClient } from '../../src/sinks/mlflow/client.js';
import { loadPromptTemplate } from '../../src/sinks/mlflow/prompts.js';
import { otlpRequest, otlpSpan } from '../../src/sinks/mlflow/span-encoding.js';
import type { Assessment, TraceInfo } from '../../src/sinks/mlflow/wire.js';

// Every client call against the real pinned server, and the server facts the MLflow sink's
// idempotency scheme is built on (StartTraceV3 upserts, client-chosen ids are kept, ...).

const uri = inject('mlflowUri');
let client: MlflowClient;
let experimentId: string;
let runId: string;

const hex = (bytes: number) => randomBytes(bytes).toString('hex');
const now = () => new Date().toISOString();

function traceInfo(traceIdHex: string, extra: Partial<TraceInfo> = {}): TraceInfo {
  return {
    trace_id: `tr-${traceIdHex}`,
    trace_location: { type: 'MLFLOW_EXPERIMENT', mlflow_experiment: { experiment_id: experimentId } },
    request_time: now(),
    execution_duration: '0.010s',
    state: 'OK',
    trace_metadata: { 'mlflow.sourceRun': runId, 'mlflow.trace_schema.version': '3' },
    tags: { 'mlflow.traceName': 'root_span' },
    ...extra,
  };
}

function feedback(
  traceId: string,
  spanId: string,
  name: string,
  body: Assessment['feedback'],
  id?: string,
): Assessment {
  const stamp = now();
  return {
    ...(id !== undefined ? { assessment_id: id } : {}),
    assessment_name: name,
    trace_id: traceId,
    span_id: spanId,
    source: { source_type: 'CODE', source_id: name },
    feedback: body,
    create_time: stamp,
    last_update_time: stamp,
  };
}

async function rootSpans(traceIdHex: string, spanId: string) {
  const t = Date.now();
  return client.logSpansOtlp(
    experimentId,
    otlpRequest([
      otlpSpan(traceIdHex, {
        spanId,
        parentId: null,
        name: 'root_span',
        spanType: 'CHAIN',
        startTimeMs: t - 10,
        endTimeMs: t,
        inputs: { q: 'x' },
        outputs: 'y',
        attributes: {},
        status: { code: 'OK' },
      }),
    ]),
  );
}

beforeAll(async () => {
  client = new MlflowClient({ trackingUri: uri });
  const { experiment } = await client.getOrCreateExperiment(`client-${randomUUID()}`);
  experimentId = experiment.experiment_id;
  const run = await client.createRun({
    experimentId,
    startTime: Date.now(),
    runName: 'client-test',
    tags: [],
  });
  runId = run.info.run_id;
});

afterAll(async () => {
  await client.close();
});

describe('server', () => {
  it('is the pinned MLflow version with a SQL store', async () => {
    expect(await client.version()).toBe('3.17.2');
    expect((await client.serverInfo()).store_type).toBe('SqlStore');
    expect(await client.health()).toBe(true);
  });
});

describe('errors', () => {
  it('maps 404 to MlflowError with RESOURCE_DOES_NOT_EXIST', async () => {
    const error = await client.getRun('0'.repeat(32)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MlflowError);
    expect(error).toMatchObject({ status: 404, errorCode: 'RESOURCE_DOES_NOT_EXIST', retryable: false });
    expect((error as MlflowError).endpoint).toBe('GET /api/2.0/mlflow/runs/get');
  });

  it('maps 400 with its error_code (RESOURCE_ALREADY_EXISTS, INVALID_PARAMETER_VALUE)', async () => {
    const name = `dup-${randomUUID()}`;
    await client.createExperiment({ name });
    const duplicate = await client.createExperiment({ name }).catch((e: unknown) => e);
    expect(duplicate).toMatchObject({ status: 400, errorCode: 'RESOURCE_ALREADY_EXISTS' });
    // A param cannot change its value.
    await client.logBatch({ runId, params: [{ key: 'fixed', value: 'a' }] });
    const overwrite = await client
      .logBatch({ runId, params: [{ key: 'fixed', value: 'b' }] })
      .catch((e: unknown) => e);
    expect(overwrite).toBeInstanceOf(MlflowError);
    expect(overwrite).toMatchObject({ status: 400, errorCode: 'INVALID_PARAMETER_VALUE', retryable: false });
  });

  it('reports an unreachable server as a retryable MlflowError', async () => {
    const dead = new MlflowClient({
      trackingUri: 'http://127.0.0.1:9',
      retry: { maxRetries: 1, baseDelayMs: 1 },
    });
    const error = await dead.getExperimentByName('x').catch((e: unknown) => e);
    await dead.close();
    expect(error).toBeInstanceOf(MlflowError);
    expect(error).toMatchObject({ status: undefined, retryable: true });
  });
});

describe('experiments', () => {
  it('get-or-create creates once, then finds; restores a deleted experiment', async () => {
    const name = `goc-${randomUUID()}`;
    const first = await client.getOrCreateExperiment(name, {
      tags: [{ key: 'mlflow.experimentKind', value: 'genai_development' }],
    });
    expect(first.created).toBe(true);
    expect(first.experiment.tags).toContainEqual({
      key: 'mlflow.experimentKind',
      value: 'genai_development',
    });
    const second = await client.getOrCreateExperiment(name);
    expect(second).toMatchObject({ created: false, restored: false });
    expect(second.experiment.experiment_id).toBe(first.experiment.experiment_id);

    await client.http.call({
      method: 'POST',
      path: '/api/2.0/mlflow/experiments/delete',
      json: { experiment_id: first.experiment.experiment_id },
      idempotent: true,
    });
    expect((await client.getExperimentByName(name))?.lifecycle_stage).toBe('deleted');
    const third = await client.getOrCreateExperiment(name);
    expect(third).toMatchObject({ created: false, restored: true });
    expect((await client.getExperiment(first.experiment.experiment_id)).lifecycle_stage).toBe('active');
  });

  it('two concurrent get-or-create calls end on the same experiment', async () => {
    const name = `race-${randomUUID()}`;
    const [a, b] = await Promise.all([
      client.getOrCreateExperiment(name),
      client.getOrCreateExperiment(name),
    ]);
    expect(a.experiment.experiment_id).toBe(b.experiment.experiment_id);
  });
});

describe('runs', () => {
  it('log-batch splits past the server limits and truncates long params', async () => {
    const run = await client.createRun({
      experimentId,
      startTime: Date.now(),
      tags: [{ key: 't', value: 'v' }],
    });
    const id = run.info.run_id;
    const metrics = Array.from({ length: 1500 }, (_, i) => ({
      key: `m${i}`,
      value: i / 2,
      timestamp: Date.now(),
      step: 0,
    }));
    const params = Array.from({ length: 150 }, (_, i) => ({ key: `p${i}`, value: String(i) }));
    params.push({ key: 'long', value: 'x'.repeat(7000) });
    await client.logBatch({ runId: id, metrics, params, tags: [{ key: 'big', value: 'y'.repeat(9000) }] });
    const stored = await client.getRun(id);
    expect(stored.data?.metrics).toHaveLength(1500);
    expect(stored.data?.params).toHaveLength(151);
    const long = stored.data?.params?.find((p) => p.key === 'long')?.value ?? '';
    expect(long).toHaveLength(6000);
    expect(long.endsWith('...')).toBe(true);
    expect(stored.data?.tags?.find((t) => t.key === 'big')?.value).toHaveLength(8000);

    await client.setTag(id, 'later', 'yes');
    const info = await client.updateRun({ runId: id, status: 'FINISHED', endTime: Date.now() });
    expect(info.status).toBe('FINISHED');
    const final = await client.getRun(id);
    expect(final.data?.tags).toContainEqual({ key: 'later', value: 'yes' });
    expect(final.info.end_time).toBeGreaterThan(0);
  });

  it('log-inputs stores the dataset input; repeating it does not duplicate it', async () => {
    const dataset = {
      name: 'qa',
      digest: 'abc123',
      source_type: 'local',
      source: '{"uri": "/tmp/qa.jsonl"}',
      schema: '{"mlflow_colspec": []}',
      profile: '{"num_rows": 3, "num_elements": 6}',
    };
    await client.logInputs({ runId, datasets: [{ dataset }] });
    await client.logInputs({ runId, datasets: [{ dataset }] });
    const inputs = (await client.getRun(runId)).inputs?.dataset_inputs ?? [];
    expect(inputs).toHaveLength(1);
    expect(inputs[0]?.dataset).toMatchObject(dataset);
  });

  it('uploads, lists and downloads artifacts through the proxy', async () => {
    const run = await client.getRun(runId);
    const artifactUri = run.info.artifact_uri ?? '';
    expect(artifactUri.startsWith('mlflow-artifacts:')).toBe(true);
    await client.uploadArtifact({
      artifactUri,
      path: 'dir/hello.txt',
      body: 'hello',
      contentType: 'text/plain',
    });
    expect(await client.downloadArtifact({ artifactUri, path: 'dir/hello.txt' })).toBe('hello');
    const files = await client.listArtifacts({ artifactUri, path: 'dir' });
    expect(files.map((f) => f.path)).toEqual(['hello.txt']);
  });
});

describe('traces (facts of the pinned server)', () => {
  it('accepts OTLP JSON spans and keeps a client-chosen trace id', async () => {
    const id = hex(16);
    const spanId = hex(8);
    expect(await rootSpans(id, spanId)).toBe('otlp');
    const info = await client.startTrace(traceInfo(id));
    expect(info.trace_id).toBe(`tr-${id}`);
    expect(info.tags?.['mlflow.trace.spansLocation']).toBe('TRACKING_STORE');
    const full = await client.getTrace(`tr-${id}`);
    expect(full?.spans.map((s) => s.name)).toEqual(['root_span']);
    expect(Buffer.from(full?.spans[0]?.span_id ?? '', 'base64').toString('hex')).toBe(spanId);
  });

  it('a second StartTraceV3 with the same id merges: tags and inline assessments upsert, nothing duplicates', async () => {
    const id = hex(16);
    const traceId = `tr-${id}`;
    const spanId = hex(8);
    await rootSpans(id, spanId);
    const a1 = feedback(traceId, spanId, 'exact', { value: true }, `a-${hex(16)}`);
    const first = await client.startTrace(traceInfo(id, { assessments: [a1] }));
    expect(first.assessments?.map((a) => a.assessment_id)).toEqual([a1.assessment_id]);

    const a2 = feedback(traceId, spanId, 'length', { value: 3 }, `a-${hex(16)}`);
    const second = await client.startTrace(
      traceInfo(id, { tags: { 'mlflow.traceName': 'root_span', extra: 'x' }, assessments: [a1, a2] }),
    );
    // The answer to a merge can be stale (here: without the new tag); the stored trace has it.
    expect(second.trace_id).toBe(traceId);
    const stored = await client.getTraceInfo(traceId);
    expect(stored?.tags?.extra).toBe('x');
    expect(stored?.assessments?.map((a) => a.assessment_id).sort()).toEqual(
      [a1.assessment_id, a2.assessment_id].sort(),
    );
    const hits = await client.searchTraces({
      experimentIds: [experimentId],
      filter: `trace.request_id = '${traceId}'`,
    });
    expect(hits.traces).toHaveLength(1);
  });

  it('CreateAssessment keeps a client id and refuses the same id twice (HTTP 500, not a duplicate)', async () => {
    const id = hex(16);
    const traceId = `tr-${id}`;
    const spanId = hex(8);
    await rootSpans(id, spanId);
    await client.startTrace(traceInfo(id));
    const assessmentId = `a-${hex(16)}`;
    const created = await client.createAssessment(
      traceId,
      feedback(traceId, spanId, 'x', { value: 'yes' }, assessmentId),
    );
    expect(created.assessment_id).toBe(assessmentId);
    const again = await client
      .createAssessment(traceId, feedback(traceId, spanId, 'x', { value: 'yes' }, assessmentId))
      .catch((e: unknown) => e);
    expect(again).toBeInstanceOf(MlflowError);
    expect((again as MlflowError).status).toBe(500);
    expect((await client.getTraceInfo(traceId))?.assessments).toHaveLength(1);
    expect(await client.getAssessment(traceId, assessmentId)).toMatchObject({ assessment_name: 'x' });
  });

  it('round-trips assessment value types: bool, int, float, string, dict, list, error, expectations', async () => {
    const id = hex(16);
    const traceId = `tr-${id}`;
    const spanId = hex(8);
    await rootSpans(id, spanId);
    await client.startTrace(traceInfo(id));
    const values: unknown[] = [true, false, 7, 0.25, 'yes', { a: 1, b: [1, 2] }, [1, 'x']];
    for (const [i, value] of values.entries()) {
      await client.createAssessment(traceId, feedback(traceId, spanId, `v${i}`, { value }));
    }
    await client.createAssessment(
      traceId,
      feedback(traceId, spanId, 'err', {
        error: { error_code: 'SCORER_ERROR', error_message: 'boom', stack_trace: 'tb' },
      }),
    );
    const stamp = now();
    await client.createAssessment(traceId, {
      assessment_name: 'expected_facts',
      source: { source_type: 'HUMAN', source_id: 'unknown' },
      expectation: { serialized_value: { serialization_format: 'JSON_FORMAT', value: '["a", "b"]' } },
      create_time: stamp,
      last_update_time: stamp,
    });
    const stored = new Map(
      ((await client.getTraceInfo(traceId))?.assessments ?? []).map((a) => [a.assessment_name, a]),
    );
    values.forEach((value, i) => {
      expect(stored.get(`v${i}`)?.feedback?.value).toEqual(value);
    });
    expect(stored.get('err')?.feedback).toEqual({
      value: null,
      error: { error_code: 'SCORER_ERROR', error_message: 'boom', stack_trace: 'tb' },
    });
    expect(stored.get('expected_facts')?.expectation?.serialized_value?.value).toBe('["a", "b"]');
    // create_time is kept as sent (omitting it would store epoch 0).
    expect(Date.parse(stored.get('expected_facts')?.create_time ?? '')).toBe(Date.parse(stamp));
  });

  it('searches traces by run with paging, and links traces to a run', async () => {
    const run = await client.createRun({ experimentId, startTime: Date.now(), tags: [] });
    const linkedRun = run.info.run_id;
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const id = hex(16);
      await rootSpans(id, hex(8));
      await client.startTrace(traceInfo(id, { trace_metadata: { 'mlflow.trace_schema.version': '3' } }));
      ids.push(`tr-${id}`);
    }
    await client.linkTracesToRun(linkedRun, ids);
    await client.linkTracesToRun(linkedRun, ids); // linking twice is harmless
    const page = await client.searchTraces({
      experimentIds: [experimentId],
      filter: `attributes.run_id = '${linkedRun}'`,
      maxResults: 2,
    });
    expect(page.traces).toHaveLength(2);
    expect(page.nextPageToken).toBeDefined();
    const all: string[] = [];
    for await (const t of client.searchAllTraces({
      experimentIds: [experimentId],
      filter: `attributes.run_id = '${linkedRun}'`,
      maxResults: 2,
    })) {
      all.push(t.trace_id);
    }
    expect(all.sort()).toEqual([...ids].sort());
    await client.setTraceTag(ids[0] as string, 'k', 'v');
    expect((await client.getTraceInfo(ids[0] as string))?.tags?.k).toBe('v');
    expect(await client.getTraceInfo(`tr-${'0'.repeat(32)}`)).toBeUndefined();
  });
});

describe('evaluation datasets', () => {
  it('creates, finds by name, upserts (merging by inputs) and pages records', async () => {
    const name = `ds-${randomUUID()}`;
    const created = await client.createDataset({ name, experimentIds: [experimentId], tags: { team: 'qa' } });
    expect(created.dataset_id).toMatch(/^d-/);
    expect((await client.findDatasetByName(name))?.dataset_id).toBe(created.dataset_id);
    expect((await client.getDataset(created.dataset_id)).name).toBe(name);
    const records = Array.from({ length: 5 }, (_, i) => ({
      inputs: { q: `question ${i}` },
      expectations: { expected_response: `answer ${i}` },
    }));
    expect(await client.upsertDatasetRecords(created.dataset_id, records, { batchSize: 2 })).toEqual({
      inserted: 5,
      updated: 0,
    });
    const again = await client.upsertDatasetRecords(created.dataset_id, [
      { inputs: { q: 'question 0' }, expectations: { expected_response: 'changed' } },
    ]);
    expect(again).toEqual({ inserted: 0, updated: 1 });
    const page = await client.listDatasetRecords(created.dataset_id, { maxResults: 2 });
    expect(page.records).toHaveLength(2);
    expect(page.nextPageToken).toBeDefined();
    const all = [];
    for await (const record of client.allDatasetRecords(created.dataset_id, { pageSize: 2 }))
      all.push(record);
    expect(all).toHaveLength(5);
    expect(all.find((r) => r.inputs.q === 'question 0')?.expectations).toEqual({
      expected_response: 'changed',
    });
  });
});

describe('prompt registry', () => {
  it('registers versions, sets an alias and loads by version, alias and latest', async () => {
    const name = `prompt-${hex(4)}`;
    const v1 = await client.registerPrompt({
      name,
      template: 'Answer: {{ inputs.question }}',
      commitMessage: 'first',
    });
    const v2 = await client.registerPrompt({ name, template: 'Answer briefly: {{ inputs.question }}' });
    expect([v1.version, v2.version]).toEqual(['1', '2']);
    await client.setPromptAlias(name, 'production', 1);
    expect(await loadPromptTemplate({ client, uri: `prompts:/${name}/2` })).toMatchObject({
      template: 'Answer briefly: {{ inputs.question }}',
      version: '2',
    });
    expect(await loadPromptTemplate({ client, uri: `prompts:/${name}@production` })).toMatchObject({
      template: 'Answer: {{ inputs.question }}',
      version: '1',
    });
    expect((await loadPromptTemplate({ client, uri: `prompts:/${name}@latest` })).version).toBe('2');
    await expect(loadPromptTemplate({ client, uri: `prompts:/${name}/9` })).rejects.toThrow(/not found/);
  });

  it('refuses to turn a registered model into a prompt', async () => {
    const name = `model-${hex(4)}`;
    await client.http.call({
      method: 'POST',
      path: '/api/2.0/mlflow/registered-models/create',
      json: { name },
      idempotent: false,
    });
    await expect(client.registerPrompt({ name, template: 'x' })).rejects.toThrow(
      /registered model, not a prompt/,
    );
  });
});
