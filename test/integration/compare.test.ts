import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Comparison } from '../../src/app/compare/index.js';
import { type CompareCliOptions, compareCommand } from '../../src/cli/commands/compare.js';
import { runCommand } from '../../src/cli/commands/run.js';
import { requirePythonEnv } from '../../src/setup/python-env.js';
import { MlflowClient } from '../../src/sinks/mlflow/client.js';
import { captureIo, noMlflowRun, repoRoot, spawnCli, tempDir, waitForExit } from '../helpers/cli.js';
import { testHome } from './servers/mlflow.js';

// `judgeflow compare` end to end on two real evaluations logged to the real MLflow server: model A
// (examples/basic's answers) and model B (the same, but "I am not sure." on 12 questions A gets right),
// both module models of test/fixtures/compare over one dataset. The comparison run is read back over
// REST and with the Python `mlflow` package; the CLI process exits 1 with --fail-if-worse.

const exec = promisify(execFile);
const FIXTURE = path.join(repoRoot, 'test', 'fixtures', 'compare');
const uri = inject('mlflowUri');
const experiment = `compare-it-${randomUUID().slice(0, 8)}`;
let dir: string;
let client: MlflowClient;
const runs: Record<'a' | 'b', { runId: string; experimentId: string; out: string }> = {
  a: { runId: '', experimentId: '', out: '' },
  b: { runId: '', experimentId: '', out: '' },
};

const options: CompareCliOptions = { mlflow: true, trackingUri: uri, json: true, resamples: 2000 };

beforeAll(async () => {
  dir = await tempDir('compare-it');
  client = new MlflowClient({ trackingUri: uri });
  for (const side of ['a', 'b'] as const) {
    const out = path.join(dir, `run-${side}`);
    const printed = captureIo({ cwd: dir });
    const code = await runCommand(
      path.join(FIXTURE, `eval-${side}.yaml`),
      { ...noMlflowRun, mlflow: true, trackingUri: uri, experiment, out },
      printed.io,
    );
    expect(code, printed.stderr()).toBe(0);
    const summary = JSON.parse(await readFile(path.join(out, 'summary.json'), 'utf8')) as {
      mlflow: { run_id: string; experiment_id: string };
    };
    runs[side] = { runId: summary.mlflow.run_id, experimentId: summary.mlflow.experiment_id, out };
  }
});

