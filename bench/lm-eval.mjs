// Issue 16's benchmark: `judgeflow bench` against lm-eval's own command line on the same model server
// and the same tasks, in one run on one machine. Both drive lm-eval 0.4.13's `local-completions` against
// `judgeflow serve-judge` over the local Gemma 3 270M; the figures are wall time per run and whether
// judgeflow's numbers (merged from shards) equal the ones lm-eval computes itself, metric for metric.
//
//   A  lm-eval CLI:      python -m lm_eval --model local-completions ... (its results.json)
//   B  judgeflow bench, files only (--no-mlflow), one shard per task
//   C  judgeflow bench into MLflow (a local `mlflow server`, one trace per document)
//   D  judgeflow bench into MLflow, sharded over a local Ray head with 2 workers
//
// Usage: node --import tsx bench/lm-eval.mjs [--limit 12] [--tasks judgeflow_basics_mc,judgeflow_arithmetic_gen]
// The model server is the bottleneck (one model, one request at a time, 2 cores): Ray sharding shows its
// overhead here, not a speed-up — the speed-up needs a server that batches (vLLM) or several replicas.
import { readdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { requirePythonEnv } from '../src/setup/python-env.ts';
import { startJudgeServer } from '../test/integration/servers/judge.ts';
import { startMlflowServer } from '../test/integration/servers/mlflow.ts';
import { startRayHead } from '../test/integration/servers/ray.ts';
import { fmt, measure, root, tempDir } from './lib.mjs';

const { values } = parseArgs({
  options: {
    limit: { type: 'string', default: '12' },
    tasks: { type: 'string', default: 'judgeflow_basics_mc,judgeflow_arithmetic_gen' },
    concurrency: { type: 'string', default: '1' },
  },
});
const tasks = values.tasks.split(',');
const limit = Number(values.limit);
const home = process.env.JUDGEFLOW_HOME ?? path.join(root, '.judgeflow');
process.env.JUDGEFLOW_HOME = home;
process.env.MLFLOW_DISABLE_TELEMETRY = 'true';
process.env.RAY_AUTH_MODE = 'disabled';
const lmevalPython = await requirePythonEnv(home, 'lmeval');
const dir = await tempDir('lm-eval');

const judge = await startJudgeServer();
const mlflow = await startMlflowServer();
const ray = await startRayHead({ home });
const model = await modelName(judge.baseUrl);

async function modelName(baseUrl) {
  const response = await fetch(`${baseUrl}/models`);
  return (await response.json()).data[0].id;
}

/** lm-eval's results.json under an --output_path (it nests a folder per model). */
async function findResults(folder) {
  for (const entry of await readdir(folder, { recursive: true })) {
    if (/results_.*\.json$/.test(entry)) return JSON.parse(await readFile(path.join(folder, entry), 'utf8'));
  }
  throw new Error(`no results_*.json under ${folder}`);
}

function cli(args, env = {}) {
  return measure(process.execPath, [path.join(root, 'bin/judgeflow.js'), ...args], { env, quiet: true });
}

const runs = [];
try {
  // A: lm-eval's own command line (same environment judgeflow_lmeval sets: offline, caches in the home)
  const aOut = path.join(dir, 'a');
  const a = await measure(
    lmevalPython,
    [
      '-m',
      'lm_eval',
      'run',
      '--model',
      'local-completions',
      '--model_args',
      `base_url=${judge.baseUrl}/completions,model=${model},tokenizer_backend=remote,num_concurrent=${values.concurrency},max_retries=3`,
      '--tasks',
      tasks.join(','),
      '--include_path',
      path.join(root, 'data/lm-eval-tasks'),
      '--limit',
      String(limit),
      '--seed',
      '1234',
      '--output_path',
      aOut,
      '--log_samples',
    ],
    {
      quiet: true,
      env: {
        PYTHONPATH: path.join(root, 'python'),
        HF_DATASETS_OFFLINE: '1',
        HF_HUB_OFFLINE: '1',
        HF_HOME: path.join(home, 'cache', 'huggingface'),
        TOKENIZERS_PARALLELISM: 'false',
      },
    },
  );
  if (a.code !== 0) throw new Error(`lm_eval exited ${a.code}`);
  runs.push({ name: 'A lm-eval CLI', ...a, results: (await findResults(aOut)).results });

  const common = [
    'bench',
    '--base-url',
    judge.baseUrl,
    '--tasks',
    tasks.join(','),
    '--limit',
    String(limit),
    '--seed',
    '1234',
    '--concurrency',
    values.concurrency,
  ];
  for (const [name, extra] of [
    ['B judgeflow bench, files only', ['--no-mlflow']],
    ['C judgeflow bench → MLflow', ['--tracking-uri', mlflow.uri]],
    [
      'D judgeflow bench → MLflow, Ray ×2',
      ['--tracking-uri', mlflow.uri, '--executor', 'ray', '--ray-address', ray.address, '--workers', '2'],
    ],
  ]) {
    const out = path.join(dir, name[0]);
    const run = await cli([...common, '--out', out, ...extra]);
    if (run.code !== 0) throw new Error(`${name}: exit ${run.code}`);
    const results = JSON.parse(await readFile(path.join(out, 'lm_eval', 'results.json'), 'utf8')).results;
    const summary = JSON.parse(await readFile(path.join(out, 'summary.json'), 'utf8'));
    runs.push({ name, ...run, results, traces: summary.mlflow ? summary.rows : 0 });
  }
} finally {
  await judge.stop();
  await mlflow.stop();
  await ray.stop();
}

const reference = runs[0].results;
const keys = tasks.flatMap((task) =>
  Object.keys(reference[task] ?? {})
    .filter((key) => key.includes(',') && !key.includes('_stderr,'))
    .map((key) => [task, key]),
);
const docs = tasks.length * limit;
console.log(
  `\nlm-eval benchmark — ${new Date().toISOString()} — ${docs} documents (${tasks.join(', ')}, --limit ${limit})`,
);
console.log(`model server: judgeflow serve-judge over ${model}; concurrency ${values.concurrency}\n`);
console.log('| run | wall s | docs/s | CPU s (client) | peak RSS MB | MLflow traces | metrics equal to A |');
console.log('|---|---|---|---|---|---|---|');
for (const run of runs) {
  const equal = keys.every(([task, key]) => run.results[task]?.[key] === reference[task][key]);
  const stderrEqual = keys.every(
    ([task, key]) =>
      run.results[task]?.[key.replace(',', '_stderr,')] === reference[task][key.replace(',', '_stderr,')],
  );
  console.log(
    `| ${run.name} | ${fmt(run.wallS)} | ${fmt(docs / run.wallS, 2)} | ${fmt(run.cpuS)} | ${fmt(run.peakRssMb, 0)} | ${run.traces ?? '—'} | ${run === runs[0] ? '(reference)' : `${equal ? 'yes' : 'NO'}${stderrEqual ? '' : ' (stderr differs)'}`} |`,
  );
}
console.log('\nmetrics (A):');
for (const [task, key] of keys) console.log(`  ${task} ${key} = ${reference[task][key]}`);
await rm(dir, { recursive: true, force: true });
