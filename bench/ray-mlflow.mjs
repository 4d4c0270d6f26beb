// Issue 9, item 6: the Ray executor with MLflow on. For 1, 2 and 4 workers (K rows in flight each),
// `judgeflow run --executor ray` evaluates N rows whose model under test is the loopback latency
// server at L ms, into a fresh MLflow server, and is timed until every MLflow write is done (the
// process exits). Ray's start-up (ray.init, actors, Node workers) is left out: the rate runs from the
// first row's start (its root span) to the process's exit, so it includes the whole MLflow drain.
// Ideal: min(W·K/L, the server's write ceiling, measured by bench/mlflow-write-cost.mjs).
// Every run is counted from Python (traces, feedbacks, expectations) before it is reported.
//
// Usage: npm run build && node --import tsx bench/ray-mlflow.mjs [--rows 1000] [--latency-ms 1000] [--k 16]
//        [--workers 1,2,4] [--store sqlite|postgres] [--app-name judgeflow] [--ceiling ROWS_PER_S]
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs, promisify } from 'node:util';
import { fmt, root, startLatencyServer, writeQuestions } from './lib.mjs';
import {
  ensurePeerVenv,
  measureWithOutput,
  startMlflowServer,
  waitForQuiet,
  writeJson,
} from './peers-lib.mjs';

const { values } = parseArgs({
  options: {
    rows: { type: 'string', default: '1000' },
    'latency-ms': { type: 'string', default: '1000' },
    k: { type: 'string', default: '16' },
    workers: { type: 'string', default: '1,2,4' },
    store: { type: 'string', default: 'sqlite' },
    'app-name': { type: 'string' },
    'server-workers': { type: 'string', default: '4' },
    ceiling: { type: 'string' },
    'max-busy': { type: 'string', default: '0.5' },
  },
});
const N = Number(values.rows);
const L = Number(values['latency-ms']);
const K = Number(values.k);
const workerCounts = values.workers.split(',').map(Number);
const log = (line) => console.error(`[bench:ray-mlflow] ${line}`);
const run = promisify(execFile);

const { startRayHead } = await import('../test/integration/servers/ray.ts');
const home = process.env.JUDGEFLOW_HOME ?? path.join(root, '.judgeflow');
const python = await ensurePeerVenv();
const head = process.env.RAY_ADDRESS ? undefined : await startRayHead({ home });
const address = process.env.RAY_ADDRESS ?? head.address;
const latency = await startLatencyServer(L);
const dir = await mkdtemp(path.join(os.tmpdir(), 'judgeflow-bench-ray-mlflow-'));
await writeQuestions(path.join(dir, 'rows.jsonl'), N);
const report = {
  date: new Date().toISOString(),
  machine: `${os.cpus().length} cores, node ${process.version}`,
  N,
  L_ms: L,
  K,
  server: {
    store: values.store,
    app: values['app-name'] ?? 'stock',
    workers: Number(values['server-workers']),
  },
  ceiling_rows_per_s: values.ceiling !== undefined ? Number(values.ceiling) : undefined,
  cases: [],
};

try {
  for (const workers of workerCounts) {
    const quiet = await waitForQuiet({ maxBusy: Number(values['max-busy']), log });
    const server = await startMlflowServer({
      workers: Number(values['server-workers']),
      store: values.store,
      ...(values['app-name'] !== undefined ? { appName: values['app-name'] } : {}),
    });
    try {
      const out = path.join(dir, `out-w${workers}`);
      const evalFile = path.join(dir, `eval-w${workers}.yaml`);
      await writeFile(
        evalFile,
        [
          'experiment: bench-ray-mlflow',
          'dataset: {path: rows.jsonl}',
          `model: {provider: openai-compatible, base_url: "${latency.baseUrl}", model: latency, max_tokens: 16}`,
          'scorers: [exact_match]',
          '',
        ].join('\n'),
      );
      const serverCpu0 = server.cpuSeconds();
      const m = await measureWithOutput(
        process.execPath,
        [
          path.join(root, 'bin/judgeflow.js'),
          'run',
          evalFile,
          '--executor',
          'ray',
          '--workers',
          String(workers),
          '--worker-concurrency',
          String(K),
          '--tracking-uri',
          server.uri,
          '--out',
          out,
          '--no-progress',
        ],
        { env: { RAY_ADDRESS: address, JUDGEFLOW_HOME: home } },
      );
      const exitedAt = Date.now();
      const serverCpuS = server.cpuSeconds() - serverCpu0;
      if (m.code !== 0) throw new Error(`judgeflow exited with ${m.code}:\n${m.stdout}`);
      const summary = JSON.parse(readFileSync(path.join(out, 'summary.json'), 'utf8'));
      const firstStart = Math.min(
        ...readFileSync(path.join(out, 'results.jsonl'), 'utf8')
          .split('\n')
          .filter(Boolean)
          .map((line) => Math.min(...JSON.parse(line).trace.spans.map((s) => s.startTimeMs))),
      );
      const steadyS = (exitedAt - firstStart) / 1000;
      const { stdout } = await run(
        python,
        [path.join(root, 'bench/python/count_run.py'), summary.mlflow.run_id],
        {
          env: { ...process.env, MLFLOW_TRACKING_URI: server.uri, MLFLOW_DISABLE_TELEMETRY: 'true' },
          maxBuffer: 64 * 1024 * 1024,
        },
      );
      const landed = JSON.parse(stdout);
      const rate = N / steadyS;
      const ideal = Math.min((workers * K * 1000) / L, report.ceiling_rows_per_s ?? Number.POSITIVE_INFINITY);
      const result = {
        workers,
        rows_per_s: fmt(rate, 1),
        ideal_rows_per_s: fmt(ideal, 1),
        pct_of_ideal: `${fmt((100 * rate) / ideal, 1)}%`,
        wall_s: fmt(m.wallS, 1),
        steady_s: fmt(steadyS, 1),
        scoring_s: summary.scoring_s,
        drain_s: summary.drain_s,
        driver_cpu_ms_per_row: fmt((1000 * m.cpuS) / N, 2),
        server_cpu_ms_per_row: fmt((1000 * serverCpuS) / N, 2),
        landed: `${landed.traces} traces / ${landed.feedbacks} feedbacks / ${landed.expectations} expectations`,
        complete: landed.traces === N && landed.feedbacks === N && landed.expectations === N,
        quiet,
      };
      report.cases.push(result);
      log(JSON.stringify(result));
    } finally {
      await server.stop();
    }
  }
} finally {
  latency.stop();
  await head?.stop();
  await rm(dir, { recursive: true, force: true });
}

console.log(
  `\nRay + MLflow: N=${N}, L=${L} ms, K=${K} per worker, server ${report.server.store}/${report.server.app}, ${os.cpus().length} cores`,
);
console.log(
  '\n| workers | rows/s | ideal | % of ideal | scoring s | drain s | driver CPU ms/row | server CPU ms/row | landed |',
);
console.log('|---|---|---|---|---|---|---|---|---|');
for (const r of report.cases) {
  console.log(
    `| ${r.workers} | ${r.rows_per_s} | ${r.ideal_rows_per_s} | ${r.pct_of_ideal} | ${r.scoring_s} | ${r.drain_s} | ${r.driver_cpu_ms_per_row} | ${r.server_cpu_ms_per_row} | ${r.landed}${r.complete ? '' : ' INCOMPLETE'} |`,
  );
}
const file = path.join(root, 'bench/out', `ray-mlflow-${report.date.replace(/[:.]/g, '-')}.json`);
await writeJson(file, report);
console.log(`\nraw figures: ${path.relative(root, file)}`);
