import { randomUUID } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { main } from '../../src/cli/main.js';
import { MlflowClient } from '../../src/sinks/mlflow/index.js';
import { tempDir } from '../helpers/cli.js';
import { type LatencyServer, startLatencyServer } from '../helpers/latency-server.js';

/**
 * The pre-flight that `validate` and `run` share: every config and dataset mistake below must be
 * rejected by both, with exit 2 and a message that says where and what, before any model or judge
 * request (every model and judge in these files points at one loopback server that counts requests)
 * and without leaving an output folder or an MLflow run behind (checked on the real MLflow server).
 * A good config through the same path proves the counters and the MLflow check can see a run.
 */

interface Case {
  name: string;
  /** The eval file (`S` stands for the loopback server's base URL); absent: the file does not exist. */
  yaml?: string;
  args?: string[];
  /** What the message must say. */
  expect: RegExp;
  /** The output folder exists (non-empty) on purpose: it must be left as it was. */
  outExists?: boolean;
}

const base = 'dataset: {path: rows.jsonl}\nscorers: [exact_match]\n';
const judgeAt = (s: string) =>
  `judge: {model: {provider: openai-compatible, base_url: "${s}", model: judge}}\n`;
const modelAt = (s: string, extra = '') =>
  `model: {provider: openai-compatible, base_url: "${s}", model: m${extra}}\n`;

