import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { evaluate } from '../../src/app/evaluate.js';
import { scorer } from '../../src/scorers/scorer.js';
import { requirePythonEnv } from '../../src/setup/python-env.js';
import { MlflowClient } from '../../src/sinks/mlflow/client.js';
import { referenceDataPath, referenceRows } from './mlflow-fixtures.js';
import { testHome } from './servers/mlflow.js';

// The same rows and the same code scorers through `mlflow.genai.evaluate()` (Python, pinned mlflow) and
// through judgeflow's own `evaluate()` — its scorer return rules, its aggregation, its MLflow sink; both
// runs read back with the `mlflow` package and compared field by field. Every expected value (each
// feedback, each metric) comes from Python's run, never from a value written here: a judgeflow scorer
// rule or aggregation that drifted from MLflow's fails this test. The dataset digest is not compared:
// Python computes its own.

const run = promisify(execFile);
const uri = inject('mlflowUri');
const scriptDir = path.dirname(referenceDataPath);

interface DumpedAssessment {
  name: string;
  kind: string;
  value: unknown;
  error: { error_code: string; error_message: string; has_stack_trace: boolean } | null;
  source_type: string;
  source_id: string;
  rationale: string | null;
  span_id: string;
  source_run_id: string | null;
}
interface DumpedTrace {
  state: string;
  tags: Record<string, string>;
  metadata: Record<string, string>;
  request_preview: string;
  response_preview: string;
  assessments: DumpedAssessment[];
  spans: Array<{
    name: string;
    span_type: string;
    parent_id: string | null;
    span_id: string;
    inputs: unknown;
    outputs: unknown;
  }>;
}
interface Dump {
  run: {
    status: string;
    tags: Record<string, string>;
    metrics: Record<string, number>;
    dataset_inputs: Array<{
      name: string;
      source_type: string;
      schema: unknown;
      profile: { num_rows: number };
    }>;
  };
  traces: DumpedTrace[];
}

let python: string;
let reference: Dump;
/** `EvaluationResult.metrics` as Python's `mlflow.genai.evaluate()` returned them. */
let referenceMetrics: Record<string, number>;
/** judgeflow's side, once per MLflow write path: its run as Python reads it, and its own aggregation. */
const paths = ['batch writer', 'REST path'] as const;
type WritePath = (typeof paths)[number];
const oursBy = new Map<WritePath, { dump: Dump; summaryMetrics: Record<string, number> }>();
let client: MlflowClient;

async function dump(runId: string): Promise<Dump> {
  const { stdout } = await run(python, [path.join(scriptDir, 'dump_run.py'), uri, runId], {
    env: { ...process.env, MLFLOW_DISABLE_TELEMETRY: 'true' },
    maxBuffer: 64 * 1024 * 1024,
  });
  return JSON.parse(stdout) as Dump;
}

/** The trace of the row with these inputs. */
function traceByQuestion(d: Dump, question: string): DumpedTrace {
  const trace = d.traces.find(
    (t) =>
      (t.spans.find((s) => s.parent_id === null)?.inputs as { question?: string })?.question === question,
  );
  if (trace === undefined) throw new Error(`no trace for ${question}`);
  return trace;
}

/** Assessments without what differs by construction (ids, span ids, run ids), sorted. */
function comparable(trace: DumpedTrace) {
  return trace.assessments
    .map((a) => ({
      name: a.name,
      kind: a.kind,
      value: typeof a.value === 'number' ? Number(a.value) : a.value,
      error: a.error,
      source_type: a.source_type,
      source_id: a.source_id,
      rationale: a.rationale,
    }))
    .sort((x, y) => `${x.kind}/${x.name}`.localeCompare(`${y.kind}/${y.name}`));
}

beforeAll(async () => {
  python = await requirePythonEnv(testHome(), 'mlflow');
  client = new MlflowClient({ trackingUri: uri });
  const refExperiment = `reference-${randomUUID()}`;
  const { stdout } = await run(
    python,
    [path.join(scriptDir, 'reference_evaluate.py'), uri, refExperiment, referenceDataPath],
    {
      env: { ...process.env, MLFLOW_DISABLE_TELEMETRY: 'true' },
      maxBuffer: 16 * 1024 * 1024,
    },
  );
  const last = stdout.trim().split('\n').pop() ?? '{}';
  const refRun = JSON.parse(last) as { run_id: string; metrics: Record<string, number> };
  reference = await dump(refRun.run_id);
  referenceMetrics = refRun.metrics;

  // judgeflow's side: the real library API on the same rows, with the TypeScript forms of the same
  // scorers (`test/python/reference_evaluate.py`): custom scorers returning a bool, a number, a string,
  // a Feedback, and throwing — written once through the server's batch writer (the test server is
  // judgeflow's own), once through the REST path any MLflow server takes.
  for (const writePath of paths) {
    const outDir = path.join(os.tmpdir(), `judgeflow-crosscheck-${randomUUID()}`);
    const result = await evaluate({
      data: referenceRows(),
      scorers: [
        scorer(({ outputs, expectations }) => outputs === expectations?.expected_response, {
          name: 'exact_match',
        }),
        scorer(({ outputs }) => String(outputs).length, { name: 'answer_length' }),
        scorer(({ outputs, expectations }) => (outputs === expectations?.expected_response ? 'yes' : 'no'), {
          name: 'verdict',
        }),
        scorer(
          ({ inputs }) => {
            const score = String(inputs.question).includes('?') ? 1.0 : 0.5;
            return { value: score, rationale: `question mark present: ${score === 1.0 ? 'True' : 'False'}` };
          },
          { name: 'judged' },
        ),
        scorer(
          () => {
            throw new Error('boom');
          },
          { name: 'always_fails' },
        ),
      ],
      mlflow: { trackingUri: uri, batchWriter: writePath === 'batch writer' ? 'auto' : 'off' },
      experiment: `judgeflow-${randomUUID()}`,
      outDir,
      env: { MLFLOW_DISABLE_TELEMETRY: 'true' },
    });
    oursBy.set(writePath, { dump: await dump(result.mlflow?.run_id ?? ''), summaryMetrics: result.metrics });
  }
}, 300_000);

