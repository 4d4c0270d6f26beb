import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { CalibrationReport } from '../../src/app/calibrate/index.js';
import { calibrateCommand } from '../../src/cli/commands/calibrate.js';
import { runCommand } from '../../src/cli/commands/run.js';
import { requirePythonEnv } from '../../src/setup/python-env.js';
import { MlflowClient } from '../../src/sinks/mlflow/client.js';
import type { Assessment, TraceInfo } from '../../src/sinks/mlflow/wire.js';
import { captureIo, noMlflowRun, repoRoot, tempDir } from '../helpers/cli.js';
import { runParity } from '../helpers/parity.js';
import { testHome } from './servers/mlflow.js';

// `judgeflow calibrate RUN` end to end on a real evaluation in the real MLflow server: examples/basic
// (code scorers; its exact_match stands in for a judge, source CODE), plus an LLM_JUDGE "correctness"
// written through the client with a prompt version and three samples per verdict, one of them
// overridden. Two reviewers label ten traces as HUMAN assessments. The expected accuracy, Cohen's κ,
// confusion matrix, Fleiss' κ and Krippendorff's α come from scikit-learn / statsmodels / krippendorff
// in this run; the metrics are read back over REST and the table with the Python mlflow package.

const exec = promisify(execFile);
const uri = inject('mlflowUri');
const experiment = `calibrate-it-${randomUUID().slice(0, 8)}`;
let dir: string;
let client: MlflowClient;
let runId = '';
let experimentId = '';
let labelled: TraceInfo[] = [];
/** Per labelled trace: exact_match's verdict, alice's and bob's labels. */
const judged: Array<{ judge: 'yes' | 'no'; alice: 'yes' | 'no'; bob: 'yes' | 'no' }> = [];

const now = () => new Date().toISOString();
const flip = (v: 'yes' | 'no') => (v === 'yes' ? 'no' : 'yes');

async function assess(traceId: string, assessment: Assessment): Promise<Assessment> {
  return client.createAssessment(traceId, { ...assessment, create_time: now(), last_update_time: now() });
}

beforeAll(async () => {
  dir = await tempDir('calibrate-it');
  client = new MlflowClient({ trackingUri: uri });
  const printed = captureIo({ cwd: dir });
  const out = path.join(dir, 'run');
  const code = await runCommand(
    path.join(repoRoot, 'examples', 'basic', 'eval.yaml'),
    { ...noMlflowRun, mlflow: true, trackingUri: uri, experiment, out },
    printed.io,
  );
  expect(code, printed.stderr()).toBe(0);
  const summary = JSON.parse(await readFile(path.join(out, 'summary.json'), 'utf8')) as {
    mlflow: { run_id: string; experiment_id: string };
  };
  runId = summary.mlflow.run_id;
  experimentId = summary.mlflow.experiment_id;
  const traces: TraceInfo[] = [];
  for await (const info of client.searchAllTraces({
    experimentIds: [experimentId],
    filter: `attributes.run_id = '${runId}'`,
  }))
    traces.push(info);
  expect(traces).toHaveLength(50);
  labelled = traces
    .sort((a, b) =>
      (a.tags?.['mlflow.eval.requestId'] ?? '').localeCompare(b.tags?.['mlflow.eval.requestId'] ?? ''),
    )
    .slice(0, 10);
  // the answers in examples/basic are right; make the judge's verdicts disagree somewhere by labelling
  // against them: alice flips items 1, 4, 7; bob agrees with alice except on 4 and 8
  for (const [i, trace] of labelled.entries()) {
    const verdict = trace.assessments?.find(
      (a) => a.assessment_name === 'exact_match' && a.feedback !== undefined,
    );
    const judge = verdict?.feedback?.value === true ? 'yes' : 'no';
    const alice = [1, 4, 7].includes(i) ? flip(judge) : judge;
    const bob = [4, 8].includes(i) ? flip(alice) : alice;
    judged.push({ judge, alice, bob });
    for (const [reviewer, value] of [
      ['alice', alice],
      ['bob', bob],
    ] as const) {
      await assess(trace.trace_id, {
        assessment_name: 'exact_match',
        source: { source_type: 'HUMAN', source_id: reviewer },
        feedback: { value },
        rationale: `${reviewer}'s label`,
      });
      await assess(trace.trace_id, {
        assessment_name: 'correctness',
        source: { source_type: 'HUMAN', source_id: reviewer },
        feedback: { value: value === 'yes' },
      });
    }
    // an LLM judge on correctness, prompt version 3, three samples; it agrees with alice everywhere
    // but on item 9, and its sample on item 0 splits 2–1
    const value = i === 9 ? flip(alice) : alice;
    const samples = i === 0 ? [value, value, flip(value)] : [value, value, value];
    const first = await assess(trace.trace_id, {
      assessment_name: 'correctness',
      source: { source_type: 'LLM_JUDGE', source_id: 'openai:/gpt-4.1-mini' },
      feedback: { value: i === 2 ? flip(value) : value },
      metadata: {
        'judgeflow.prompt.name': 'judgeflow.correctness',
        'judgeflow.prompt.version': '3',
        'judgeflow.judge.samples': '3',
        'judgeflow.judge.sampleValues': JSON.stringify(samples),
      },
    });
    if (i === 2) {
      // a correction of the judge's verdict on item 2: the first one becomes valid: false
      await assess(trace.trace_id, {
        assessment_name: 'correctness',
        source: { source_type: 'LLM_JUDGE', source_id: 'openai:/gpt-4.1-mini' },
        feedback: { value },
        overrides: first.assessment_id as string,
        metadata: {
          'judgeflow.prompt.name': 'judgeflow.correctness',
          'judgeflow.prompt.version': '3',
          'judgeflow.judge.samples': '3',
          'judgeflow.judge.sampleValues': JSON.stringify(samples),
        },
      });
    }
  }
}, 240_000);

