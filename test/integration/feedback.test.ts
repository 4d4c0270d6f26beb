import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { feedbackCommand } from '../../src/cli/commands/feedback.js';
import { runCommand } from '../../src/cli/commands/run.js';
import { requirePythonEnv } from '../../src/setup/python-env.js';
import { MlflowClient } from '../../src/sinks/mlflow/client.js';
import { captureIo, noMlflowRun, repoRoot, tempDir } from '../helpers/cli.js';
import { testHome } from './servers/mlflow.js';

// `judgeflow feedback` against the real MLflow of the global setup: examples/basic (code scorers)
// is run and logged, a recorded LLM judge assessment is added to two of its traces, then two
// reviewers' labels are written by the CLI and read back with the Python `mlflow` package —
// HUMAN sources with the reviewers' ids, the judge's assessment overridden (valid=false) as
// `mlflow.override_feedback` leaves it, re-labelling updating instead of duplicating, and a bad
// labels file rejected line by line with nothing written.

const exec = promisify(execFile);
const uri = inject('mlflowUri');
const experiment = `feedback-it-${randomUUID().slice(0, 8)}`;
let dir: string;
let client: MlflowClient;
let runId = '';
let experimentId = '';
let python = '';
const traceOf: Record<string, string> = {};
const judgeIds: Record<string, string> = {};

interface PyAssessment {
  id: string;
  name: string;
  source_type: string;
  source_id: string;
  value: unknown;
  kind: 'feedback' | 'expectation';
  valid: boolean | null;
  overrides: string | null;
  rationale: string | null;
  span_id: string | null;
}

/** Every trace of the run as Python's `mlflow.search_traces(run_id=…)` returns it: row id → assessments. */
async function pythonAssessments(): Promise<Record<string, PyAssessment[]>> {
  const script = [
    'import json, sys, mlflow',
    'from mlflow.entities import Feedback',
    'mlflow.set_tracking_uri(sys.argv[1])',
    'traces = mlflow.search_traces(locations=[sys.argv[3]], run_id=sys.argv[2], return_type="list")',
    'out = {}',
    'for t in traces:',
    '    row = t.info.tags.get("mlflow.eval.requestId")',
    '    out[row] = [{"id": a.assessment_id, "name": a.name, "source_type": a.source.source_type,',
    '        "source_id": a.source.source_id, "value": a.value,',
    '        "kind": "feedback" if isinstance(a, Feedback) else "expectation",',
    '        "valid": a.valid, "overrides": a.overrides, "rationale": a.rationale, "span_id": a.span_id}',
    '        for a in t.info.assessments]',
    'print(json.dumps(out))',
  ].join('\n');
  const { stdout } = await exec(python, ['-c', script, uri, runId, experimentId], {
    env: { ...process.env, MLFLOW_DISABLE_TELEMETRY: 'true' },
    maxBuffer: 64 * 1024 * 1024,
  });
  return JSON.parse(stdout) as Record<string, PyAssessment[]>;
}

const human = (list: PyAssessment[] | undefined, name: string) =>
  (list ?? []).filter((a) => a.name === name && a.source_type === 'HUMAN' && a.kind === 'feedback');

async function feedback(args: { file: string; content: string; extra?: object }) {
  const file = path.join(dir, args.file);
  await writeFile(file, args.content);
  const printed = captureIo({ cwd: dir });
  const code = await feedbackCommand(
    runId,
    { labels: args.file, trackingUri: uri, expectationName: 'expected_response', ...(args.extra ?? {}) },
    printed.io,
  );
  return { code, stdout: printed.stdout(), stderr: printed.stderr() };
}

