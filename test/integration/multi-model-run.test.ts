import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { cp, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, inject, it } from 'vitest';
import { runCommand } from '../../src/cli/commands/run.js';
import { validateCommand } from '../../src/cli/commands/validate.js';
import { requirePythonEnv } from '../../src/setup/python-env.js';
import { captureIo, repoRoot, tempDir } from '../helpers/cli.js';
import { testHome } from './servers/mlflow.js';

// An eval file with `models:` (two module models) and code scorers: one MLflow run per model in the
// same experiment, grouped by a shared tag, each with its own LoggedModel, output folder and run name.

const exec = promisify(execFile);

const runOptions = {
  failUnder: [],
  mlflow: true,
  executor: 'local' as const,
  workers: 1,
  workerConcurrency: 4,
  progress: false,
};

interface Layout {
  run_id: string;
  experiment_id: string;
  tags: Record<string, string>;
  metrics: Record<string, number>;
  dataset_inputs: Array<{ name: string; digest: string }>;
  model_inputs: string[];
  models: Record<string, { name: string; tags: Record<string, string> }>;
  trace_ids: string[];
  traces_by_model: Record<string, string[]>;
}

async function pythonLayout(runId: string): Promise<Layout> {
  const python = await requirePythonEnv(testHome(), 'mlflow');
  const { stdout } = await exec(
    python,
    [path.join(repoRoot, 'test/python/logged_model_layout.py'), 'read', inject('mlflowUri'), runId],
    { env: { ...process.env, MLFLOW_DISABLE_TELEMETRY: 'true' }, maxBuffer: 64 * 1024 * 1024 },
  );
  return JSON.parse(stdout.trim().split('\n').at(-1) as string) as Layout;
}

function evalFile(experiment: string, extra: string[] = []): string {
  return [
    `experiment: ${experiment}`,
    'run_name: capitals',
    'dataset:',
    '  path: capitals.jsonl',
    'sample: 3',
    'seed: 7',
    'models:',
    '  careful:',
    '    provider: module',
    '    path: models.ts',
    '    export: careful',
    '  sloppy:',
    '    provider: module',
    '    path: models.ts',
    '    export: sloppy',
    'scorers:',
    '  - exact_match',
    '  - { type: exact_match, name: exact_nocase, case_sensitive: false }',
    ...extra,
    '',
  ].join('\n');
}

