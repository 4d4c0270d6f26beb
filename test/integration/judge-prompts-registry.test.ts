import { execFile } from 'node:child_process';
import { readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { agreementCommand } from '../../src/cli/commands/agreement.js';
import { promptsPushBuiltinCommand } from '../../src/cli/commands/prompts.js';
import { runCommand } from '../../src/cli/commands/run.js';
import { readEnv } from '../../src/config/env.js';
import { loadJudgePrompt } from '../../src/judges/prompt-file.js';
import { requirePythonEnv } from '../../src/setup/python-env.js';
import { MlflowClient } from '../../src/sinks/mlflow/client.js';
import { captureIo, noMlflowRun, repoRoot, tempDir } from '../helpers/cli.js';
import { testHome } from './servers/mlflow.js';

// Judge prompts in the real MLflow prompt registry (global setup): `prompts push --builtin` read back by
// Python's `mlflow.genai.load_prompt`; a run whose correctness judge (the real local model behind
// serve-judge) takes a registry version, its assessments carrying that version; and two versions
// compared on the MT-Bench labelled set in one `agreement` command, one run each.

const run = promisify(execFile);
const MODEL = 'gemma-3-270m-q4_k_m';
const SET = path.join(repoRoot, 'data', 'labelled', 'mt_bench_correctness.yaml');
// a prefix of its own: the MLflow server of the global setup outlives a test run
const PREFIX = `jfit${Date.now().toString(36)}.`;
const CORRECTNESS = `${PREFIX}correctness`;

const READ_BACK = `
import json, sys
import mlflow
from mlflow import MlflowClient

uri, mode, arg = sys.argv[1:4]
mlflow.set_tracking_uri(uri)
if mode == "prompt":
    p = mlflow.genai.load_prompt(arg)
    print(json.dumps({"name": p.name, "version": str(p.version), "is_text": p.is_text_prompt,
                      "template": p.template, "variables": sorted(p.variables)}))
else:
    r = MlflowClient().get_run(arg)
    traces = mlflow.search_traces(locations=[r.info.experiment_id], run_id=arg, return_type="list")
    print(json.dumps({
        "tags": {k: v for k, v in r.data.tags.items() if k.startswith(("judgeflow.", "mlflow.linked"))},
        "params": {k: v for k, v in r.data.params.items() if k.startswith("prompt")},
        "traces": [{"tags": {k: v for k, v in t.info.tags.items() if k == "mlflow.linkedPrompts"},
                    "assessments": [{"name": a.name, "source_type": a.source.source_type,
                                     "metadata": a.metadata or {}}
                                    for a in t.info.assessments if a.feedback is not None]}
                   for t in traces],
    }))
`;

let dir: string;
let python: string;

async function readBack(mode: 'prompt' | 'run', arg: string): Promise<Record<string, unknown>> {
  const { stdout } = await run(python, ['-c', READ_BACK, inject('mlflowUri'), mode, arg], {
    env: { ...process.env, MLFLOW_DISABLE_TELEMETRY: 'true' },
    maxBuffer: 64 * 1024 * 1024,
  });
  return JSON.parse(stdout) as Record<string, unknown>;
}

beforeAll(async () => {
  dir = await tempDir('judge-prompts-it');
  python = await requirePythonEnv(testHome(), 'mlflow');
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('judge prompts in the MLflow prompt registry', () => {
  it('push --builtin registers each judge as a chat prompt Python loads; pushing again adds no version', async () => {
    const first = captureIo({ cwd: dir });
    const options = { prefix: PREFIX, alias: 'production', trackingUri: inject('mlflowUri') };
    expect(await promptsPushBuiltinCommand(options, first.io), first.stderr()).toBe(0);
    expect(first.stdout()).toContain(`${CORRECTNESS}@1  new version`);
    expect(first.stdout()).toMatch(/judge prompts: \d+ new version\(s\), 0 unchanged/);

    const again = captureIo({ cwd: dir });
    expect(await promptsPushBuiltinCommand(options, again.io), again.stderr()).toBe(0);
    expect(again.stdout()).toContain(`${CORRECTNESS}@1  unchanged`);
    expect(again.stdout()).toMatch(/: 0 new version\(s\)/);

    const loaded = await readBack('prompt', `prompts:/${CORRECTNESS}@production`);
    const prompt = loadJudgePrompt('correctness');
    expect(loaded).toEqual({
      name: CORRECTNESS,
      version: '1',
      is_text: false,
      template: [
        { role: 'system', content: prompt.system },
        { role: 'user', content: prompt.user },
      ],
      variables: ['reference', 'request', 'response'],
    });
  });

  it("a run's judge takes a registry version; every assessment names it, the run and traces link it", async () => {
    // version 2: an edited prompt, as a user would push after changing it
    const client = new MlflowClient({ trackingUri: inject('mlflowUri'), env: readEnv({}) });
    try {
      await client.registerPrompt({
        name: CORRECTNESS,
        type: 'chat',
        template: JSON.stringify([
          { role: 'system', content: 'Grade the response against the reference. Reply in JSON.' },
          {
            role: 'user',
            content:
              'Question: {{ request }}\nResponse: {{ response }}\nReference: {{ reference }}\nCorrect?',
          },
        ]),
      });
    } finally {
      await client.close();
    }
    await writeFile(
      path.join(dir, 'eval.yaml'),
      [
        'dataset:',
        '  records:',
        '    - { inputs: { question: "What is 2 + 2?" }, outputs: "4", expectations: { expected_response: "4" } }',
        '    - { inputs: { question: "Capital of France?" }, outputs: "Berlin", expectations: { expected_response: "Paris" } }',
        'scorers:',
        `  - { type: correctness, prompt: "prompts:/${CORRECTNESS}/2", max_tokens: 96 }`,
        'judge:',
        `  model: { provider: openai-compatible, base_url: "${inject('judgeBaseUrl')}", model: ${MODEL} }`,
        '  timeout_s: 120',
        '  concurrency: 1',
        '',
      ].join('\n'),
    );
    const printed = captureIo({ cwd: dir });
    const out = path.join(dir, 'run-out');
    const code = await runCommand(
      'eval.yaml',
      {
        ...noMlflowRun,
        mlflow: true,
        trackingUri: inject('mlflowUri'),
        experiment: `judge-prompts-it-${Date.now()}`,
        out,
      },
      printed.io,
    );
    expect(code, printed.stderr()).toBe(0);
    const summary = JSON.parse(await readFile(path.join(out, 'summary.json'), 'utf8')) as {
      mlflow: { run_id: string };
    };
    const logged = (await readBack('run', summary.mlflow.run_id)) as {
      tags: Record<string, string>;
      params: Record<string, string>;
      traces: Array<{
        tags: Record<string, string>;
        assessments: Array<{ name: string; source_type: string; metadata: Record<string, string> }>;
      }>;
    };
    const link = [{ name: CORRECTNESS, version: '2' }];
    expect(JSON.parse(logged.tags['mlflow.linkedPrompts'] ?? '[]')).toEqual(link);
    expect(logged.params['prompt.correctness']).toBe(`${CORRECTNESS}/2`);
    expect(logged.traces).toHaveLength(2);
    for (const trace of logged.traces) {
      expect(JSON.parse(trace.tags['mlflow.linkedPrompts'] ?? '[]')).toEqual(link);
      // a verdict or, if the tiny model fails to give one, an error feedback: both name the prompt
      expect(trace.assessments).toEqual([
        expect.objectContaining({
          name: 'correctness',
          source_type: 'LLM_JUDGE',
          metadata: expect.objectContaining({
            'judgeflow.prompt.name': CORRECTNESS,
            'judgeflow.prompt.version': '2',
          }),
        }),
      ]);
    }
  });

  it('a registry version that lacks a variable the judge fills stops the run at pre-flight, naming it', async () => {
    const client = new MlflowClient({ trackingUri: inject('mlflowUri'), env: readEnv({}) });
    let version: string;
    try {
      version = (
        await client.registerPrompt({
          name: `${PREFIX}relevance_to_query`,
          type: 'chat',
          template: JSON.stringify([{ role: 'user', content: 'Is this relevant? {{ response }}' }]),
        })
      ).version;
    } finally {
      await client.close();
    }
    await writeFile(
      path.join(dir, 'eval-bad.yaml'),
      [
        'dataset: { records: [{ inputs: { question: "Hi?" }, outputs: "Hello" }] }',
        'scorers:',
        `  - { type: relevance_to_query, prompt: "prompts:/${PREFIX}relevance_to_query/${version}" }`,
        'judge:',
        `  model: { provider: openai-compatible, base_url: "${inject('judgeBaseUrl')}", model: ${MODEL} }`,
        '',
      ].join('\n'),
    );
    const printed = captureIo({ cwd: dir });
    const out = path.join(dir, 'bad-out');
    const code = await runCommand(
      'eval-bad.yaml',
      { ...noMlflowRun, mlflow: true, trackingUri: inject('mlflowUri'), out },
      printed.io,
    );
    expect(code).toBe(2);
    expect(printed.stderr()).toMatch(/eval-bad\.yaml:3: prompt prompts:\/jfit\w+\.relevance_to_query\/\d+ /);
    expect(printed.stderr()).toContain(
      'does not use {{ request }}, which the relevance_to_query judge needs (it fills {{ request }}, {{ response }})',
    );
  });

  it('agreement --prompt-versions compares two versions on the same labelled cases: one run each', async () => {
    const printed = captureIo({ cwd: dir });
    const code = await agreementCommand(
      [SET],
      {
        judge: `openai-compatible:/${MODEL}@${inject('judgeBaseUrl')}`,
        limit: 2,
        concurrency: 1,
        experiment: `judge-prompts-agreement-it-${Date.now()}`,
        out: 'agreement-out',
        mlflow: true,
        trackingUri: inject('mlflowUri'),
        json: true,
        progress: false,
        promptVersions: [`prompts:/${CORRECTNESS}/1`, `prompts:/${CORRECTNESS}/2`],
      },
      printed.io,
    );
    const rows = JSON.parse(printed.stdout()) as Array<Record<string, unknown>>;
    expect(rows.map((r) => [r.metric, r.prompt])).toEqual([
      ['correctness', `${CORRECTNESS}/1`],
      ['correctness', `${CORRECTNESS}/2`],
    ]);
    // a version whose every case the tiny model failed to grade exits 1; the runs exist either way
    expect(code, printed.stderr()).toBe(rows.every((r) => (r.n as number) > 0) ? 0 : 1);
    expect(new Set(rows.map((r) => r.run_id)).size).toBe(2);
    for (const [i, row] of rows.entries()) {
      expect((row.n as number) + (row.errors as number)).toBe(2);
      const logged = (await readBack('run', String(row.run_id))) as {
        tags: Record<string, string>;
        traces: Array<{ assessments: Array<{ metadata: Record<string, string> }> }>;
      };
      expect(logged.tags).toMatchObject({
        'judgeflow.agreement.metric': 'correctness',
        'judgeflow.prompt.name': CORRECTNESS,
        'judgeflow.prompt.version': String(i + 1),
      });
      expect(logged.traces).toHaveLength(2);
      for (const trace of logged.traces)
        expect(trace.assessments[0]?.metadata['judgeflow.prompt.version']).toBe(String(i + 1));
    }
  });
});
