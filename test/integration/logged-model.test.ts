import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { cp, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, inject, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { requirePythonEnv } from '../../src/setup/python-env.js';
import { CONFIG_HASH_TAG, modelConfigHash } from '../../src/sinks/mlflow/logged-model.js';
import { repoRoot, tempDir } from '../helpers/cli.js';
import { testHome } from './servers/mlflow.js';

// The model under test as an MLflow LoggedModel: a real `judgeflow run` into the real MLflow server,
// read back with the Python `mlflow` package, and laid beside what `mlflow.genai.evaluate(model_id=)`
// writes for the same fields. Same config → same model id; changed config → a new model.

const exec = promisify(execFile);

interface Layout {
  run_id: string;
  experiment_id: string;
  status: string;
  tags: Record<string, string>;
  metrics: Record<string, number>;
  dataset_inputs: Array<{ name: string; digest: string; tags: Record<string, string> }>;
  model_inputs: string[];
  models: Record<
    string,
    {
      name: string;
      experiment_id: string;
      status: string;
      source_run_id: string | null;
      model_type: string | null;
      tags: Record<string, string>;
      params: Record<string, string>;
      metrics: Array<{
        key: string;
        value: number;
        run_id: string | null;
        model_id: string | null;
        dataset_name: string | null;
        dataset_digest: string | null;
        step: number;
      }>;
    }
  >;
  trace_model_keys: string[];
  trace_ids: string[];
  traces_by_model: Record<string, string[]>;
  searched_models: Array<{ model_id: string; name: string; tags: Record<string, string> }>;
}

async function pythonLayout(mode: 'read' | 'reference', arg: string): Promise<Layout> {
  const python = await requirePythonEnv(testHome(), 'mlflow');
  const { stdout } = await exec(
    python,
    [path.join(repoRoot, 'test/python/logged_model_layout.py'), mode, inject('mlflowUri'), arg],
    { env: { ...process.env, MLFLOW_DISABLE_TELEMETRY: 'true' }, maxBuffer: 64 * 1024 * 1024 },
  );
  return JSON.parse(stdout.trim().split('\n').at(-1) as string) as Layout;
}

async function evalRun(
  dir: string,
  name: string,
  experiment: string,
  exportName = 'careful',
): Promise<string> {
  const evalFile = path.join(dir, `${name}.yaml`);
  await writeFile(
    evalFile,
    [
      `experiment: ${experiment}`,
      `run_name: ${name}`,
      'dataset:',
      '  path: capitals.jsonl',
      'model:',
      '  provider: module',
      '  path: models.ts',
      `  export: ${exportName}`,
      '  name: capitals-app',
      'scorers:',
      '  - exact_match',
      '',
    ].join('\n'),
  );
  const out = path.join(dir, `out-${name}`);
  const code = await main([
    'node',
    'judgeflow',
    'run',
    evalFile,
    '--tracking-uri',
    inject('mlflowUri'),
    '--out',
    out,
    '--no-progress',
  ]);
  expect(code).toBe(0);
  const summary = JSON.parse(await readFile(path.join(out, 'summary.json'), 'utf8')) as {
    mlflow: { run_id: string };
  };
  return summary.mlflow.run_id;
}

describe('the model under test as an MLflow LoggedModel', () => {
  it('is created, linked as the run input, on every trace and metric, as evaluate(model_id=) links it; reused by config hash', async () => {
    const dir = await tempDir('logged-model');
    await cp(path.join(repoRoot, 'test/fixtures/multi-model'), dir, { recursive: true });
    const experiment = `logged-model-${randomUUID().slice(0, 8)}`;

    const first = await pythonLayout('read', await evalRun(dir, 'first', experiment));
    expect(first.status).toBe('FINISHED');
    expect(first.model_inputs).toHaveLength(1);
    const modelId = first.model_inputs[0] as string;
    expect(modelId).toMatch(/^m-[0-9a-f]{32}$/);
    const model = first.models[modelId];
    expect(model?.name).toBe('capitals-app');
    expect(model?.experiment_id).toBe(first.experiment_id);
    expect(model?.status).toBe('READY');
    expect(model?.tags[CONFIG_HASH_TAG]).toBe(
      modelConfigHash({ provider: 'module', path: 'models.ts', export: 'careful', name: 'capitals-app' }),
    );
    expect(model?.tags['mlflow.model.isExternal']).toBe('true');
    expect(model?.params).toEqual({ provider: 'module', path: 'models.ts', export: 'careful' });
    // every trace of the run names the model, and searching traces by model finds exactly them
    expect(first.trace_ids).toHaveLength(4);
    expect(first.trace_model_keys).toEqual(['mlflow.modelId']);
    expect(first.traces_by_model[modelId]).toEqual(first.trace_ids);
    // the run's metrics are the model's metrics too (the versions view), linked to the run
    expect(first.metrics['exact_match/mean']).toBe(1);
    expect(model?.metrics.map((m) => [m.key, m.value, m.run_id, m.model_id])).toEqual(
      expect.arrayContaining([['exact_match/mean', 1, first.run_id, modelId]]),
    );

    // What Python writes for the same fields.
    const reference = await pythonLayout('reference', `${experiment}-python`);
    const pyModelId = reference.model_inputs[0] as string;
    const pyModel = reference.models[pyModelId];
    expect(reference.model_inputs).toHaveLength(1);
    expect(first.dataset_inputs.length).toBe(reference.dataset_inputs.length);
    expect(first.dataset_inputs[0]?.tags).toEqual(reference.dataset_inputs[0]?.tags);
    expect(first.trace_model_keys).toEqual(reference.trace_model_keys);
    expect(reference.traces_by_model[pyModelId]).toEqual(reference.trace_ids);
    expect(model?.status).toBe(pyModel?.status);
    expect(model?.source_run_id).toBe(pyModel?.source_run_id);
    expect(model?.model_type).toBe(pyModel?.model_type);
    expect(model?.tags['mlflow.model.isExternal']).toBe(pyModel?.tags['mlflow.model.isExternal']);
    for (const key of ['mlflow.user', 'mlflow.source.name', 'mlflow.source.type']) {
      expect(Object.keys(model?.tags ?? {})).toContain(key);
      expect(Object.keys(pyModel?.tags ?? {})).toContain(key);
    }
    // the metric link: run, model, step 0, and no dataset on a metric of a non-managed dataset
    const shape = (m: Layout['models'][string]['metrics'][number], run: string, id: string) => ({
      run: m.run_id === run,
      model: m.model_id === id,
      dataset_name: m.dataset_name,
      dataset_digest: m.dataset_digest,
      step: m.step,
    });
    expect(shape(model?.metrics[0] as never, first.run_id, modelId)).toEqual(
      shape(pyModel?.metrics[0] as never, reference.run_id, pyModelId),
    );

    // The same config again: the same model, and both runs' metrics on it.
    const second = await pythonLayout('read', await evalRun(dir, 'second', experiment));
    expect(second.model_inputs).toEqual([modelId]);
    expect(second.models[modelId]?.metrics.map((m) => m.run_id).sort()).toEqual(
      [first.run_id, second.run_id].sort(),
    );
    // Another predict function under the same name: a new model version, beside the first.
    const changed = await pythonLayout('read', await evalRun(dir, 'third', experiment, 'sloppy'));
    expect(changed.metrics['exact_match/mean']).toBe(0.5);
    expect(changed.model_inputs).toHaveLength(1);
    expect(changed.model_inputs[0]).not.toBe(modelId);
    expect(changed.models[changed.model_inputs[0] as string]?.name).toBe('capitals-app');
    expect(changed.searched_models.filter((m) => m.name === 'capitals-app')).toHaveLength(2);
  });
});
