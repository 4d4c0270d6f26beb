// What one evaluation row costs the MLflow server, per write path (issue 9): the sink writes N rows —
// each a trace of 3 spans (~4 KB: a predict span and a judge call under the root), one feedback and
// one expectation, mlflow-wire.md §9's "evaluation row" — into a fresh server, and the figure is the
// server's CPU per row: utime+stime of the whole `mlflow server` process tree (and PostgreSQL's
// processes, when the store is PostgreSQL) from the first row until the run is FINISHED. Every case is
// counted from Python before it is reported (traces, feedbacks, expectations, spans). The server is
// warmed up first with 200 rows into another run (not counted), as a long-running server is.
//
// Usage: node --import tsx bench/mlflow-write-cost.mjs [--rows N] [--cases rest,artifact,batch]
//        [--stores sqlite,postgres] [--server-workers 4] [--max-busy CORES]
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs, promisify } from 'node:util';
import { evaluationRow, runStartInfo, runSummary } from './evaluation-rows.mjs';
import { root } from './lib.mjs';
import { ensurePeerVenv, startMlflowServer, waitForQuiet, writeJson } from './peers-lib.mjs';

const { values } = parseArgs({
  options: {
    rows: { type: 'string', default: '1000' },
    cases: { type: 'string', default: 'rest,artifact' },
    stores: { type: 'string', default: 'sqlite' },
    'server-workers': { type: 'string', default: '4' },
    'max-busy': { type: 'string', default: '0.3' },
  },
});
const N = Number(values.rows);
const cases = values.cases.split(',');
const stores = values.stores.split(',');
const workers = Number(values['server-workers']);
const log = (line) => console.error(`[bench:write-cost] ${line}`);
const run = promisify(execFile);

const { MlflowClient } = await import('../src/sinks/mlflow/client.ts');
const { createMlflowSink } = await import('../src/sinks/mlflow/sink.ts');

const python = await ensurePeerVenv();
const report = {
  date: new Date().toISOString(),
  N,
  workers,
  machine: `${os.cpus().length} cores`,
  results: [],
};

for (const store of stores) {
  for (const name of cases) {
    const quiet = await waitForQuiet({ maxBusy: Number(values['max-busy']), log });
    const server = await startMlflowServer({
      workers,
      store,
      ...(name === 'batch' ? { appName: 'judgeflow' } : {}),
    });
    const outDir = await mkdtemp(path.join(os.tmpdir(), 'judgeflow-write-cost-'));
    try {
      const client = new MlflowClient({ trackingUri: server.uri });
      const sink = createMlflowSink({
        client,
        ...(name === 'artifact' ? { spans: 'artifact' } : {}),
        ...(name !== 'batch' ? { batchWriter: 'off' } : {}),
      });
      // Warm-up, not counted: each server worker imports its request paths on first use (seconds of
      // CPU), which a long-running server has done long before; 200 rows reach every worker.
      const warmDir = await mkdtemp(path.join(os.tmpdir(), 'judgeflow-write-cost-warm-'));
      const warm = createMlflowSink({
        client,
        ...(name === 'artifact' ? { spans: 'artifact' } : {}),
        ...(name !== 'batch' ? { batchWriter: 'off' } : {}),
      });
      await warm.start(runStartInfo(warmDir, 200));
      for (let i = 0; i < 200; i++) warm.write(evaluationRow(i));
      await warm.finish(runSummary(200));
      await rm(warmDir, { recursive: true, force: true });
      const cpu0 = server.cpuSeconds();
      const started = performance.now();
      await sink.start(runStartInfo(outDir, N));
      for (let i = 0; i < N; i++) sink.write(evaluationRow(i));
      const finished = await sink.finish(runSummary(N));
      const wallS = (performance.now() - started) / 1000;
      const serverCpuS = server.cpuSeconds() - cpu0;
      await client.close();
      const runId = finished.summaryPatch?.mlflow?.run_id;
      const { stdout } = await run(python, [path.join(root, 'bench/python/count_run.py'), runId], {
        env: { ...process.env, MLFLOW_TRACKING_URI: server.uri, MLFLOW_DISABLE_TELEMETRY: 'true' },
        maxBuffer: 64 * 1024 * 1024,
      });
      const landed = JSON.parse(stdout);
      const ok =
        landed.traces === N && landed.feedbacks === N && landed.expectations === N && landed.spans === 3 * N;
      const result = {
        store,
        case: name,
        rows_per_s: Number((N / wallS).toFixed(1)),
        server_cpu_ms_per_row: Number(((1000 * serverCpuS) / N).toFixed(2)),
        wall_s: Number(wallS.toFixed(2)),
        landed,
        complete: ok,
        quiet,
      };
      report.results.push(result);
      log(
        `${store} ${name}: ${result.server_cpu_ms_per_row} ms server CPU/row, ${result.rows_per_s} rows/s, ${ok ? 'all landed' : `INCOMPLETE ${JSON.stringify(landed)}`}`,
      );
    } finally {
      await server.stop();
      await rm(outDir, { recursive: true, force: true });
    }
  }
}

console.log(
  '\n| store | write path | server CPU ms/row | rows/s | landed (traces / feedbacks / expectations / spans) |',
);
console.log('|---|---|---|---|---|');
for (const r of report.results) {
  console.log(
    `| ${r.store} | ${r.case} | ${r.server_cpu_ms_per_row} | ${r.rows_per_s} | ${r.landed.traces} / ${r.landed.feedbacks} / ${r.landed.expectations} / ${r.landed.spans}${r.complete ? '' : ' INCOMPLETE'} |`,
  );
}
const file = path.join(root, 'bench/out', `write-cost-${report.date.replace(/[:.]/g, '-')}.json`);
await writeJson(file, report);
console.log(`\nraw figures: ${path.relative(root, file)}`);