describe('several models under test in one eval file', () => {
  it('runs each model on the same rows in its own MLflow run, grouped by a shared tag', async () => {
    const dir = await tempDir('multi-model');
    await cp(path.join(repoRoot, 'test/fixtures/multi-model'), dir, { recursive: true });
    const experiment = `multi-model-${randomUUID().slice(0, 8)}`;
    await writeFile(
      path.join(dir, 'eval.yaml'),
      evalFile(experiment, [
        // judged after both runs by the real local model, never per model
        '  - type: pairwise',
        '    criteria: the answer that names the capital city correctly',
        '    judge:',
        '      provider: openai-compatible',
        `      base_url: ${inject('judgeBaseUrl')}`,
        '      model: gemma-3-270m-q4_k_m',
      ]),
    );

    const check = captureIo({ cwd: dir });
    expect(await validateCommand('eval.yaml', check.io, { ...runOptions, mlflow: false })).toBe(0);
    expect(check.stdout()).toMatch(/model careful: valid/);
    expect(check.stdout()).toMatch(/model sloppy: valid/);

    const out = path.join(dir, 'out');
    const cli = captureIo({ cwd: dir });
    const code = await runCommand(
      'eval.yaml',
      { ...runOptions, trackingUri: inject('mlflowUri'), out },
      cli.io,
    );
    expect(code, cli.stderr()).toBe(0);
    expect((await readdir(out)).sort()).toEqual(['careful', 'compare-careful-vs-sloppy', 'sloppy']);
    const summaries = await Promise.all(
      ['careful', 'sloppy'].map(
        async (model) =>
          JSON.parse(await readFile(path.join(out, model, 'summary.json'), 'utf8')) as {
            run_name: string;
            mlflow: { run_id: string };
          },
      ),
    );
    const [careful, sloppy] = await Promise.all(summaries.map((s) => pythonLayout(s.mlflow.run_id)));
    if (careful === undefined || sloppy === undefined) throw new Error('two runs expected');

    // same experiment, one shared group, each run tagged with its model
    expect(careful.experiment_id).toBe(sloppy.experiment_id);
    const group = careful.tags['judgeflow.comparison_group'];
    expect(group).toMatch(/^[0-9a-f-]{36}$/);
    expect(sloppy.tags['judgeflow.comparison_group']).toBe(group);
    expect(careful.tags['judgeflow.model']).toBe('careful');
    expect(sloppy.tags['judgeflow.model']).toBe('sloppy');
    // the same rows (sample 3, seed 7): same dataset digest, same row ids on the traces
    expect(careful.dataset_inputs).toEqual(sloppy.dataset_inputs);
    expect(careful.trace_ids).toHaveLength(3);
    // two LoggedModels, named by the models: keys, each linked to its run and traces
    const [carefulModel] = careful.model_inputs;
    const [sloppyModel] = sloppy.model_inputs;
    expect(carefulModel).toBeDefined();
    expect(sloppyModel).toBeDefined();
    expect(carefulModel).not.toBe(sloppyModel);
    expect(careful.models[carefulModel as string]?.name).toBe('careful');
    expect(sloppy.models[sloppyModel as string]?.name).toBe('sloppy');
    expect(careful.traces_by_model[carefulModel as string]).toEqual(careful.trace_ids);
    expect(sloppy.traces_by_model[sloppyModel as string]).toEqual(sloppy.trace_ids);
    // the careful model is always right; the sloppy one only ignoring case
    expect(careful.metrics['exact_match/mean']).toBe(1);
    expect(sloppy.metrics['exact_nocase/mean']).toBe(1);
    expect(sloppy.metrics['exact_match/mean']).toBeLessThan(1);

    const stdout = cli.stdout();
    expect(stdout).toContain('model careful:');
    expect(stdout).toContain('model sloppy:');
    expect(stdout).toContain(`comparison group ${group}`);
    expect(stdout).toContain(summaries[0]?.mlflow.run_id);
    expect(stdout).toContain(summaries[1]?.mlflow.run_id);

    // then the comparison of the first model with the second, printed and written, pairwise included
    const comparison = JSON.parse(
      await readFile(path.join(out, 'compare-careful-vs-sloppy', 'comparison.json'), 'utf8'),
    ) as {
      a: { run_id: string };
      b: { run_id: string };
      paired_rows: number;
      metrics: Array<{ name: string; a: { mean: number }; b: { mean: number } }>;
      pairwise?: { pairs: number };
      mlflow?: { comparison_run_id: string };
    };
    expect(comparison.a.run_id).toBe(careful.run_id);
    expect(comparison.b.run_id).toBe(sloppy.run_id);
    expect(comparison.paired_rows).toBe(3);
    const exact = comparison.metrics.find((m) => m.name === 'exact_match');
    expect(exact?.a.mean).toBe(1);
    expect(exact?.b.mean).toBe(sloppy.metrics['exact_match/mean']);
    expect(comparison.pairwise?.pairs).toBe(3);
    expect(comparison.mlflow?.comparison_run_id).toMatch(/^[0-9a-f]{32}$/);
    expect(stdout).toMatch(/exact_match/);
    expect(stdout).not.toContain('compare them with');
  });

  it('refuses model: with models:, and a pairwise scorer with fewer than two models', async () => {
    const dir = await tempDir('multi-model-errors');
    await cp(path.join(repoRoot, 'test/fixtures/multi-model'), dir, { recursive: true });
    const both = evalFile('x', []).replace(
      'models:',
      'model:\n  provider: module\n  path: models.ts\n  export: careful\nmodels:',
    );
    await writeFile(path.join(dir, 'both.yaml'), both);
    const one = captureIo({ cwd: dir });
    expect(await validateCommand('both.yaml', one.io, { ...runOptions, mlflow: false })).toBe(2);
    expect(one.stderr()).toMatch(/models: and model: cannot both be set/);

    const single = [
      'dataset:',
      '  path: capitals.jsonl',
      'model:',
      '  provider: module',
      '  path: models.ts',
      '  export: careful',
      'scorers:',
      '  - exact_match',
      '  - { type: pairwise, criteria: the shorter answer }',
      '',
    ].join('\n');
    await writeFile(path.join(dir, 'single.yaml'), single);
    const two = captureIo({ cwd: dir });
    expect(await validateCommand('single.yaml', two.io, { ...runOptions, mlflow: false })).toBe(2);
    expect(two.stderr()).toMatch(/single\.yaml:9: scorers\[1\]: a pairwise scorer compares two models/);

    // with two models the pairwise entry is accepted and left out of each model's own scorers
    await writeFile(
      path.join(dir, 'pairwise.yaml'),
      evalFile('x', ['  - { type: pairwise, criteria: the correctly capitalised answer }']),
    );
    const three = captureIo({ cwd: dir });
    expect(
      await validateCommand('pairwise.yaml', three.io, { ...runOptions, mlflow: false }),
      three.stderr(),
    ).toBe(0);
    expect(three.stdout()).toMatch(/model sloppy: valid .* 2 scorers \(exact_match, exact_nocase\)/);
    expect(three.stdout()).toMatch(/1 pairwise scorer\(s\) \(pairwise\) compare the models after their runs/);
  });
});