afterAll(async () => {
  await client?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('judgeflow compare on two MLflow runs', () => {
  it("logs a comparison run in B's experiment, linked to both runs, with metrics, params and artifacts", async () => {
    const printed = captureIo({ cwd: dir });
    const code = await compareCommand(runs.a.runId, runs.b.runId, { ...options, out: 'cmp' }, printed.io);
    expect(code, printed.stderr()).toBe(0);
    const comparison = JSON.parse(printed.stdout()) as Comparison;
    expect(comparison.a).toMatchObject({
      source: 'mlflow',
      run_id: runs.a.runId,
      run_name: 'model-a-baseline',
      dataset: { name: 'compare-qa', rows: 30 },
    });
    expect(comparison.a.dataset.digest).toMatch(/^[0-9a-f]+$/);
    expect(comparison.paired_rows).toBe(30);
    expect(comparison.warnings).toEqual([]);
    const exact = comparison.metrics.find((m) => m.name === 'exact_match');
    expect(exact).toMatchObject({ kind: 'pass_fail', n: 30, losses: 12, wins: 0, verdict: 'worse' });
    expect(comparison.regressions.filter((r) => r.metric === 'exact_match')).toHaveLength(12);
    expect(comparison.regressions[0]).toMatchObject({
      row_id: 'qa-001',
      inputs: { question: 'What is the capital of France?' },
      a: { outputs: 'Paris', value: true, rationale: 'outputs match the expected response' },
      b: { outputs: 'I am not sure.', value: false },
    });

    const runId = comparison.mlflow?.comparison_run_id as string;
    expect(comparison.mlflow?.experiment_id).toBe(runs.b.experimentId);
    expect(comparison.mlflow?.url).toBe(`${uri}/#/experiments/${runs.b.experimentId}/runs/${runId}`);
    const run = await client.getRun(runId);
    expect(run.info.status).toBe('FINISHED');
    expect(run.info.run_name).toBe('compare model-a-baseline vs model-b-degraded');
    const tags = Object.fromEntries((run.data?.tags ?? []).map((t) => [t.key, t.value]));
    expect(tags).toMatchObject({
      'judgeflow.kind': 'comparison',
      'judgeflow.compare.a_run_id': runs.a.runId,
      'judgeflow.compare.b_run_id': runs.b.runId,
    });
    expect(tags['mlflow.note.content']).toContain('model-a-baseline');
    expect(tags['mlflow.note.content']).toContain('model-b-degraded');
    const metrics = Object.fromEntries((run.data?.metrics ?? []).map((m) => [m.key, m.value]));
    expect(metrics['exact_match/diff']).toBeCloseTo(-0.4, 10);
    expect(metrics['exact_match/a_mean']).toBeCloseTo(22 / 30, 10);
    expect(metrics['exact_match/b_mean']).toBeCloseTo(10 / 30, 10);
    expect(metrics['exact_match/p_value']).toBe(exact?.test.p_value);
    expect(metrics['exact_match/p_holm']).toBe(exact?.p_adjusted);
    expect(metrics['exact_match/diff_ci_low']).toBe(exact?.diff_ci[0]);
    expect(metrics['similarity/diff_ci_high']).toBeLessThan(0);
    const params = Object.fromEntries((run.data?.params ?? []).map((p) => [p.key, p.value]));
    expect(params).toMatchObject({
      seed: '0',
      resamples: '2000',
      alpha: '0.05',
      a: runs.a.runId,
      b: runs.b.runId,
    });

    const artifactUri = run.info.artifact_uri as string;
    const logged = JSON.parse(
      await client.downloadArtifact({ artifactUri, path: 'comparison.json' }),
    ) as Comparison;
    expect(logged.mlflow?.comparison_run_id).toBe(runId);
    expect(logged.metrics).toEqual(comparison.metrics);
    const local = JSON.parse(await readFile(path.join(dir, 'cmp', 'comparison.json'), 'utf8')) as Comparison;
    expect(local.mlflow?.comparison_run_id).toBe(runId);

    // the compared runs are left as they were: no tag points back to the comparison
    for (const side of [runs.a, runs.b]) {
      const compared = await client.getRun(side.runId);
      expect((compared.data?.tags ?? []).filter((t) => t.key.startsWith('judgeflow.compare'))).toEqual([]);
    }

    // the regressions table reads as an MLflow table, as a user loads it
    const python = await requirePythonEnv(testHome(), 'mlflow');
    const { stdout } = await exec(
      python,
      [
        '-c',
        [
          'import json, sys, mlflow',
          'mlflow.set_tracking_uri(sys.argv[1])',
          'mlflow.set_experiment(experiment_id=sys.argv[3])',
          't = mlflow.load_table("comparison_regressions.json", run_ids=[sys.argv[2]])',
          'print(json.dumps({"columns": [c for c in t.columns if c != "run_id"], "rows": len(t), "first": [t["row_id"][0], t["metric"][0], t["b_outputs"][0]]}))',
        ].join('\n'),
        uri,
        runId,
        runs.b.experimentId,
      ],
      { env: { ...process.env, MLFLOW_DISABLE_TELEMETRY: 'true' } },
    );
    expect(JSON.parse(stdout)).toEqual({
      columns: [
        'row_id',
        'metric',
        'inputs',
        'expectations',
        'a_outputs',
        'b_outputs',
        'a_value',
        'b_value',
        'a_rationale',
        'b_rationale',
      ],
      rows: comparison.regressions.length,
      first: ['qa-001', 'exact_match', 'I am not sure.'],
    });
  });

  it('compares a results folder with a run id, linking the run the folder was logged to', async () => {
    const printed = captureIo({ cwd: dir });
    const code = await compareCommand(
      runs.a.out,
      runs.b.runId,
      { ...options, experiment: `${experiment}-cmp`, out: 'cmp2' },
      printed.io,
    );
    expect(code, printed.stderr()).toBe(0);
    const comparison = JSON.parse(printed.stdout()) as Comparison;
    expect(comparison.a).toMatchObject({ source: 'folder', run_id: runs.a.runId, path: runs.a.out });
    const run = await client.getRun(comparison.mlflow?.comparison_run_id as string);
    const experimentRecord = await client.getExperiment(run.info.experiment_id);
    expect(experimentRecord.name).toBe(`${experiment}-cmp`);
    const tags = Object.fromEntries((run.data?.tags ?? []).map((t) => [t.key, t.value]));
    expect(tags['judgeflow.compare.a_run_id']).toBe(runs.a.runId);
  });

  it('the CLI exits 1 with --fail-if-worse when B is clearly worse, and says why', async () => {
    const child = spawnCli([
      'compare',
      runs.a.runId,
      runs.b.runId,
      '--tracking-uri',
      uri,
      '--no-mlflow',
      '--fail-if-worse',
      'exact_match',
      '--out',
      path.join(dir, 'cmp3'),
    ]);
    const { code, stdout, stderr } = await waitForExit(child);
    expect(code, stderr).toBe(1);
    expect(stdout).toMatch(/^exact_match\s+30\s+0\.733\s+0\.333 .* WORSE$/m);
    expect(stderr).toMatch(/--fail-if-worse: B is significantly worse than A on exact_match/);
  });

  it('an unknown run id is invalid input, named with the server', async () => {
    const unknown = randomUUID().replaceAll('-', '');
    const printed = captureIo({ cwd: dir });
    const code = await compareCommand(runs.a.runId, unknown, { ...options, mlflow: false }, printed.io);
    expect(code).toBe(2);
    expect(printed.stderr()).toContain(`no MLflow run ${unknown} on ${uri}`);
  });
});
