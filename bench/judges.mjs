// Issue 4's benchmark: one LLM-judge call per row over recorded outputs. N rows, concurrency C, the
// judge is the loopback latency server (OpenAI-compatible, fixed latency L, answers json_schema
// requests with a verdict satisfying the schema).
//
//  (a) judgeflow --no-mlflow                 a Guidelines judge, `judge.model` = the latency server
//  (a') the same with `judge.concurrency` unset (the judge endpoint's default), for reference
//  (b) judgeflow with MLflow on, REST path   a fresh stock MLflow server; the process exits when every write is done
//  (b2) judgeflow with MLflow on, its server  judgeflow's own server (PostgreSQL + the batch writer plugin)
//  (c) promptfoo (bench/peers lockfile)      llm-rubric graded by the latency server as an OpenAI provider
//  (d) mlflow.genai.evaluate()               a Guidelines judge, openai:/gpt-4o-mini via OPENAI_API_BASE,
//                                            into the same kind of stock server as (b)
//
// Each case's verdicts are checked (every row judged, no error), and MLflow runs are counted from
// Python. CPU is user+sys of the tool's process and the children it reaped (GNU time); the MLflow
// server's CPU is reported on its own.
//
// Usage: npm run build && node bench/judges.mjs [--rows N] [--quick] [--only a,a0,b,b2,c,d]
//        [--stock-store sqlite|postgres] [--ceiling ROWS_PER_S] [--max-busy CORES]
import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { fmt, root, startLatencyServer, tempDir, writeQuestions } from './lib.mjs';
import {
  countRun,
  ensurePeerVenv,
  ensurePromptfoo,
  measureWithOutput,
  startMeter,
  startMlflowServer,
  waitForQuiet,
  writeJson,
} from './peers-lib.mjs';

const { values } = parseArgs({
  options: {
    rows: { type: 'string' },
    quick: { type: 'boolean', default: false },
    only: { type: 'string', default: 'a,b,b2,c,d' },
    'stock-store': { type: 'string', default: 'sqlite' },
    ceiling: { type: 'string' },
    'server-workers': { type: 'string', default: '4' },
    'max-busy': { type: 'string', default: '0.3' },
    latency: { type: 'string', default: '100' },
    concurrency: { type: 'string', default: '64' },
  },
});
const N = Number(values.rows ?? (values.quick ? 400 : 2000));
const C = Number(values.concurrency);
const L = Number(values.latency);
const serverWorkers = Number(values['server-workers']);
const maxBusy = Number(values['max-busy']);
const only = new Set(values.only.split(','));
const stockStore = values['stock-store'];
const guideline = 'The answer is under 100 words.';
const log = (line) => console.error(`[bench:judges] ${line}`);

const python = await ensurePeerVenv();
const promptfoo = await ensurePromptfoo();
const dir = await tempDir('judges');
const rowsFile = path.join(dir, 'rows.jsonl');
await writeQuestions(rowsFile, N, true);
const latency = await startLatencyServer(L);
const report = {
  date: new Date().toISOString(),
  machine: `${os.cpus().length} cores, ${Math.round(os.totalmem() / 2 ** 30)} GiB, node ${process.version}`,
  N,
  C,
  L_ms: L,
  ceiling_rows_per_s: values.ceiling !== undefined ? Number(values.ceiling) : latestCeiling(),
  server: {
    version: 'mlflow 3.17.2',
    workers: serverWorkers,
    stock_store: stockStore,
    judgeflow_server: 'postgres + batch writer',
    job_execution: false,
  },
  promptfoo: promptfoo.version,
  cases: [],
};

try {
  if (only.has('a'))
    await judgeflowCase({ name: 'judgeflow --no-mlflow', mlflow: false, judgeConcurrency: C });
  if (only.has('a0')) {
    await judgeflowCase({ name: 'judgeflow --no-mlflow, judge.concurrency unset (default)', mlflow: false });
  }
  if (only.has('b'))
    await judgeflowCase({
      name: `judgeflow + stock MLflow (${stockStore}, REST path)`,
      mlflow: { store: stockStore },
      judgeConcurrency: C,
    });
  if (only.has('b2'))
    await judgeflowCase({
      name: "judgeflow + judgeflow's MLflow server (postgres, batch writer)",
      mlflow: { store: 'postgres', appName: 'judgeflow' },
      judgeConcurrency: C,
    });
  if (only.has('c')) await promptfooCase();
  if (only.has('d')) await pythonCase();
} finally {
  latency.stop();
  await rm(dir, { recursive: true, force: true });
}
printReport();
const file = path.join(root, 'bench/out', `judges-${report.date.replace(/[:.]/g, '-')}.json`);
await writeJson(file, report);
console.log(`\nraw figures: ${path.relative(root, file)}`);

