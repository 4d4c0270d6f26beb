// Issue 3's benchmark: evaluations logged into a local MLflow server. N rows, concurrency C, a
// model under test with fixed latency L (the loopback latency server), one code scorer (exact match).
//
//  (a) ceiling — the MLflow server's own limit on this machine: a minimal writer (a child process
//      using judgeflow's own RunWriter + MlflowClient from dist/) sends exactly the REST calls the
//      sink makes per row — spans via OTLP /v1/traces (one request per batch), StartTraceV3 with the
//      row's assessments inline, link-to-run per 100 traces — in a tight loop, no model calls, at
//      several batch/concurrency settings; the best is the ceiling.
//  (b) judgeflow end to end: `judgeflow run --tracking-uri <server>`, wall time of the process (it
//      exits only when every MLflow write is done).
//  (c) mlflow.genai.evaluate() on the same rows: predict_fn calling the same latency server (openai
//      client, traced by mlflow.openai.autolog), the same code scorer, 64 workers, rate limits off.
// Every case gets a fresh server (SQLite store, local artifacts) and is checked afterwards: the run's
// traces and assessments are counted from Python.
//
// Usage: npm run build && node bench/mlflow.mjs [--rows N] [--quick] [--only ceiling,judgeflow,python]
//        [--server-workers W] [--max-busy CORES] [--ceiling-settings 16x8x16,1x64x64]
import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { fmt, measure, root, startLatencyServer, tempDir, writeQuestions } from './lib.mjs';
import {
  countRun,
  ensurePeerVenv,
  run,
  startMeter,
  startMlflowServer,
  waitForQuiet,
  writeJson,
} from './peers-lib.mjs';

const self = path.join(root, 'bench/mlflow.mjs');

/** The writer settings tried for the ceiling: the sink's defaults first, then wider ones. */
const ceilingSettings = [
  { batch: 16, concurrency: 8, http: 16, note: "the sink's defaults" },
  { batch: 16, concurrency: 16, http: 32, note: '' },
  { batch: 1, concurrency: 64, http: 64, note: 'one row per request set, 64 in flight' },
];

if (process.argv[2] === '--ceiling-writer') {
  await ceilingWriter(JSON.parse(process.argv[3]));
} else {
  await main();
}