beforeAll(async () => {
  dir = await tempDir('feedback-it');
  client = new MlflowClient({ trackingUri: uri });
  python = await requirePythonEnv(testHome(), 'mlflow');
  const out = path.join(dir, 'run');
  const printed = captureIo({ cwd: dir });
  const code = await runCommand(
    path.join(repoRoot, 'examples', 'basic', 'eval.yaml'),
    { ...noMlflowRun, mlflow: true, trackingUri: uri, experiment, out, limit: 12 },
    printed.io,
  );
  expect([0, 1], printed.stderr()).toContain(code);
  const summary = JSON.parse(await readFile(path.join(out, 'summary.json'), 'utf8')) as {
    mlflow: { run_id: string; experiment_id: string };
  };
  runId = summary.mlflow.run_id;
  experimentId = summary.mlflow.experiment_id;
  for await (const info of client.searchAllTraces({
    experimentIds: [experimentId],
    filter: `attributes.run_id = '${runId}'`,
  })) {
    const row = info.tags?.['mlflow.eval.requestId'];
    if (row !== undefined) traceOf[row] = info.trace_id;
  }
  expect(Object.keys(traceOf)).toHaveLength(12);
  // a recorded LLM judge verdict, as judgeflow's judges write it, on three rows
  for (const row of ['qa-001', 'qa-002', 'qa-010']) {
    const created = await client.createAssessment(traceOf[row] as string, {
      assessment_name: 'correctness',
      source: { source_type: 'LLM_JUDGE', source_id: 'openai:/gpt-4.1-mini' },
      feedback: { value: 'yes' },
      rationale: 'The answer matches the expected response.',
      metadata: { 'mlflow.assessment.sourceRunId': runId },
    });
    judgeIds[row] = created.assessment_id as string;
  }
}, 240_000);

afterAll(async () => {
  await client?.close();
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
});