// ---- cases ----------------------------------------------------------------------------------------

async function judgeflowCase({ name, mlflow, judgeConcurrency }) {
  const quiet = await waitForQuiet({ maxBusy, log });
  const server = mlflow ? await startMlflowServer({ workers: serverWorkers, ...mlflow }) : undefined;
  try {
    log(`${name} (other processes: ${quiet.busy} cores busy, load ${quiet.load})`);
    const caseDir = await mkdtemp(path.join(dir, 'judgeflow-'));
    await writeFile(path.join(caseDir, 'rows.jsonl'), await readFile(rowsFile));
    const evalFile = path.join(caseDir, 'eval.yaml');
    await writeFile(
      evalFile,
      [
        'experiment: bench-judges',
        'dataset: {path: rows.jsonl}',
        'judge:',
        `  model: {provider: openai-compatible, base_url: "${latency.baseUrl}", model: bench}`,
        ...(judgeConcurrency !== undefined ? [`  concurrency: ${judgeConcurrency}`] : []),
        'scorers:',
        `  - {type: guidelines, name: is_concise, guidelines: "${guideline}"}`,
        `concurrency: ${C}`,
        '',
      ].join('\n'),
    );
    const out = path.join(caseDir, 'out');
    const flags = mlflow ? ['--tracking-uri', server.uri] : ['--no-mlflow'];
    const meter = startMeter(server);
    const m = await measureWithOutput(process.execPath, [
      path.join(root, 'bin/judgeflow.js'),
      'run',
      evalFile,
      ...flags,
      '--no-progress',
      '--out',
      out,
    ]);
    const during = meter(m.cpuS, m.wallS);
    if (m.code !== 0) throw new Error(`judgeflow exited with ${m.code}:\n${m.stdout}`);
    const summary = JSON.parse(await readFile(path.join(out, 'summary.json'), 'utf8'));
    const verdicts = {
      execution_s: summary.duration_s,
      judged: summary.counts.is_concise?.values ?? 0,
      errors: summary.error_feedbacks,
      mean: summary.metrics['is_concise/mean'],
    };
    const check =
      server !== undefined ? await countRun(python, server.uri, summary.mlflow.run_id) : undefined;
    push({
      case: name,
      kind: mlflow ? 'judgeflow-mlflow' : 'judgeflow',
      command: `node bin/judgeflow.js run eval.yaml ${mlflow ? '--tracking-uri <server>' : '--no-mlflow'} --no-progress --out <dir>`,
      judge_concurrency: judgeConcurrency ?? 'unset (endpoint default)',
      m,
      quiet,
      during,
      verdicts,
      check,
    });
  } finally {
    await server?.stop();
  }
}