afterAll(async () => {
  await client?.close();
  await rm(dir, { recursive: true, force: true });
});

interface Reference {
  kappa: Array<number | null>;
  fleiss: Array<number | null>;
  alpha: Array<number | null>;
  confusion: number[][][];
}

describe('judgeflow calibrate RUN', () => {
  it('prints and logs accuracy, kappa, confusion, the human ceiling and self-agreement', async () => {
    const printed = captureIo({ cwd: dir });
    const code = await calibrateCommand(runId, { mlflow: true, trackingUri: uri, json: true }, printed.io);
    expect(code, printed.stderr()).toBe(0);
    const report = JSON.parse(printed.stdout()) as CalibrationReport;

    // the reference numbers, from the labels as written
    const agreed = judged.filter((j) => j.alice === j.bob);
    const correctness = judged.map((j, i) => (i === 9 ? flip(j.alice) : j.alice));
    const ref = runParity<Reference>(
      'test/parity/calibration/reference.py',
      [],
      JSON.stringify({
        kappa: [
          { y1: agreed.map((j) => j.alice), y2: agreed.map((j) => j.judge) },
          { y1: judged.map((j) => j.alice), y2: judged.map((j) => j.bob) },
          {
            y1: judged.filter((j) => j.alice === j.bob).map((j) => j.alice),
            y2: correctness.filter((_, i) => judged[i]?.alice === judged[i]?.bob),
          },
        ],
        confusion: [
          { y1: agreed.map((j) => j.alice), y2: agreed.map((j) => j.judge), labels: ['no', 'yes'] },
        ],
        fleiss: [
          judged.map((j) => ['no', 'yes'].map((label) => [j.alice, j.bob].filter((v) => v === label).length)),
        ],
        alpha: [
          {
            data: [judged.map((j) => j.alice), judged.map((j) => j.bob)],
            level: 'nominal',
            value_domain: null,
          },
        ],
        spearman: [],
      }),
    );

    const exact = report.judges.find((j) => j.name === 'exact_match');
    expect(exact).toMatchObject({ source_type: 'CODE', n: agreed.length, no_majority: 10 - agreed.length });
    expect(exact?.accuracy).toBe(agreed.filter((j) => j.alice === j.judge).length / agreed.length);
    expect(exact?.cohen_kappa).toBe(ref.kappa[0]);
    expect(exact?.confusion).toEqual({ labels: ['no', 'yes'], matrix: ref.confusion[0] });
    expect(exact?.per_reviewer.map((r) => r.reviewer)).toEqual(['alice', 'bob']);
    const human = report.humans.find((h) => h.name === 'exact_match');
    expect(human?.reviewers).toEqual(['alice', 'bob']);
    expect(human?.cohen_kappa).toBe(ref.kappa[1]);
    expect(human?.fleiss_kappa).toBe(ref.fleiss[0]);
    expect(human?.krippendorff_alpha).toBe(ref.alpha[0]);

    const judge = report.judges.find((j) => j.name === 'correctness');
    expect(judge).toMatchObject({
      source_type: 'LLM_JUDGE',
      judge: 'openai:/gpt-4.1-mini',
      prompt_name: 'judgeflow.correctness',
      prompt_version: '3',
      overridden: 1,
    });
    // the override counts, not the overridden verdict: wrong only on item 9 (if 9 has a majority)
    expect(judge?.cohen_kappa).toBe(ref.kappa[2]);
    expect(judge?.cohen_kappa).toBeGreaterThan(0.3);
    expect(judge?.self_agreement).toMatchObject({ items: 10, unanimous: 0.9 });
    expect(judge?.self_agreement?.mean_pairwise).toBeCloseTo((9 + 1 / 3) / 10, 14);

    // the calibration run: metrics, the link both ways, the table
    const where = report.mlflow;
    expect(where?.experiment_id).toBe(experimentId);
    const run = await client.getRun(where?.calibration_run_id as string);
    const metrics = Object.fromEntries((run.data?.metrics ?? []).map((m) => [m.key, m.value]));
    expect(metrics['calibration/exact_match/accuracy']).toBe(exact?.accuracy);
    expect(metrics['calibration/exact_match/cohen_kappa']).toBe(ref.kappa[0]);
    expect(metrics['calibration/exact_match/human/cohen_kappa']).toBe(ref.kappa[1]);
    expect(metrics['calibration/exact_match/human/krippendorff_alpha']).toBe(ref.alpha[0]);
    expect(metrics['calibration/correctness/v3/cohen_kappa']).toBe(ref.kappa[2]);
    expect(metrics['calibration/correctness/v3/overridden']).toBe(1);
    expect(metrics['calibration/correctness/v3/self_agreement']).toBeCloseTo((9 + 1 / 3) / 10, 12);
    const tags = Object.fromEntries((run.data?.tags ?? []).map((t) => [t.key, t.value]));
    expect(tags['judgeflow.kind']).toBe('calibration');
    expect(tags['judgeflow.calibrate.run_id']).toBe(runId);
    const evaluated = await client.getRun(runId);
    expect(evaluated.data?.tags?.find((t) => t.key === 'judgeflow.calibration.latest_run_id')?.value).toBe(
      where?.calibration_run_id,
    );

    // the table reads as an MLflow table from Python
    const python = await requirePythonEnv(testHome(), 'mlflow');
    const { stdout } = await exec(
      python,
      [
        '-c',
        [
          'import json, sys, mlflow',
          'mlflow.set_tracking_uri(sys.argv[1])',
          'mlflow.set_experiment(experiment_id=sys.argv[3])',
          't = mlflow.load_table("calibration_table.json", run_ids=[sys.argv[2]])',
          'm = mlflow.get_run(sys.argv[2]).data.metrics',
          'row = t[t["name"] == "exact_match"].iloc[0]',
          'print(json.dumps({"rows": len(t), "matrix": [list(map(int, r)) for r in row["confusion_matrix"]], "kappa": m["calibration/exact_match/cohen_kappa"]}))',
        ].join('\n'),
        uri,
        where?.calibration_run_id as string,
        experimentId,
      ],
      { env: { ...process.env, MLFLOW_DISABLE_TELEMETRY: 'true' } },
    );
    expect(JSON.parse(stdout)).toEqual({ rows: 2, matrix: ref.confusion[0], kappa: ref.kappa[0] });

    // and the printed table
    const text = captureIo({ cwd: dir });
    expect(await calibrateCommand(runId, { mlflow: false, trackingUri: uri }, text.io)).toBe(0);
    expect(text.stdout()).toMatch(/exact_match \(exact_match\)\s+-\s+\d+\s+\d\.\d{3}/);
    expect(text.stdout()).toContain('human agreement (the ceiling):');
    expect(text.stdout()).toContain('judgeflow.correctness@v3');
    expect(report.unlabelled_judges).toEqual(['mentions_expected_fact', 'short_answer', 'similarity']);
  }, 240_000);

  it('--labels FILE --run RUN: reports an unknown row with its line and writes nothing', async () => {
    const file = path.join(dir, 'labels.csv');
    const rowId = labelled[0]?.tags?.['mlflow.eval.requestId'] as string;
    await writeFile(
      file,
      `row_id,name,value,reviewer\n${rowId},exact_match,yes,carol\nqa-nope,exact_match,no,carol\n`,
    );
    const printed = captureIo({ cwd: dir });
    const code = await calibrateCommand(
      undefined,
      { run: runId, labels: 'labels.csv', mlflow: true, trackingUri: uri, json: true },
      printed.io,
    );
    expect(code).toBe(2);
    expect(printed.stderr()).toMatch(
      /labels\.csv:line 3: field "row_id": "qa-nope" is no trace or row of the run/,
    );
    const latest = (await client.getRun(runId)).data?.tags?.find(
      (t) => t.key === 'judgeflow.calibration.latest_run_id',
    );
    // the tag still names the calibration of the first test: nothing was logged
    const runs = await client.searchRuns({
      experimentIds: [experimentId],
      filter: "tags.`judgeflow.kind` = 'calibration'",
    });
    expect(runs.runs?.length ?? 0).toBe(1);
    expect(latest?.value).toBe(runs.runs?.[0]?.info.run_id);

    await writeFile(file, `row_id,name,value,reviewer\n${rowId},exact_match,yes,carol\n`);
    const ok = captureIo({ cwd: dir });
    expect(
      await calibrateCommand(
        undefined,
        { run: runId, labels: 'labels.csv', mlflow: false, trackingUri: uri, json: true },
        ok.io,
      ),
    ).toBe(0);
    const report = JSON.parse(ok.stdout()) as CalibrationReport;
    expect(report.humans.find((h) => h.name === 'exact_match')?.reviewers).toEqual(['alice', 'bob', 'carol']);
  }, 120_000);
});