describe('judgeflow feedback into a real MLflow', () => {
  it('rejects a bad labels file line by line and writes nothing', async () => {
    const result = await feedback({
      file: 'bad.csv',
      content: [
        'trace_id,row_id,name,value,reviewer,rationale',
        ',qa-001,correctness,no,carol,fine line',
        `tr-${'0'.repeat(32)},,correctness,yes,carol,unknown trace`,
        ',qa-002,correctness,yes,carol,',
        ',qa-003,correctness,maybe,carol,out of scale',
      ].join('\n'),
    });
    expect(result.code, result.stderr).toBe(2);
    expect(result.stderr).toMatch(/bad\.csv:3: trace_id: a trace of run .* got 'tr-0{32}'/);
    expect(result.stderr).toMatch(/bad\.csv:5: value: a pass\/fail value .* got 'maybe'/);
    expect(result.stderr).not.toMatch(/bad\.csv:[24]:/);
    expect(result.stderr).toContain('nothing was written');

    const bad = await feedback({
      file: 'bad.jsonl',
      content: [
        JSON.stringify({ trace_id: traceOf['qa-001'], name: 'correctness', value: 'no', reviewer: 'carol' }),
        JSON.stringify({ trace_id: traceOf['qa-002'], name: 'exact_match', value: 'yes', reviewer: 'carol' }),
        JSON.stringify({
          trace_id: `tr-${'f'.repeat(32)}`,
          name: 'correctness',
          value: 'no',
          reviewer: 'carol',
        }),
        JSON.stringify({ trace_id: traceOf['qa-003'], name: 'correctness', reviewer: 'carol' }),
        JSON.stringify({ trace_id: traceOf['qa-004'], name: 'correctness', value: 7, reviewer: 'carol' }),
      ].join('\n'),
    });
    expect(bad.code, bad.stderr).toBe(2);
    expect(bad.stderr).toMatch(/bad\.jsonl:3: trace_id: a trace of run/);
    expect(bad.stderr).toMatch(/bad\.jsonl:4: value: a value/);
    expect(bad.stderr).toMatch(/bad\.jsonl:5: value: a pass\/fail value .* got '7'/);

    const stored = await pythonAssessments();
    const carol = Object.values(stored)
      .flat()
      .filter((a) => a.source_type === 'HUMAN' && a.source_id === 'carol');
    expect(carol).toEqual([]);
    // the judge's assessment was not overridden by the rejected file
    expect(stored['qa-001']?.find((a) => a.id === judgeIds['qa-001'])?.valid).toBe(true);
  });

  it("writes two reviewers' labels as HUMAN assessments that override the judge's, as MLflow defines", async () => {
    const result = await feedback({
      file: 'labels.csv',
      content: [
        // an annotation tool's export: its own column names, mapped with --map
        'trace_id,question_id,name,value,annotator,rationale,expected',
        ',qa-001,correctness,no,alice,Too terse for a capital question,"Paris, France"',
        ',qa-001,correctness,yes,bob,,',
        `${traceOf['qa-002']},,correctness,true,alice,,`,
        ',qa-003,exact_match,0,alice,Marked wrong on purpose,',
      ].join('\n'),
      extra: { map: ['question_id=row_id', 'annotator=reviewer'] },
    });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain('correctness  alice  2  (new 0, overriding a judge 2, updated 0)');
    expect(result.stdout).toContain('correctness  bob  1  (new 0, overriding a judge 1, updated 0)');
    expect(result.stdout).toContain('exact_match  alice  1  (new 0, overriding a judge 1, updated 0)');

    const stored = await pythonAssessments();
    const row1 = stored['qa-001'];
    const judge = row1?.find((a) => a.id === judgeIds['qa-001']);
    expect(judge).toMatchObject({ source_type: 'LLM_JUDGE', value: 'yes', valid: false, overrides: null });
    const labels = human(row1, 'correctness');
    expect(labels.map((a) => [a.source_id, a.value, a.valid, a.overrides]).sort()).toEqual([
      ['alice', 'no', true, judgeIds['qa-001']],
      ['bob', 'yes', true, judgeIds['qa-001']],
    ]);
    expect(labels.find((a) => a.source_id === 'alice')?.rationale).toBe('Too terse for a capital question');
    // override_feedback copies the judge's span id
    expect(labels[0]?.span_id).toBe(judge?.span_id);
    const expectation = row1?.filter((a) => a.kind === 'expectation' && a.source_id === 'alice');
    expect(expectation).toEqual([
      expect.objectContaining({ name: 'expected_response', source_type: 'HUMAN', value: 'Paris, France' }),
    ]);
    expect(human(stored['qa-002'], 'correctness')).toEqual([
      expect.objectContaining({
        source_id: 'alice',
        value: 'yes',
        valid: true,
        overrides: judgeIds['qa-002'],
      }),
    ]);
    // the code scorer's boolean verdict is overridden with a boolean
    const code = stored['qa-003']?.find((a) => a.name === 'exact_match' && a.source_type === 'CODE');
    expect(code?.valid).toBe(false);
    expect(human(stored['qa-003'], 'exact_match')).toEqual([
      expect.objectContaining({ source_id: 'alice', value: false, valid: true, overrides: code?.id }),
    ]);
    // rows nobody labelled keep valid judge/scorer assessments
    expect(stored['qa-010']?.find((a) => a.id === judgeIds['qa-010'])?.valid).toBe(true);
  });

  it('stores a label exactly as mlflow.override_feedback stores one', async () => {
    const trace = traceOf['qa-010'] as string;
    await exec(
      python,
      [
        '-c',
        [
          'import sys, mlflow',
          'from mlflow.entities import AssessmentSource',
          'mlflow.set_tracking_uri(sys.argv[1])',
          'mlflow.override_feedback(trace_id=sys.argv[2], assessment_id=sys.argv[3], value="no",',
          '    rationale="python", source=AssessmentSource(source_type="HUMAN", source_id="py-reviewer"))',
        ].join('\n'),
        uri,
        trace,
        judgeIds['qa-010'] as string,
      ],
      { env: { ...process.env, MLFLOW_DISABLE_TELEMETRY: 'true' } },
    );
    const result = await feedback({
      file: 'one.jsonl',
      content: JSON.stringify({ row_id: 'qa-010', name: 'correctness', value: 'no', rationale: 'ts' }),
      extra: { reviewer: 'ts-reviewer' },
    });
    expect(result.code, result.stderr).toBe(0);
    const info = await client.getTraceInfo(trace);
    const strip = (reviewer: string) => {
      const found = (info?.assessments ?? []).find((a) => a.source.source_id === reviewer);
      const { assessment_id, create_time, last_update_time, rationale, source, ...rest } = found ?? {
        source: {},
      };
      return { ...rest, source_type: (source as { source_type?: string }).source_type };
    };
    // the same stored fields (name, trace, span, source type, value, overrides, valid, no metadata)
    expect(strip('ts-reviewer')).toEqual(strip('py-reviewer'));
    expect(strip('ts-reviewer')).toMatchObject({
      overrides: judgeIds['qa-010'],
      valid: true,
      feedback: { value: 'no' },
    });
  });

  it("updates a reviewer's label when labelled again instead of adding a second one", async () => {
    const before = await pythonAssessments();
    const aliceBefore = human(before['qa-001'], 'correctness').find((a) => a.source_id === 'alice');
    const result = await feedback({
      file: 'again.jsonl',
      content: [
        JSON.stringify({
          row_id: 'qa-001',
          name: 'correctness',
          value: 'yes',
          reviewer: 'alice',
          rationale: 'Changed my mind',
        }),
        JSON.stringify({ row_id: 'qa-001', name: 'correctness', value: 'pass', reviewer: 'dave' }),
      ].join('\n'),
    });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain('correctness  alice  1  (new 0, overriding a judge 0, updated 1)');
    const stored = await pythonAssessments();
    const labels = human(stored['qa-001'], 'correctness');
    expect(labels.filter((a) => a.source_id === 'alice')).toEqual([
      expect.objectContaining({
        id: aliceBefore?.id,
        value: 'yes',
        rationale: 'Changed my mind',
        valid: true,
        overrides: judgeIds['qa-001'],
      }),
    ]);
    expect(labels.map((a) => a.source_id).sort()).toEqual(['alice', 'bob', 'dave']);
    expect(labels.find((a) => a.source_id === 'dave')?.value).toBe('yes');
  });

  it('takes a new criterion with --scale and rejects it with --strict', async () => {
    const strict = await feedback({
      file: 'quality.jsonl',
      content: JSON.stringify({ row_id: 'qa-004', name: 'helpfulness', value: 4, reviewer: 'bob' }),
      extra: { strict: true },
    });
    expect(strict.code).toBe(2);
    expect(strict.stderr).toMatch(/quality\.jsonl:1: name: a criterion of the run \(.*correctness.*\)/);
    const outOfScale = await feedback({
      file: 'quality.jsonl',
      content: JSON.stringify({ row_id: 'qa-004', name: 'helpfulness', value: 6, reviewer: 'bob' }),
      extra: { strict: true, scale: ['helpfulness=1-5'] },
    });
    expect(outOfScale.stderr).toMatch(/quality\.jsonl:1: value: an integer from 1 to 5, got '6'/);
    const ok = await feedback({
      file: 'quality.jsonl',
      content: JSON.stringify({ row_id: 'qa-004', name: 'helpfulness', value: '4', reviewer: 'bob' }),
      extra: { strict: true, scale: ['helpfulness=1-5'] },
    });
    expect(ok.code, ok.stderr).toBe(0);
    const stored = await pythonAssessments();
    expect(human(stored['qa-004'], 'helpfulness')).toEqual([
      expect.objectContaining({ source_id: 'bob', value: 4, valid: true, overrides: null }),
    ]);
  });
});