async function promptfooCase() {
  const caseDir = await mkdtemp(path.join(dir, 'promptfoo-'));
  const tests = (await readFile(rowsFile, 'utf8'))
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => {
      const row = JSON.parse(line);
      return { vars: { question: row.inputs.question, output: row.outputs } };
    });
  await writeFile(path.join(caseDir, 'tests.json'), JSON.stringify(tests));
  await writeFile(path.join(caseDir, 'warmup.json'), JSON.stringify(tests.slice(0, 1)));
  const config = (testsFile) =>
    [
      'description: judgeflow bench',
      // The recorded output is the "model's" answer: the echo provider returns the prompt as is.
      'prompts: ["{{output}}"]',
      'providers: [echo]',
      'defaultTest:',
      '  options:',
      '    provider:',
      '      id: openai:chat:bench',
      '      config:',
      `        apiBaseUrl: ${latency.baseUrl}`,
      '        apiKey: bench',
      // llm-rubric parses {reason, pass, score} from the grader's reply; asking for it as a
      // json_schema makes the latency server answer a valid grading.
      '        response_format:',
      '          type: json_schema',
      '          json_schema:',
      '            name: grading',
      '            strict: true',
      '            schema:',
      '              type: object',
      '              properties:',
      '                reason: {type: string}',
      '                pass: {type: boolean}',
      '                score: {type: number, enum: [1]}',
      '              required: [reason, pass, score]',
      '              additionalProperties: false',
      '  assert:',
      '    - type: llm-rubric',
      `      value: "${guideline}"`,
      `tests: file://${testsFile}`,
      '',
    ].join('\n');
  await writeFile(path.join(caseDir, 'warmup.yaml'), config('warmup.json'));
  await writeFile(path.join(caseDir, 'promptfooconfig.yaml'), config('tests.json'));
  const env = {
    PROMPTFOO_DISABLE_TELEMETRY: '1',
    PROMPTFOO_DISABLE_UPDATE: '1',
    PROMPTFOO_CONFIG_DIR: path.join(caseDir, 'home'),
    // google-auth-library (a promptfoo dependency) probes the GCP metadata server otherwise.
    METADATA_SERVER_DETECTION: 'none',
  };
  const args = (configFile) => [
    promptfoo.cli,
    'eval',
    '-c',
    configFile,
    '-j',
    String(C),
    '--no-cache',
    '--no-progress-bar',
    '--no-table',
  ];
  // Its SQLite database (and migrations) are created by a 1-test run first, as a user's would exist.
  const warm = await measureWithOutput(process.execPath, args('warmup.yaml'), { cwd: caseDir, env });
  if (warm.code !== 0) throw new Error(`promptfoo warm-up exited with ${warm.code}:\n${warm.stdout}`);
  const quiet = await waitForQuiet({ maxBusy, log });
  log(`promptfoo ${promptfoo.version} (other processes: ${quiet.busy} cores busy, load ${quiet.load})`);
  const meter = startMeter(undefined);
  const m = await measureWithOutput(process.execPath, args('promptfooconfig.yaml'), { cwd: caseDir, env });
  const during = meter(m.cpuS, m.wallS);
  const count = (label) => Number(new RegExp(`${label}:\\s*(\\d+)`).exec(m.stdout)?.[1] ?? Number.NaN);
  const verdicts = {
    judged: count('Successes') + count('Failures'),
    passed: count('Successes'),
    errors: count('Errors'),
  };
  if (m.code !== 0 && m.code !== 100) throw new Error(`promptfoo exited with ${m.code}:\n${m.stdout}`);
  push({
    case: `promptfoo ${promptfoo.version}`,
    kind: 'promptfoo',
    command: `node bench/peers/node_modules/promptfoo/dist/src/main.js eval -c promptfooconfig.yaml -j ${C} --no-cache --no-progress-bar --no-table`,
    env,
    m,
    quiet,
    during,
    verdicts,
  });
}

async function pythonCase() {
  const quiet = await waitForQuiet({ maxBusy, log });
  const server = await startMlflowServer({ workers: serverWorkers, store: stockStore });
  try {
    log(
      `mlflow.genai.evaluate with a Guidelines judge (other processes: ${quiet.busy} cores busy, load ${quiet.load})`,
    );
    const resultFile = path.join(dir, 'python-judge.json');
    const settings = {
      MLFLOW_GENAI_EVAL_MAX_WORKERS: String(C),
      MLFLOW_GENAI_EVAL_PREDICT_RATE_LIMIT: '0',
      MLFLOW_GENAI_EVAL_SCORER_RATE_LIMIT: '0',
      OPENAI_API_BASE: latency.baseUrl,
      OPENAI_BASE_URL: latency.baseUrl,
      OPENAI_API_KEY: 'bench-dummy',
    };
    const meter = startMeter(server);
    const m = await measureWithOutput(
      python,
      [path.join(root, 'bench/python/evaluate_judge.py'), rowsFile, 'openai:/gpt-4o-mini', resultFile],
      {
        env: {
          ...settings,
          MLFLOW_TRACKING_URI: server.uri,
          MLFLOW_DISABLE_TELEMETRY: 'true',
          TQDM_DISABLE: '1',
        },
      },
    );
    const during = meter(m.cpuS, m.wallS);
    if (m.code !== 0) throw new Error(`mlflow.genai.evaluate script exited with ${m.code}`);
    const result = JSON.parse(await readFile(resultFile, 'utf8'));
    const check = await countRun(python, server.uri, result.run_id);
    push({
      case: 'mlflow.genai.evaluate',
      kind: 'python',
      command: `python bench/python/evaluate_judge.py rows.jsonl openai:/gpt-4o-mini result.json`,
      settings: { ...settings, OPENAI_API_KEY: '<dummy>' },
      m,
      evaluateS: result.evaluate_s,
      quiet,
      during,
      verdicts: { values: result.values, mean: result.metrics['is_concise/mean'] },
      check,
    });
  } finally {
    await server.stop();
  }
}