afterAll(async () => {
  await client.close();
});

it('the test server has the batch writer, so both write paths are exercised', async () => {
  const { probeBatchWriter } = await import('../../src/sinks/mlflow/batch-writer.js');
  expect(await probeBatchWriter(client)).toMatchObject({ version: 1 });
});

describe.each(paths)('judgeflow (%s) vs mlflow.genai.evaluate(), read back by Python', (writePath) => {
  let ours: Dump;
  let oursSummaryMetrics: Record<string, number>;
  beforeAll(() => {
    const side = oursBy.get(writePath);
    if (side === undefined) throw new Error(`no ${writePath} run`);
    ours = side.dump;
    oursSummaryMetrics = side.summaryMetrics;
  });

  it('both runs finished with one trace per row', () => {
    expect(ours.run.status).toBe(reference.run.status);
    expect(ours.traces).toHaveLength(reference.traces.length);
    expect(reference.traces).toHaveLength(3);
  });

  it('has the same run tags (those Python sets)', () => {
    for (const key of ['mlflow.runType', 'mlflow.user', 'mlflow.source.type']) {
      expect(ours.run.tags[key], key).toBe(reference.run.tags[key]);
    }
    expect(ours.run.tags['mlflow.source.name']).toBeTruthy();
  });

  it("has Python's metric names and values: on the run, and in judgeflow's own summary", () => {
    // what Python returned is what Python logged
    expect(Object.keys(referenceMetrics).sort()).toEqual(Object.keys(reference.run.metrics).sort());
    const logged = Object.keys(ours.run.metrics)
      .filter((key) => !key.startsWith('usage/'))
      .sort();
    expect(logged).toEqual(Object.keys(referenceMetrics).sort());
    for (const [key, value] of Object.entries(referenceMetrics)) {
      expect(ours.run.metrics[key], key).toBeCloseTo(value, 10);
      expect(oursSummaryMetrics[key], `summary ${key}`).toBeCloseTo(value, 10);
    }
  });

  it('has the same dataset input: name, source type, schema, row count', () => {
    const [a] = ours.run.dataset_inputs;
    const [b] = reference.run.dataset_inputs;
    expect(a?.name).toBe(b?.name);
    expect(a?.source_type).toBe(b?.source_type);
    expect(a?.schema).toEqual(b?.schema);
    expect(a?.profile).toEqual(b?.profile);
  });

  it('has, per row, the same assessments (names, values, sources, rationales, errors)', () => {
    for (const row of referenceRows()) {
      const question = String(row.inputs.question);
      expect(comparable(traceByQuestion(ours, question)), question).toEqual(
        comparable(traceByQuestion(reference, question)),
      );
    }
  });

  it('puts every assessment on the root span and names the run in its metadata', () => {
    for (const d of [ours, reference]) {
      for (const trace of d.traces) {
        const root = trace.spans.find((s) => s.parent_id === null);
        for (const a of trace.assessments) expect(a.span_id).toBe(root?.span_id);
      }
    }
    const ourRun = ours.traces[0]?.metadata['mlflow.sourceRun'];
    for (const trace of ours.traces) {
      for (const a of trace.assessments.filter((x) => x.kind === 'feedback'))
        expect(a.source_run_id).toBe(ourRun);
    }
  });

  it('has the same trace layout: state, name, row tags, inputs/outputs metadata, previews, root span', () => {
    for (const row of referenceRows()) {
      const question = String(row.inputs.question);
      const a = traceByQuestion(ours, question);
      const b = traceByQuestion(reference, question);
      expect(a.state).toBe(b.state);
      expect(a.tags['mlflow.traceName']).toBe(b.tags['mlflow.traceName']);
      expect(a.tags.topic).toBe(b.tags.topic);
      expect(a.tags['mlflow.trace.spansLocation']).toBe(b.tags['mlflow.trace.spansLocation']);
      for (const key of ['mlflow.traceInputs', 'mlflow.traceOutputs', 'mlflow.trace_schema.version']) {
        expect(a.metadata[key], key).toBe(b.metadata[key]);
      }
      expect(a.request_preview).toBe(b.request_preview);
      expect(a.response_preview).toBe(b.response_preview);
      const rootA = a.spans.find((s) => s.parent_id === null);
      const rootB = b.spans.find((s) => s.parent_id === null);
      expect({
        name: rootA?.name,
        type: rootA?.span_type,
        inputs: rootA?.inputs,
        outputs: rootA?.outputs,
      }).toEqual({
        name: rootB?.name,
        type: rootB?.span_type,
        inputs: rootB?.inputs,
        outputs: rootB?.outputs,
      });
    }
  });
});