async function main() {
  const { values } = parseArgs({
    options: {
      rows: { type: 'string' },
      quick: { type: 'boolean', default: false },
      only: { type: 'string', default: 'ceiling,judgeflow,python' },
      'server-workers': { type: 'string', default: '4' },
      'max-busy': { type: 'string', default: '0.3' },
      latency: { type: 'string', default: '100' },
      concurrency: { type: 'string', default: '64' },
      // Ceiling writer settings as BATCHxBATCHES_IN_FLIGHTxHTTP_POOL, comma-separated.
      'ceiling-settings': { type: 'string' },
    },
  });
  const settings =
    values['ceiling-settings']?.split(',').map((text) => {
      const [batch, concurrency, http] = text.split('x').map(Number);
      return { batch, concurrency, http, note: '' };
    }) ?? ceilingSettings;
  const N = Number(values.rows ?? (values.quick ? 400 : 2000));
  const C = Number(values.concurrency);
  const L = Number(values.latency);
  const serverWorkers = Number(values['server-workers']);
  const maxBusy = Number(values['max-busy']);
  const only = new Set(values.only.split(','));
  if (!existsSync(path.join(root, 'dist/sinks/mlflow/run-writer.js')))
    throw new Error('run `npm run build` first');

  const python = await ensurePeerVenv();
  const dir = await tempDir('mlflow');
  const rowsFile = path.join(dir, 'rows.jsonl');
  await writeQuestions(rowsFile, N);
  const latency = await startLatencyServer(L);
  const report = {
    date: new Date().toISOString(),
    machine: `${os.cpus().length} cores, ${Math.round(os.totalmem() / 2 ** 30)} GiB, node ${process.version}`,
    N,
    C,
    L_ms: L,
    server: { version: 'mlflow 3.17.2', workers: serverWorkers, store: 'sqlite', job_execution: false },
    cases: [],
  };
  const log = (line) => console.error(`[bench:mlflow] ${line}`);
  try {
    await writeFile(path.join(dir, 'eval.yaml'), evalYaml(latency.baseUrl, C));
    if (only.has('ceiling')) {
      // One real row of this very eval (spans, usage, feedback, expectation) as the writer's template.
      const templateOut = path.join(dir, 'template');
      await run(
        process.execPath,
        [
          path.join(root, 'bin/judgeflow.js'),
          'run',
          path.join(dir, 'eval.yaml'),
          '--no-mlflow',
          '--no-progress',
          '--limit',
          '1',
          '--out',
          templateOut,
        ],
        { capture: true },
      );
      const template = (await readFile(path.join(templateOut, 'results.jsonl'), 'utf8')).split('\n')[0];
      for (const setting of settings) {
        const quiet = await waitForQuiet({ maxBusy, log });
        const server = await startMlflowServer({ workers: serverWorkers });
        try {
          log(
            `ceiling: batch ${setting.batch}, ${setting.concurrency} batches in flight, http pool ${setting.http} (other processes: ${quiet.busy} cores busy, load ${quiet.load})`,
          );
          const outFile = path.join(dir, `ceiling-${setting.batch}-${setting.concurrency}.json`);
          const meter = startMeter(server);
          const m = await measure(
            process.execPath,
            [
              self,
              '--ceiling-writer',
              JSON.stringify({ uri: server.uri, rows: N, template, outFile, ...setting }),
            ],
            { quiet: true },
          );
          const during = meter(m.cpuS, m.wallS);
          if (m.code !== 0) throw new Error(`ceiling writer exited with ${m.code}`);
          const result = JSON.parse(await readFile(outFile, 'utf8'));
          const check = await countRun(python, server.uri, result.runId);
          const written = N - result.failedRows;
          report.cases.push({
            case: `ceiling b${setting.batch}×${setting.concurrency} (http ${setting.http})`,
            kind: 'ceiling',
            setting,
            wall_s: result.seconds,
            rows_per_s: written / result.seconds,
            failed_rows: result.failedRows,
            ...(result.firstError !== undefined ? { first_error: result.firstError } : {}),
            client_cpu_ms_per_row: (1000 * m.cpuS) / N,
            quiet_before: quiet,
            ...during,
            check,
          });
          log(
            `  ${fmt(written / result.seconds, 0)} rows/s, ${result.failedRows} rows failed${result.firstError !== undefined ? ` (${result.firstError})` : ''}; ${JSON.stringify(check)}`,
          );
        } finally {
          await server.stop();
        }
      }
    }
    if (only.has('judgeflow')) {
      const quiet = await waitForQuiet({ maxBusy, log });
      const server = await startMlflowServer({ workers: serverWorkers });
      try {
        log(`judgeflow end to end (other processes: ${quiet.busy} cores busy, load ${quiet.load})`);
        const out = path.join(dir, 'judgeflow-out');
        const args = [
          path.join(root, 'bin/judgeflow.js'),
          'run',
          path.join(dir, 'eval.yaml'),
          '--tracking-uri',
          server.uri,
          '--no-progress',
          '--out',
          out,
        ];
        const meter = startMeter(server);
        const m = await measure(process.execPath, args, { quiet: true });
        const during = meter(m.cpuS, m.wallS);
        if (m.code !== 0 && m.code !== 1) throw new Error(`judgeflow exited with ${m.code}`);
        const summary = JSON.parse(await readFile(path.join(out, 'summary.json'), 'utf8'));
        const check = await countRun(python, server.uri, summary.mlflow.run_id);
        report.cases.push({
          case: 'judgeflow',
          kind: 'judgeflow',
          command: `node bin/judgeflow.js run eval.yaml --tracking-uri ${server.uri} --no-progress --out <dir>`,
          exit_code: m.code,
          wall_s: m.wallS,
          rows_per_s: N / m.wallS,
          client_cpu_ms_per_row: (1000 * m.cpuS) / N,
          peak_rss_mb: m.peakRssMb,
          quiet_before: quiet,
          ...during,
          execution_s: summary.duration_s,
          pending_writes: summary.mlflow.pending_writes ?? 0,
          check,
        });
        log(`  ${fmt(m.wallS, 2)} s; ${JSON.stringify(check)}`);
      } finally {
        await server.stop();
      }
    }
    if (only.has('python')) {
      const quiet = await waitForQuiet({ maxBusy, log });
      const server = await startMlflowServer({ workers: serverWorkers });
      try {
        log(`mlflow.genai.evaluate (other processes: ${quiet.busy} cores busy, load ${quiet.load})`);
        const resultFile = path.join(dir, 'python-result.json');
        const settings = {
          MLFLOW_GENAI_EVAL_MAX_WORKERS: String(C),
          MLFLOW_GENAI_EVAL_PREDICT_RATE_LIMIT: '0',
          MLFLOW_GENAI_EVAL_SCORER_RATE_LIMIT: '0',
        };
        const meter = startMeter(server);
        const m = await measure(
          python,
          [path.join(root, 'bench/python/evaluate_predict.py'), rowsFile, latency.baseUrl, resultFile],
          {
            quiet: true,
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
        report.cases.push({
          case: 'mlflow.genai.evaluate',
          kind: 'python',
          settings: {
            ...settings,
            MLFLOW_GENAI_EVAL_MAX_SCORER_WORKERS: 'default 10 (1 scorer)',
            autolog: 'mlflow.openai.autolog()',
          },
          wall_s: m.wallS,
          evaluate_s: result.evaluate_s,
          rows_per_s: N / m.wallS,
          client_cpu_ms_per_row: (1000 * m.cpuS) / N,
          peak_rss_mb: m.peakRssMb,
          quiet_before: quiet,
          ...during,
          check,
        });
        log(`  ${fmt(m.wallS, 2)} s (evaluate() ${fmt(result.evaluate_s, 2)} s); ${JSON.stringify(check)}`);
      } finally {
        await server.stop();
      }
    }
  } finally {
    latency.stop();
    await rm(dir, { recursive: true, force: true });
  }
  printReport(report);
  const file = path.join(root, 'bench/out', `mlflow-${report.date.replace(/[:.]/g, '-')}.json`);
  await writeJson(file, report);
  console.log(`\nraw figures: ${path.relative(root, file)}`);
}

function evalYaml(baseUrl, concurrency) {
  return [
    'experiment: bench',
    'dataset: {path: rows.jsonl}',
    'model:',
    '  provider: openai-compatible',
    `  base_url: ${baseUrl}`,
    '  model: latency',
    '  prompt: "{{ inputs.question }}"',
    '  max_tokens: 16',
    'scorers: [exact_match]',
    `concurrency: ${concurrency}`,
    '',
  ].join('\n');
}

function printReport(report) {
  const limit = (report.C * 1000) / report.L_ms;
  // A setting where the server failed writes is not a rate it accepts.
  const ceilings = report.cases.filter((c) => c.kind === 'ceiling' && c.failed_rows === 0);
  const ceiling = ceilings.length > 0 ? Math.max(...ceilings.map((c) => c.rows_per_s)) : undefined;
  const bound = ceiling !== undefined ? Math.min(limit, ceiling) : limit;
  const python = report.cases.find((c) => c.kind === 'python');
  console.log(
    `\nN=${report.N}, C=${report.C}, L=${report.L_ms} ms → C/L = ${fmt(limit, 0)} rows/s; server ceiling ${ceiling !== undefined ? `${fmt(ceiling, 0)} rows/s` : 'not measured'}; bound min(C/L, ceiling) = ${fmt(bound, 0)} rows/s`,
  );
  console.log(`server: ${report.server.version}, ${report.server.workers} workers, SQLite, job runner off`);
  console.log(
    '\n| case | wall s | rows/s | % of min(C/L, ceiling) | × mlflow.genai.evaluate | client CPU ms/row | MLflow server CPU ms/row | traces / feedbacks / expectations | other processes (cores) before / during |',
  );
  console.log('|---|---|---|---|---|---|---|---|---|');
  for (const c of report.cases) {
    const pct = c.kind === 'ceiling' ? '—' : `${fmt((100 * c.rows_per_s) / bound, 1)}%`;
    const ratio =
      python !== undefined && c.kind !== 'ceiling' ? `${fmt(c.rows_per_s / python.rows_per_s, 2)}×` : '—';
    const inner =
      c.evaluate_s !== undefined
        ? ` (evaluate() ${fmt(c.evaluate_s, 2)})`
        : c.execution_s !== undefined
          ? ` (execution ${fmt(c.execution_s, 2)})`
          : '';
    const wall = `${fmt(c.wall_s, 2)}${inner}`;
    const check = `${c.check.traces} / ${c.check.feedbacks} / ${c.check.expectations}${c.failed_rows ? ` (${c.failed_rows} rows failed: server overloaded)` : ''}`;
    console.log(
      `| ${c.case} | ${wall} | ${fmt(c.rows_per_s, 0)} | ${pct} | ${ratio} | ${fmt(c.client_cpu_ms_per_row, 2)} | ${fmt((1000 * c.server_cpu_s) / report.N, 1)} | ${check} | ${c.quiet_before.busy} / ${c.others_cores} |`,
    );
  }
}

// ---- the minimal writer (child process) ---------------------------------------------------------

/**
 * Writes `rows` copies of one real row result through judgeflow's RunWriter, exactly the calls the
 * sink makes, with `concurrency` batches of `batch` rows in flight; writes {runId, seconds} to outFile.
 */
async function ceilingWriter({ uri, rows, template, outFile, batch, concurrency, http }) {
  const dist = (file) => pathToFileURL(path.join(root, 'dist/sinks/mlflow', file)).href;
  const { MlflowClient } = await import(dist('client.js'));
  const { RunWriter } = await import(dist('run-writer.js'));
  const client = new MlflowClient({ trackingUri: uri, maxConcurrency: http });
  const writer = new RunWriter(client, {
    version: 1,
    tracking_uri: uri,
    run_key: randomUUID(),
    experiment_name: 'bench-ceiling',
    start: {
      start_time: Date.now(),
      tags: [
        { key: 'mlflow.runType', value: 'genai_evaluate' },
        { key: 'mlflow.run.isEval', value: 'true' },
      ],
      params: [],
      experiment_tags: [{ key: 'mlflow.experimentKind', value: 'genai_development' }],
    },
    context: { user: 'bench', source_name: 'ceiling-writer', source_type: 'LOCAL' },
  });
  await writer.ensureRun({ searchFirst: false });
  const base = JSON.parse(template);
  const makeRow = (i) => {
    const now = Date.now();
    const shift = now - Math.max(...base.trace.spans.map((s) => s.endTimeMs));
    const ids = new Map(base.trace.spans.map((s) => [s.spanId, randomBytes(8).toString('hex')]));
    return {
      id: `c${i}`,
      index: i,
      inputs: { question: `What is ${i} plus ${i}?` },
      outputs: base.outputs,
      expectations: { expected_response: String(2 * i) },
      tags: {},
      feedbacks: base.feedbacks,
      usage: base.usage,
      durationMs: base.duration_ms,
      trace: {
        spans: base.trace.spans.map((s) => ({
          ...s,
          spanId: ids.get(s.spanId),
          parentId: s.parentId === null ? null : (ids.get(s.parentId) ?? s.parentId),
          startTimeMs: s.startTimeMs + shift,
          endTimeMs: s.endTimeMs + shift,
        })),
      },
    };
  };
  const started = performance.now();
  let next = 0;
  const links = [];
  const linking = [];
  const worker = async () => {
    while (next < rows) {
      const from = next;
      next = Math.min(rows, next + batch);
      const jobs = [];
      for (let i = from; i < next; i++) jobs.push(writer.jobFor(makeRow(i)));
      try {
        links.push(...(await writer.writeRows(jobs, { verify: false })));
      } catch (error) {
        // An overloaded server fails requests (e.g. SQLAlchemy's pool timeout as HTTP 400): count
        // the batch as failed and go on, so the setting is reported rather than aborted.
        failedBatches++;
        failedRows += jobs.length;
        firstError ??= error instanceof Error ? error.message : String(error);
      }
      while (links.length >= 100) linking.push(writer.link(links.splice(0, 100)));
    }
  };
  let failedBatches = 0;
  let failedRows = 0;
  let firstError;
  await Promise.all(Array.from({ length: concurrency }, worker));
  if (links.length > 0) linking.push(writer.link(links.splice(0)));
  await Promise.all(linking);
  const seconds = (performance.now() - started) / 1000;
  await client.close();
  await writeFile(
    outFile,
    JSON.stringify({ runId: writer.runId, seconds, failedBatches, failedRows, firstError }),
  );
}