function cases(s: string): Case[] {
  return [
    { name: 'unknown top-level key', yaml: `${base}foo: 1\n`, expect: /\.yaml:3: unknown key "foo"/ },
    {
      name: 'unknown key inside dataset',
      yaml: 'dataset:\n  path: rows.jsonl\n  wat: 1\nscorers: [exact_match]\n',
      expect: /\.yaml:3: dataset: unknown key "wat"/,
    },
    {
      name: 'no dataset',
      yaml: 'scorers: [exact_match]\n',
      expect: /dataset: missing; expected one of \{path/,
    },
    {
      name: 'dataset path and records together',
      yaml: 'dataset: {path: rows.jsonl, records: [{inputs: {q: a}}]}\nscorers: [exact_match]\n',
      expect: /"path" and "records" given together/,
    },
    {
      name: 'empty dataset mapping',
      yaml: 'dataset: {}\nscorers: [exact_match]\n',
      expect: /none of path, records, mlflow/,
    },
    {
      name: 'no scorers',
      yaml: 'dataset: {path: rows.jsonl}\n',
      expect: /scorers: missing; expected a list/,
    },
    { name: 'empty scorer list', yaml: 'dataset: {path: rows.jsonl}\nscorers: []\n', expect: /scorers: .*1/ },
    {
      name: 'unknown scorer type',
      yaml: 'dataset: {path: rows.jsonl}\nscorers: [exact_matsch]\n',
      expect: /\.yaml:2: scorers\[0\]: unknown scorer type "exact_matsch"/,
    },
    {
      name: 'guidelines without text',
      yaml: `dataset: {path: rows.jsonl}\n${judgeAt(s)}scorers:\n  - {type: guidelines, name: polite}\n`,
      expect: /\.yaml:4: scorers\[0\]\.guidelines \(guidelines\): missing; expected the guideline text/,
    },
    {
      name: 'aggregations: [p99]',
      yaml: 'dataset: {path: rows.jsonl}\nscorers:\n  - {type: exact_match, aggregations: [p99]}\n',
      expect:
        /scorers\[0\]\.aggregations\[0\]: expected one of mean, min, max, median, variance, p90; got "p99"/,
    },
    { name: 'concurrency 0', yaml: `${base}concurrency: 0\n`, expect: /\.yaml:3: concurrency: / },
    {
      name: 'judge URI foo:/bar',
      yaml: 'dataset: {path: rows.jsonl}\njudge: {model: "foo:/bar"}\nscorers: [{type: guidelines, guidelines: Be kind.}]\n',
      expect: /\.yaml:2: judge\.model: judge provider "foo" is not supported/,
    },
    {
      name: 'judge ftp:// base_url',
      yaml: 'dataset: {path: rows.jsonl}\njudge: {model: {provider: vllm, base_url: "ftp://127.0.0.1/v1", model: j}}\nscorers: [{type: guidelines, guidelines: Be kind.}]\n',
      expect: /judge\.model\.base_url: expected an http:\/\/ or https:\/\/ URL/,
    },
    {
      name: 'model ftp:// base_url',
      yaml: 'dataset: {path: noout.jsonl}\nmodel: {provider: vllm, base_url: "ftp://127.0.0.1/v1", model: m}\nscorers: [exact_match]\n',
      expect: /model\.base_url: expected an http:\/\/ or https:\/\/ URL/,
    },
    { name: 'judge temperature 5', yaml: `${base}judge: {temperature: 5}\n`, expect: /judge\.temperature: / },
    {
      name: 'invalid YAML',
      yaml: 'dataset: {path: [rows.jsonl\nscorers: [exact_match]\n',
      expect: /invalid YAML/,
    },
    {
      name: 'fail_under key without an aggregation',
      yaml: `${base}fail_under: {exact_match: 0.5}\n`,
      expect: /<name>\/<aggregation>/,
    },
    {
      name: 'dataset file missing',
      yaml: 'dataset: {path: nothere.jsonl}\nscorers: [exact_match]\n',
      expect: /nothere\.jsonl: the dataset file does not exist/,
    },
    {
      name: 'a folder as the dataset',
      yaml: 'dataset: {path: folder}\nscorers: [exact_match]\n',
      expect:
        /folder: this is a folder, not a dataset file \(expected the path of one file in it, e\.g\. folder\/more\.jsonl/,
    },
    {
      name: 'unknown dataset extension',
      yaml: 'dataset: {path: data.txt}\nscorers: [exact_match]\n',
      expect: /unknown dataset file extension "\.txt"/,
    },
    {
      name: 'invalid JSON on line 2',
      yaml: 'dataset: {path: bad.jsonl}\nscorers: [exact_match]\n',
      expect: /bad\.jsonl:line 2: invalid JSON/,
    },
    {
      name: 'JSON array element that is not a row',
      yaml: 'dataset: {path: arr.json}\nscorers: [exact_match]\n',
      expect: /arr\.json:line 3, element \[1\]: field "inputs": got a string/,
    },
    {
      name: 'inline record with string inputs',
      yaml: 'dataset: {records: [{inputs: "x", outputs: "y"}]}\nscorers: [exact_match]\n',
      expect: /field "inputs"/,
    },
    {
      name: 'duplicate explicit ids',
      yaml: 'dataset: {path: dup.jsonl}\nscorers: [exact_match]\n',
      expect: /dup\.jsonl:line 2: field "id": duplicate id "a", first used on line 1/,
    },
    {
      name: 'empty dataset',
      yaml: 'dataset: {path: empty.jsonl}\nscorers: [exact_match]\n',
      expect: /dataset is empty/,
    },
    {
      name: 'rows without outputs and no model',
      yaml: 'dataset: {path: mixed.jsonl}\nscorers: [exact_match]\n',
      expect:
        /mixed\.jsonl:line 2 \(row id "second"\) has no outputs, and .* configures no model under test \(1 of 3 rows has no outputs\)/,
    },
    {
      name: 'model module file missing',
      yaml: 'dataset: {path: noout.jsonl}\nmodel: {provider: module, path: ./nope.ts}\nscorers: [exact_match]\n',
      expect: /\.yaml:2: model\.path: module \.\/nope\.ts does not exist/,
    },
    {
      name: 'model module export missing',
      yaml: 'dataset: {path: noout.jsonl}\nmodel: {provider: module, path: ./predict.ts, export: nope}\nscorers: [exact_match]\n',
      expect: /has no export "nope" \(exports: predict\)/,
    },
    {
      name: 'vllm model without base_url',
      yaml: 'dataset: {path: noout.jsonl}\nmodel: {provider: vllm, model: m}\nscorers: [exact_match]\n',
      expect: /model\.base_url: missing; provider vllm needs/,
    },
    {
      name: 'model key variable unset',
      yaml: `dataset: {path: noout.jsonl}\n${modelAt(s, ', api_key_env: JF_TABLE_UNSET_KEY')}scorers: [exact_match]\n`,
      expect:
        /model\.api_key_env: environment variable JF_TABLE_UNSET_KEY \(the model's API key\) is not set/,
    },
    {
      name: 'prompt {{ inputs.nope }}',
      yaml: `dataset: {path: noout.jsonl}\n${modelAt(s, ', prompt: "Q: {{ inputs.nope }}"')}scorers: [exact_match]\n`,
      expect:
        /model\.prompt uses \{\{ inputs\.nope \}\}, but no row has that input \(the dataset's inputs: question\)/,
    },
    {
      name: 'prompt {{ outputs }}',
      yaml: `dataset: {path: noout.jsonl}\n${modelAt(s, ', prompt: "Say {{ outputs }}"')}scorers: [exact_match]\n`,
      expect: /a model prompt can only use \{\{ inputs \}\}/,
    },
    {
      name: 'prompt input only some rows have',
      yaml: `dataset: {path: partial.jsonl}\n${modelAt(s, ', prompt: "{{ inputs.question }} about {{ inputs.topic }}"')}scorers: [exact_match]\n`,
      expect: /1 of 2 rows lack that input, the first being .*partial\.jsonl:line 2 \(row id "p2"\)/,
    },
    {
      name: 'judge key variable unset',
      yaml: `dataset: {path: rows.jsonl}\njudge: {model: {provider: vllm, base_url: "${s}", model: j, api_key_env: JF_TABLE_UNSET_KEY}}\nscorers: [{type: guidelines, guidelines: Be kind.}]\n`,
      expect:
        /\.yaml:2: judge\.model: environment variable JF_TABLE_UNSET_KEY \(the judge's API key\) is not set/,
    },
    {
      name: 'per-scorer judge foo:/bar',
      yaml: `dataset: {path: rows.jsonl}\n${judgeAt(s)}scorers:\n  - {type: guidelines, guidelines: Be kind., model: "foo:/bar"}\n`,
      expect: /\.yaml:4: scorers\[0\]\.model: judge provider "foo" is not supported/,
    },
    {
      name: 'per-scorer judge with an unset key',
      yaml: `dataset: {path: rows.jsonl}\n${judgeAt(s)}scorers:\n  - {type: correctness, model: {provider: vllm, base_url: "${s}", model: j, api_key_env: JF_TABLE_UNSET_KEY}}\n`,
      expect: /scorers\[0\]\.model: environment variable JF_TABLE_UNSET_KEY/,
    },
    {
      name: 'local judge model file missing',
      yaml: 'dataset: {path: rows.jsonl}\njudge: {model: "local:/nowhere/judge.gguf"}\nscorers: [{type: safety}]\n',
      expect: /the local judge model \/nowhere\/judge\.gguf does not exist/,
    },
    {
      name: 'module scorer file missing',
      yaml: 'dataset: {path: rows.jsonl}\nscorers:\n  - exact_match\n  - {type: module, path: ./nope.ts, export: x}\n',
      expect: /\.yaml:4: scorers\[1\]\.path: module \.\/nope\.ts does not exist/,
    },
    {
      name: 'module scorer export missing',
      yaml: 'dataset: {path: rows.jsonl}\nscorers:\n  - {type: module, path: ./scorers.ts, export: missing}\n',
      expect:
        /\.yaml:3: scorers\[0\]\.path: module .*scorers\.ts has no export "missing" \(exports: lengthOf\)/,
    },
    {
      name: 'two unnamed guidelines judges',
      yaml: `dataset: {path: rows.jsonl}\n${judgeAt(s)}scorers:\n  - {type: guidelines, guidelines: Be kind.}\n  - {type: guidelines, guidelines: Be brief.}\n`,
      expect: /\.yaml:5: scorers\[1\] and scorers\[0\] \(line 4\) are both named "guidelines"/,
    },
    {
      name: 'two scorers with one name',
      yaml: 'dataset: {path: rows.jsonl}\nscorers:\n  - exact_match\n  - {type: levenshtein, name: exact_match}\n',
      expect: /both named "exact_match"/,
    },
    {
      name: 'custom judge naming an input no row has',
      yaml: `dataset: {path: rows.jsonl}\n${judgeAt(s)}scorers:\n  - {type: judge, name: j, instructions: "Is {{ outputs }} about {{ inputs.nope }}?", value_type: yes_no}\n`,
      expect: /scorers\[0\]\.instructions uses \{\{ inputs\.nope \}\}, but no row has an input "nope"/,
    },
    {
      name: 'fail_under on a metric no scorer produces',
      yaml: `${base}fail_under: {exact_mtch/mean: 0.5}\n`,
      expect:
        /\.yaml:3: fail_under exact_mtch\/mean: no scorer produces "exact_mtch" .* did you mean "exact_match"/,
    },
    {
      name: 'fail_under on an aggregation not computed',
      yaml: `${base}fail_under: {exact_match/p90: 0.5}\n`,
      expect: /"exact_match" is aggregated as mean only; add p90 to its aggregations/,
    },
    {
      name: '--fail-under on a metric no scorer produces',
      yaml: base,
      args: ['--fail-under', 'nope/mean=0.5'],
      expect: /--fail-under nope\/mean=0\.5: no scorer produces "nope"/,
    },
    {
      name: 'allow_no_values naming no scorer',
      yaml: `${base}allow_no_values: [nope]\n`,
      expect: /allow_no_values: no scorer produces "nope"/,
    },
    {
      name: '--allow-no-values naming no scorer',
      yaml: base,
      args: ['--allow-no-values', 'nope'],
      expect: /allow_no_values: no scorer produces "nope"/,
    },
    {
      name: '--seed abc',
      yaml: base,
      args: ['--seed', 'abc'],
      expect: /option '--seed <s>' argument 'abc' is invalid/,
    },
    {
      name: '--limit abc',
      yaml: base,
      args: ['--limit', 'abc'],
      expect: /option '--limit <n>' argument 'abc' is invalid/,
    },
    {
      name: '--concurrency under --executor ray',
      yaml: base,
      args: ['--executor', 'ray', '--concurrency', '4'],
      expect: /--concurrency does not apply under --executor ray/,
    },
    {
      name: '--workers without --executor ray',
      yaml: base,
      args: ['--workers', '3'],
      expect: /--workers only apply with --executor ray/,
    },
    {
      name: 'limit and sample together',
      yaml: `${base}limit: 1\nsample: 2\n`,
      expect: /limit and sample cannot be used together/,
    },
    {
      name: 'output folder not empty',
      yaml: base,
      outExists: true,
      expect: /already exists and is not empty/,
    },
    { name: 'eval file missing', expect: /cannot read eval file .*: no such file/ },
    {
      name: 'MLflow dataset with --no-mlflow',
      yaml: 'dataset: {mlflow: golden}\nscorers: [exact_match]\n',
      args: ['--no-mlflow'],
      expect: /dataset\.mlflow "golden" is an MLflow dataset, which this command cannot reach/,
    },
    {
      name: '--judge foo:/bar',
      yaml: 'dataset: {path: rows.jsonl}\nscorers: [{type: guidelines, guidelines: Be kind.}]\n',
      args: ['--judge', 'foo:/bar'],
      expect: /judge\.model: judge provider "foo" is not supported/,
    },
  ];
}

const jsonl = (rows: unknown[]) => `${rows.map((r) => JSON.stringify(r)).join('\n')}\n`;

let dir: string;
let server: LatencyServer;
let client: MlflowClient;
const uri = inject('mlflowUri');
const experiment = `preflight-table-${randomUUID().slice(0, 8)}`;

beforeAll(async () => {
  dir = await tempDir('preflight');
  server = await startLatencyServer({ latencyMs: 1 });
  client = new MlflowClient({ trackingUri: uri });
  const q = (i: number) => ({ question: `What is ${i} + ${i}?` });
  await writeFile(
    path.join(dir, 'rows.jsonl'),
    jsonl(
      [1, 2, 3].map((i) => ({
        inputs: q(i),
        outputs: String(2 * i),
        expectations: { expected_response: String(2 * i) },
      })),
    ),
  );
  await writeFile(path.join(dir, 'noout.jsonl'), jsonl([1, 2, 3].map((i) => ({ inputs: q(i) }))));
  await writeFile(
    path.join(dir, 'mixed.jsonl'),
    jsonl([
      { id: 'first', inputs: q(1), outputs: '2' },
      { id: 'second', inputs: q(2) },
      { id: 'third', inputs: q(3), outputs: '6' },
    ]),
  );
  await writeFile(
    path.join(dir, 'partial.jsonl'),
    jsonl([
      { id: 'p1', inputs: { ...q(1), topic: 'sums' } },
      { id: 'p2', inputs: q(2) },
    ]),
  );
  await writeFile(
    path.join(dir, 'bad.jsonl'),
    `${JSON.stringify({ inputs: q(1), outputs: '2' })}\n{"inputs": \n`,
  );
  await writeFile(
    path.join(dir, 'arr.json'),
    `[\n  {"inputs": {"question": "a"}, "outputs": "b"},\n  {"inputs": "not an object", "outputs": "c"}\n]\n`,
  );
  await writeFile(
    path.join(dir, 'dup.jsonl'),
    jsonl([
      { id: 'a', inputs: q(1), outputs: '2' },
      { id: 'a', inputs: q(2), outputs: '4' },
    ]),
  );
  await writeFile(path.join(dir, 'empty.jsonl'), '');
  await writeFile(path.join(dir, 'data.txt'), 'question,outputs\n');
  await mkdir(path.join(dir, 'folder'));
  await writeFile(path.join(dir, 'folder', 'more.jsonl'), jsonl([{ inputs: q(1), outputs: '2' }]));
  await writeFile(
    path.join(dir, 'predict.ts'),
    'export function predict(inputs: { question: string }) { return inputs.question; }\n',
  );
  await writeFile(
    path.join(dir, 'scorers.ts'),
    'export function lengthOf({ outputs }: { outputs: unknown }) { return String(outputs).length; }\n',
  );
});

afterAll(async () => {
  await client?.close();
  await server?.close();
});

/** `judgeflow <argv>` in this process, with its stderr captured. */
async function judgeflow(argv: string[]): Promise<{ code: number; stderr: string }> {
  let stderr = '';
  const spy = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stderr += String(chunk);
    return true;
  });
  const quiet = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
  try {
    const code = await main(['node', 'judgeflow', ...argv]);
    return { code, stderr };
  } finally {
    spy.mockRestore();
    quiet.mockRestore();
  }
}

describe('one pre-flight for validate and run: the bad-config table', () => {
  const table = cases('S');

  it('has at least 40 cases', () => {
    expect(table.length).toBeGreaterThanOrEqual(40);
  });

  it('rejects every case with exit 2 from validate and from run, before any call, leaving nothing behind', async () => {
    const saved = { ...process.env };
    process.env.MLFLOW_TRACKING_URI = uri;
    delete process.env.JF_TABLE_UNSET_KEY;
    delete process.env.OPENAI_API_KEY;
    const failures: string[] = [];
    try {
      for (const [i, entry] of cases(server.baseUrl).entries()) {
        const id = String(i + 1).padStart(2, '0');
        const evalPath = path.join(dir, `case-${id}.yaml`);
        if (entry.yaml !== undefined) await writeFile(evalPath, entry.yaml);
        const out = path.join(dir, `out-${id}`);
        if (entry.outExists === true) {
          await mkdir(out, { recursive: true });
          await writeFile(path.join(out, 'keep.txt'), 'earlier run');
        }
        const common = [evalPath, '--out', out, '--experiment', experiment, '--run-name', `case-${id}`];
        for (const command of ['validate', 'run']) {
          const before = server.received;
          const { code, stderr } = await judgeflow([command, ...common, ...(entry.args ?? [])]);
          const problems = [
            code !== 2 ? `exit ${code}` : '',
            entry.expect.test(stderr) ? '' : `message ${JSON.stringify(stderr.trim().slice(0, 400))}`,
            /Invalid input/.test(stderr) ? 'says "Invalid input"' : '',
            server.received !== before ? `${server.received - before} requests` : '',
            entry.outExists === true
              ? readdirSync(out).join(',') !== 'keep.txt'
                ? 'output folder changed'
                : ''
              : existsSync(out)
                ? 'output folder created'
                : '',
          ].filter((p) => p !== '');
          if (problems.length > 0)
            failures.push(`case ${id} ${entry.name} (${command}): ${problems.join('; ')}`);
        }
      }
    } finally {
      process.env = saved;
    }
    expect(failures).toEqual([]);
    expect(server.received).toBe(0);
    // nothing reached MLflow: no run (the experiment is not even created)
    const created = await client.getExperimentByName(experiment);
    const runs =
      created !== undefined ? (await client.searchRuns({ experimentIds: [created.experiment_id] })).runs : [];
    expect(runs.map((r) => r.info.run_name)).toEqual([]);
  });

  it('accepts a good config through the same path, and then the calls and the MLflow run are seen', async () => {
    const good = path.join(dir, 'good.yaml');
    await writeFile(
      good,
      [
        'dataset: {path: noout.jsonl}',
        modelAt(
          server.baseUrl,
          ', prompt: "Q: {{ inputs.question }}", prices: {input_per_million: 1000, output_per_million: 1000}',
        ).trimEnd(),
        `judge: {model: {provider: openai-compatible, base_url: "${server.baseUrl}", model: judge}, prices: {judge: {input_per_million: 10, output_per_million: 10}}}`,
        'scorers:',
        '  - {type: guidelines, name: polite, guidelines: Be kind.}',
        '  - {type: guidelines, name: brief, guidelines: Be brief.}',
        '  - {type: module, path: ./scorers.ts, export: lengthOf}',
        'fail_under: {polite/mean: 0.5}',
      ].join('\n'),
    );
    const saved = { ...process.env };
    process.env.MLFLOW_TRACKING_URI = uri;
    const goodExperiment = `${experiment}-good`;
    try {
      const before = server.received;
      const validated = await judgeflow(['validate', good]);
      expect(validated.code, validated.stderr).toBe(0);
      expect(server.received).toBe(before);
      const out = path.join(dir, 'out-good');
      const ran = await judgeflow([
        'run',
        good,
        '--out',
        out,
        '--experiment',
        goodExperiment,
        '--no-progress',
      ]);
      expect(ran.code, ran.stderr).toBe(0);
      // 3 model calls + 2 judges × 3 rows
      expect(server.received - before).toBe(9);
      expect(existsSync(path.join(out, 'summary.json'))).toBe(true);
    } finally {
      process.env = saved;
    }
    const created = await client.getExperimentByName(goodExperiment);
    expect(created).toBeDefined();
    const { runs } = await client.searchRuns({ experimentIds: [created!.experiment_id] });
    expect(runs).toHaveLength(1);
    // the cost covers the whole run, per role, as MLflow metrics too
    const metrics = Object.fromEntries((runs[0]?.data?.metrics ?? []).map((m) => [m.key, m.value]));
    expect(metrics['usage/model_cost_usd']).toBeGreaterThan(0);
    expect(metrics['usage/judge_cost_usd']).toBeGreaterThan(0);
    expect(metrics['usage/cost_usd']).toBeCloseTo(
      (metrics['usage/model_cost_usd'] as number) + (metrics['usage/judge_cost_usd'] as number),
      6,
    );
    expect(metrics['usage/judge_retries']).toBe(0);
  });
});