// ---- reporting ------------------------------------------------------------------------------------

function push({ m, quiet, during, evaluateS, ...rest }) {
  const entry = {
    ...rest,
    exit_code: m.code,
    wall_s: m.wallS,
    ...(evaluateS !== undefined ? { evaluate_s: evaluateS } : {}),
    rows_per_s: N / m.wallS,
    cpu_ms_per_row: (1000 * m.cpuS) / N,
    peak_rss_mb: m.peakRssMb,
    ...(during.server_cpu_s !== undefined ? { server_cpu_ms_per_row: (1000 * during.server_cpu_s) / N } : {}),
    quiet_before: quiet,
    ...during,
  };
  report.cases.push(entry);
  log(
    `  ${fmt(entry.wall_s, 2)} s, ${fmt(entry.rows_per_s, 0)} rows/s; verdicts ${JSON.stringify(entry.verdicts)}${entry.check ? `; MLflow ${JSON.stringify(entry.check)}` : ''}`,
  );
}

/** The best ceiling measured by the latest bench/mlflow.mjs run (bench/out/mlflow-*.json), if any. */
function latestCeiling() {
  try {
    const reports = readdirSync(path.join(root, 'bench/out'))
      .filter((f) => /^mlflow-.*\.json$/.test(f))
      .sort()
      .map((f) => JSON.parse(readFileSync(path.join(root, 'bench/out', f), 'utf8')))
      // Same server settings as this run's MLflow case.
      .filter((r) => r.server?.workers === serverWorkers && r.N === N);
    for (const data of reports.reverse()) {
      const ceilings = data.cases
        .filter((c) => c.kind === 'ceiling' && !c.failed_rows)
        .map((c) => c.rows_per_s);
      if (ceilings.length > 0) return Math.max(...ceilings);
    }
    return undefined;
  } catch {
    return undefined;
  }
}

function printReport() {
  const limit = (C * 1000) / L;
  const ceiling = report.ceiling_rows_per_s;
  const bound = ceiling !== undefined ? Math.min(limit, ceiling) : undefined;
  const promptfooCase = report.cases.find((c) => c.kind === 'promptfoo');
  const pythonCase = report.cases.find((c) => c.kind === 'python');
  console.log(
    `\nN=${N}, C=${C}, L=${L} ms → C/L = ${fmt(limit, 0)} rows/s; MLflow server ceiling ${ceiling !== undefined ? `${fmt(ceiling, 0)} rows/s (bench/mlflow.mjs)` : 'unknown (run bench/mlflow.mjs or pass --ceiling)'}`,
  );
  console.log(
    '\n| case | wall s | rows/s | % of C/L | % of min(C/L, ceiling) | × promptfoo | × mlflow.genai.evaluate | CPU ms/row | MLflow server CPU ms/row | verdicts | other processes (cores) before / during |',
  );
  console.log('|---|---|---|---|---|---|---|---|---|---|---|');
  for (const c of report.cases) {
    const inner =
      c.evaluate_s !== undefined
        ? ` (evaluate() ${fmt(c.evaluate_s, 2)})`
        : c.verdicts?.execution_s !== undefined
          ? ` (execution ${fmt(c.verdicts.execution_s, 2)})`
          : '';
    const wall = `${fmt(c.wall_s, 2)}${inner}`;
    const ofBound =
      c.kind === 'judgeflow-mlflow' && bound !== undefined ? `${fmt((100 * c.rows_per_s) / bound, 1)}%` : '—';
    const vsPf = promptfooCase !== undefined ? `${fmt(c.rows_per_s / promptfooCase.rows_per_s, 2)}×` : '—';
    const vsPy = pythonCase !== undefined ? `${fmt(c.rows_per_s / pythonCase.rows_per_s, 2)}×` : '—';
    const server = c.server_cpu_ms_per_row !== undefined ? fmt(c.server_cpu_ms_per_row, 1) : '—';
    const verdicts = JSON.stringify(c.verdicts).replaceAll('"', '').replaceAll('|', '/');
    console.log(
      `| ${c.case} | ${wall} | ${fmt(c.rows_per_s, 0)} | ${fmt((100 * c.rows_per_s) / limit, 1)}% | ${ofBound} | ${vsPf} | ${vsPy} | ${fmt(c.cpu_ms_per_row, 2)} | ${server} | ${verdicts} | ${c.quiet_before.busy} / ${c.others_cores} |`,
    );
  }
}