describe('judgeflow feedback --interactive', () => {
  it('asks row by row, hides the judge until answered, writes each answer at once', async () => {
    const { PassThrough } = await import('node:stream');
    const input = new PassThrough();
    const printed = captureIo({ cwd: dir });
    // erin: an out-of-scale answer is asked again; then "no" with a rationale; the next row skipped; quit
    input.end(['maybe', 'no', 'judge was lenient', '', 'q', ''].join('\n'));
    const code = await feedbackCommand(
      runId,
      { interactive: true, reviewer: 'erin', name: 'exact_match', trackingUri: uri, input },
      printed.io,
    );
    expect(code, printed.stderr()).toBe(0);
    const out = printed.stdout();
    expect(out).toContain('expected a pass/fail value (yes/no, true/false, 1/0, pass/fail), got');
    const firstPrompt = out.indexOf('exact_match [');
    const written = out.indexOf('written (overrode)');
    expect(firstPrompt).toBeGreaterThan(-1);
    expect(out.indexOf('inputs:  ')).toBeLessThan(firstPrompt);
    // the scorer's verdict appears only after the answer was written
    expect(written).toBeGreaterThan(firstPrompt);
    expect(out.indexOf('CODE exact_match: ')).toBeGreaterThan(written);
    expect(out).toContain('1 labels written by erin (stopped early)');
    const stored = await pythonAssessments();
    const erin = Object.values(stored)
      .flat()
      .filter((a) => a.source_type === 'HUMAN' && a.source_id === 'erin');
    expect(erin).toEqual([
      expect.objectContaining({
        name: 'exact_match',
        value: false,
        rationale: 'judge was lenient',
        valid: true,
      }),
    ]);
    expect(erin[0]?.overrides).not.toBeNull();
  });
});
